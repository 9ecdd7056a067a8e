// The teaching controls on a real dyno (fixtures/lifecycle's web process on the real engine): `berth chaos crash`
// kills its processes with SIGKILL, `memory` runs a memory-hungry process in it until the kernel's OOM killer ends the
// app at the container's limit; the dyno manager writes Heroku's lines for both, asserted verbatim. `berth clock`
// speeds the cool-off the second crash waits out. Timings are short through settings and never asserted.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, type AppJson } from '../support/build.js';
import { BERTH_MAIN, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { deploy, logMark, readLog, reportDeadDaemon, SHORT_TIMINGS, waitForDynos, waitForLines } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS } });
  app = await createApp(daemon, 'lesson');
  await deploy(daemon, app.name, fixture('lifecycle'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  if (daemon && app) await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
  await daemon?.dispose();
});

function berth(args: readonly string[]) {
  const result = spawnSync(process.execPath, [BERTH_MAIN, ...args], { env: { ...process.env, ...daemon.berthEnv }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function web1Lines(afterSeq: number): string[] {
  return readLog(daemon, app.id, afterSeq).rows.filter((row) => row.source === 'heroku' && row.dyno === 'web.1').map((row) => row.message);
}

const BACK_UP = ['State changed from crashed to starting', 'Starting process with command `python3 web.py`', 'State changed from starting to up'];

describe('berth chaos on a real dyno', () => {
  it('crash: SIGKILL to its processes, status 137, crashed, restarted at once', async () => {
    const mark = logMark(daemon, app.id);
    const crashed = berth(['chaos', 'crash', '-a', app.name]);
    expect(crashed.stderr).toBe('');
    expect(crashed.stdout.split('\n')[0]).toBe(
      'crash on web.1: the dyno\'s processes die of a signal (SIGKILL unless told): "Process exited with status 137", then crashed and restarted',
    );
    await waitForLines(daemon, app.id, BACK_UP.map((line) => `heroku[web.1]: ${line}`), { afterSeq: mark });
    expect(web1Lines(mark)).toEqual(['Process exited with status 137', 'State changed from up to crashed', ...BACK_UP]);
  });

  it('memory: R14 while above the quota, then R15 at the container limit and SIGKILL; the cool-off runs on the lesson clock', async () => {
    expect(berth(['clock', '--speed', '4']).stdout).toBe(
      "Lesson clock: 4x (a 20-minute crash cool-off takes 5 minutes; log lines keep Heroku's numbers)\n",
    );
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    const mark = logMark(daemon, app.id);
    const answer = await api<{ kind: string; dyno: string }>(daemon, 'POST', `/berth/apps/${app.name}/chaos/memory`, { dyno: 'web.1' });
    expect(answer).toMatchObject({ kind: 'memory', dyno: 'web.1' });
    await waitForLines(daemon, app.id, [...BACK_UP.map((line) => `heroku[web.1]: ${line}`)], { afterSeq: mark, timeoutMs: 120_000 });
    const lines = web1Lines(mark);
    const r15 = lines.indexOf('Error R15 (Memory quota vastly exceeded)');
    const r14 = lines.slice(0, r15 - 1);
    expect(r14.length).toBeGreaterThanOrEqual(2);
    for (const [i, line] of r14.entries()) {
      expect(line).toMatch(i % 2 === 0 ? /^Process running mem=\d+M\(1\d\d\.\d%\)$/ : /^Error R14 \(Memory quota exceeded\)$/);
    }
    expect(lines.slice(r15 - 1)).toEqual([
      'Process running mem=1024M(200.0%)',
      'Error R15 (Memory quota vastly exceeded)',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from up to crashed',
      ...BACK_UP,
    ]);
  });
});
