// The teaching controls on a real dyno (fixtures/lifecycle's web process on the real engine): `berth chaos crash`
// kills its processes with SIGKILL, `memory` runs a memory-hungry process in it until the kernel's OOM killer ends the
// app at the container's limit, `hang` freezes it (H12 at the router, then R12 on a restart); the dyno manager writes
// Heroku's lines, asserted verbatim. `berth clock` speeds the cool-off the second crash waits out. Timings are short
// through settings and never asserted.
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, type AppJson } from '../support/build.js';
import { BERTH_MAIN, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { deploy, fixtureCopy, logMark, readLog, reportDeadDaemon, SHORT_TIMINGS, waitForDynos, waitForLines } from '../dynos/helpers.js';

let daemon: TestDaemon;
let app: AppJson;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS, BERTH_ROUTER_REQUEST_TIMEOUT_MS: '2000' } });
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

/** GET / through the router, as a browser would reach the app. */
function viaRouter(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app.name}.localhost` } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
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
      'crash on web.1: the dyno\'s processes die of a signal (SIGKILL unless told), or its main process exits with a chosen status: "Process exited with status 137", then crashed and restarted',
    );
    await waitForLines(daemon, app.id, BACK_UP.map((line) => `heroku[web.1]: ${line}`), { afterSeq: mark });
    expect(web1Lines(mark)).toEqual(['Process exited with status 137', 'State changed from up to crashed', ...BACK_UP]);
  });

  it('crash --exit-code 3: the main process itself exits with status 3, crashed, restarted', async () => {
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    const mark = logMark(daemon, app.id);
    const crashed = berth(['chaos', 'crash', '--exit-code', '3', '-a', app.name]);
    expect([crashed.code, crashed.stderr]).toEqual([0, '']);
    await waitForLines(daemon, app.id, BACK_UP.map((line) => `heroku[web.1]: ${line}`), { afterSeq: mark });
    expect(web1Lines(mark)).toEqual(['Process exited with status 3', 'State changed from up to crashed', ...BACK_UP]);
  });

  it('berth doctor -a: a file the dyno wrote outside /tmp before it stopped, from the engine diff of its container', async () => {
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    // The app writing a file, as an upload handler would (the engine's own exec, so the diff is the real one).
    const container = spawnSync('docker', ['ps', '-q', '--filter', `label=berth.app=${app.id}`, '--filter', 'label=berth.dyno=web.1'], { encoding: 'utf8' }).stdout.trim();
    expect(container).toMatch(/^[0-9a-f]+$/);
    expect(spawnSync('docker', ['exec', container, 'sh', '-c', 'mkdir -p /app/uploads && echo png > /app/uploads/avatar.png && echo x > /tmp/scratch']).status).toBe(0);
    const mark = logMark(daemon, app.id);
    expect(berth(['chaos', 'crash', '-a', app.name]).code).toBe(0);
    await waitForLines(daemon, app.id, BACK_UP.map((line) => `heroku[web.1]: ${line}`), { afterSeq: mark });
    const doctor = berth(['doctor', '--json', '-a', app.name, fixture('lifecycle')]);
    expect(doctor.code).toBe(0);
    const findings = (JSON.parse(doctor.stdout) as { findings: Array<{ check: string; message: string }> }).findings;
    expect(findings.filter((finding) => finding.check === 'local-disk-writes')).toEqual([
      {
        check: 'local-disk-writes',
        message: 'web.1 wrote files outside /tmp before it stopped (/app/uploads/avatar.png): Heroku discards them at every restart, at least daily',
        fix: 'Keep only scratch files, under /tmp; store lasting files in a database or object storage (such as S3)',
      },
    ]);
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

  it('slow-router: past the 30 s (on the lesson clock) the router answers H12 without reaching the dyno; 0 ends it', async () => {
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    const mark = logMark(daemon, app.id);
    const slowed = berth(['chaos', 'slow-router', '--seconds', '35', '-a', app.name]);
    expect(slowed.stdout.split('\n')[0]).toBe(
      'slow-router on router: the router waits before forwarding each request to the app (35 seconds unless told; 0 ends it): past its 30 s, H12 Request timeout',
    );
    expect(await viaRouter()).toBe(503);
    await waitForLines(
      daemon,
      app.id,
      [/^heroku\[router\]: at=error code=H12 desc="Request timeout" method=GET path="\/" host=\S+ request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=503 bytes=0 protocol=http1\.1 tls=false$/],
      { afterSeq: mark },
    );
    expect(berth(['chaos', 'slow-router', '--seconds', '0', '-a', app.name]).code).toBe(0);
    expect(await viaRouter()).toBe(200);
  });

  it('hang: the frozen dyno stays up and the router answers H12; a restart then meets R12', async () => {
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    expect(await viaRouter()).toBe(200);
    const mark = logMark(daemon, app.id);
    await api(daemon, 'POST', `/berth/apps/${app.name}/chaos/hang`, {});
    expect(await viaRouter()).toBe(503);
    await waitForLines(daemon, app.id, [/^heroku\[router\]: at=error code=H12 desc="Request timeout" method=GET path="\/" .* dyno=web\.1 .* status=503 /], { afterSeq: mark });
    await api(daemon, 'DELETE', `/apps/${app.name}/dynos/web.1`);
    await waitForLines(
      daemon,
      app.id,
      [
        'heroku[web.1]: Restarting',
        'heroku[web.1]: State changed from up to starting',
        'heroku[web.1]: Stopping all processes with SIGTERM',
        'heroku[web.1]: Error R12 (Exit timeout) -> At least one process failed to exit within 3 seconds of SIGTERM',
        'heroku[web.1]: Stopping remaining processes with SIGKILL',
        'heroku[web.1]: Process exited with status 137',
        'heroku[web.1]: Starting process with command `python3 web.py`',
        'heroku[web.1]: State changed from starting to up',
      ],
      { afterSeq: mark },
    );
  });

  it('a container-stack app without python: the push doctor, memory (R14, R15) and a chosen exit status 0', async () => {
    const bare = await api<AppJson>(daemon, 'POST', '/apps', { name: `bare-${process.pid.toString(36)}`, stack: 'container' });
    try {
      // A committed .env: the doctor warns of it on a container-stack push too (and of nothing a buildpack would do).
      const built = await deploy(daemon, bare.name, await fixtureCopy(daemon, 'container-no-python', { '.env': 'SECRET=1\n' }));
      const advice = built.output.split('\n').filter((line) => line.includes('berth doctor') || line.startsWith(' !     '));
      expect(advice).toEqual([
        '-----> berth doctor: 1 thing Heroku would mind (the build goes on)',
        " !     A .env file is committed (.env): its values ship in every slug and in the repo's history",
        ' !     Fix: Set the values as config vars (heroku config:set NAME=value), add .env to .gitignore and remove it from git',
      ]);
      await api(daemon, 'PATCH', `/apps/${bare.name}/formation/worker`, { quantity: 1 });
      await waitForDynos(daemon, bare.name, ['worker.1'], 'up', { exact: true });
      // The image's CMD is the command (its exact display is the container launch's business, not this test's).
      const lines = (afterSeq: number) =>
        readLog(daemon, bare.id, afterSeq)
          .rows.filter((row) => row.source === 'heroku' && row.dyno === 'worker.1')
          .map((row) => row.message.replace(/^Starting process with command .*/, 'Starting process with command …'));
      const up = ['State changed from crashed to starting', 'Starting process with command …', 'State changed from starting to up'];
      const upLines = [/^heroku\[worker\.1\]: State changed from crashed to starting$/, /^heroku\[worker\.1\]: Starting process/, /^heroku\[worker\.1\]: State changed from starting to up$/];
      let mark = logMark(daemon, bare.id);
      await api(daemon, 'POST', `/berth/apps/${bare.name}/chaos/memory`, { dyno: 'worker.1' });
      await waitForLines(daemon, bare.id, upLines, { afterSeq: mark, timeoutMs: 120_000 });
      const memory = lines(mark);
      const r15 = memory.indexOf('Error R15 (Memory quota vastly exceeded)');
      expect(memory.slice(0, r15 - 1)).toContain('Error R14 (Memory quota exceeded)');
      expect(memory.slice(r15 - 1)).toEqual([
        'Process running mem=1024M(200.0%)',
        'Error R15 (Memory quota vastly exceeded)',
        'Stopping process with SIGKILL',
        'Process exited with status 137',
        'State changed from up to crashed',
        ...up,
      ]);
      mark = logMark(daemon, bare.id);
      const crashed = berth(['chaos', 'crash', '--exit-code', '0', '-a', bare.name, '-d', 'worker.1']);
      expect([crashed.code, crashed.stderr]).toEqual([0, '']);
      await waitForLines(daemon, bare.id, upLines, { afterSeq: mark });
      expect(lines(mark)).toEqual(['Process exited with status 0', 'State changed from up to crashed', ...up]);
    } finally {
      await api(daemon, 'DELETE', `/apps/${bare.name}`).catch(() => undefined);
    }
  });
});
