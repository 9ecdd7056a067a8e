// The dyno manager on the real engine, to Heroku's log lines (reference heroku-runtime-behaviour.md §1.2): first
// deploy, scale up, restart on a config change (sequence B), crash loop with cool-off (D), R12 (F), R14/R15, scale
// to zero (G), daemon restart adoption, and destroying an app with running dynos. One app of fixtures/lifecycle
// goes through all of it, in order. Timings are short through settings and never asserted as durations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, waitFor, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import {
  appContainers,
  settledContainers,
  containerPort,
  deploy,
  dynos,
  formation,
  getFromDyno,
  logMark,
  readLog,
  reportDeadDaemon,
  scale,
  SHORT_TIMINGS,
  waitForDynos,
  waitForLines,
} from './helpers.js';

let daemon: TestDaemon;
let app: AppJson;
let email: string;

const STOP_GRACE = 3;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS, BERTH_STOP_GRACE: String(STOP_GRACE) } });
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
  app = await createApp(daemon, 'life');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  if (daemon && app) await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
  await daemon?.dispose();
});

/** The `heroku[<dyno>]` lines only, after a mark. */
function dynoLines(dyno: string, afterSeq: number): string[] {
  return readLog(daemon, app.id, afterSeq).rows.filter((row) => row.source === 'heroku' && row.dyno === dyno).map((row) => row.message);
}

describe('dyno lifecycle (fixtures/lifecycle)', () => {
  it('first deploy: the formation is web=1 and the rest 0; web.1 starts and comes up', async () => {
    await deploy(daemon, app.name, fixture('lifecycle'));
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    const { lines } = await waitForLines(daemon, app.id, [
      /^app\[api\]: Deploy [0-9a-f]{7,8} by user /,
      new RegExp(`^app\\[api\\]: Release v\\d+ created by user ${email}$`),
      `app[api]: Scaled to web@1:Basic crasher@0:Basic hog@0:Basic stubborn@0:Basic worker@0:Basic by user ${email}`,
      'heroku[web.1]: Starting process with command `python3 web.py`',
      'heroku[web.1]: State changed from starting to up',
    ]);
    expect(lines.some((l) => /^heroku\[(worker|crasher|hog|stubborn)\./.test(l))).toBe(false);
    const f = await formation(daemon, app.name);
    // The release type is in the formation at 0 (Heroku: `ps:type release=<size>` after its first run), never scaled.
    expect(Object.fromEntries(f.map((x) => [x.type, x.quantity]))).toEqual({ web: 1, worker: 0, crasher: 0, stubborn: 0, hog: 0, release: 0 });
    expect(f.map((x) => x.size)).toEqual(f.map(() => 'Basic'));
    expect(f.find((x) => x.type === 'web')?.command).toBe('python3 web.py');
    expect(await getFromDyno(app.id, 'web.1')).toMatch(/^DYNO=web\.1 GREETING=\(unset\) /);
  });

  it('scale up with string quantities, absolute and relative (ps:scale web=2 worker+1)', async () => {
    const mark = logMark(daemon, app.id);
    const changed = await scale(daemon, app.name, [
      { type: 'web', quantity: '2' },
      { type: 'worker', quantity: '+1' },
    ]);
    expect(changed.map((f) => [f.type, f.quantity])).toEqual([
      ['web', 2],
      ['worker', 1],
    ]);
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Scaled to web@2:Basic crasher@0:Basic hog@0:Basic stubborn@0:Basic worker@1:Basic by user ${email}`,
        'heroku[web.2]: Starting process with command `python3 web.py`',
        'heroku[web.2]: State changed from starting to up',
      ],
      { afterSeq: mark },
    );
    await waitForLines(
      daemon,
      app.id,
      [
        'heroku[worker.1]: Starting process with command `python3 worker.py`',
        'heroku[worker.1]: State changed from starting to up',
        /^app\[worker\.1\]: worker tick \d+ DYNO=worker\.1$/,
      ],
      { afterSeq: mark },
    );
    await waitForDynos(daemon, app.name, ['web.1', 'web.2', 'worker.1'], 'up', { exact: true });
    // web.1 was not touched by the scale.
    expect(dynoLines('web.1', mark)).toEqual([]);
    // Each dyno has its own port.
    const ports = await Promise.all(['web.1', 'web.2', 'worker.1'].map(async (d) => containerPort((await appContainers(app.id, d))[0] ?? '')));
    expect(new Set(ports).size).toBe(3);
    // -1 and a PATCH of one type.
    await api(daemon, 'PATCH', `/apps/${app.name}/formation/web`, { quantity: '-1' });
    await waitForDynos(daemon, app.name, ['web.1', 'worker.1'], 'up', { exact: true });
    expect(dynoLines('web.2', mark)).toEqual(
      expect.arrayContaining(['State changed from up to down', 'Stopping all processes with SIGTERM', 'Process exited with status 143']),
    );
  });

  it('a config change restarts every dyno with sequence B, and the new value reaches the process', async () => {
    const before = await appContainers(app.id, 'web.1');
    const mark = logMark(daemon, app.id);
    await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { GREETING: 'hello-v2' });
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Set GREETING config vars by user ${email}`,
        new RegExp(`^app\\[api\\]: Release v\\d+ created by user ${email}$`),
        'heroku[web.1]: Restarting',
        /^app\[web\.1\]: web\.py boot DYNO=web\.1 GREETING=hello-v2 /,
      ],
      { afterSeq: mark },
    );
    await waitForDynos(daemon, app.name, ['web.1', 'worker.1'], 'up', { exact: true });
    // Heroku's sequence B, exactly, for web.1 (LOG-2025).
    expect(dynoLines('web.1', mark)).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `python3 web.py`',
      'State changed from starting to up',
    ]);
    expect(dynoLines('worker.1', mark)).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `python3 worker.py`',
      'State changed from starting to up',
    ]);
    const after = await settledContainers(app.id, 'web.1');
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(await getFromDyno(app.id, 'web.1')).toMatch(/^DYNO=web\.1 GREETING=hello-v2 /);
    const web = (await dynos(daemon, app.name)).find((d) => d.name === 'web.1');
    expect(web?.release.version).toBeGreaterThan(0);
  });

  it('crash loop: the first restart is immediate, then the cool-off; scaling a crashed dyno away is crashed → down', async () => {
    const mark = logMark(daemon, app.id);
    await scale(daemon, app.name, [{ type: 'crasher', quantity: 1 }]);
    const crashed = [
      'heroku[crasher.1]: Starting process with command `python3 crash.py`',
      'heroku[crasher.1]: State changed from starting to up',
      'heroku[crasher.1]: Process exited with status 1',
      'heroku[crasher.1]: State changed from up to crashed',
    ];
    // Sequence D: crash, immediate restart, crash again, then a stay in `crashed`.
    await waitForLines(daemon, app.id, [...crashed, 'heroku[crasher.1]: State changed from crashed to starting', ...crashed], {
      afterSeq: mark,
    });
    expect(readLog(daemon, app.id, mark).lines).toContain('app[crasher.1]: crasher: about to fail');
    // The immediate restart follows the first crash directly; during the cool-off the dyno is listed as crashed.
    const lines = dynoLines('crasher.1', mark);
    expect(lines.slice(0, 6)).toEqual([
      'Starting process with command `python3 crash.py`',
      'State changed from starting to up',
      'Process exited with status 1',
      'State changed from up to crashed',
      'State changed from crashed to starting',
      'Starting process with command `python3 crash.py`',
    ]);
    const seen = (await dynos(daemon, app.name)).find((d) => d.name === 'crasher.1');
    expect(seen?.state).toBe('crashed');
    // After the cool-off it is started again, and crashes a third time.
    const third = await waitForLines(
      daemon,
      app.id,
      [...crashed, 'heroku[crasher.1]: State changed from crashed to starting', ...crashed, 'heroku[crasher.1]: State changed from crashed to starting', ...crashed],
      { afterSeq: mark },
    );
    expect(third.lines.filter((l) => l === 'heroku[crasher.1]: Process exited with status 1').length).toBeGreaterThanOrEqual(3);
    await waitForDynos(daemon, app.name, ['crasher.1'], 'crashed');
    const beforeDown = logMark(daemon, app.id);
    await scale(daemon, app.name, [{ type: 'crasher', quantity: 0 }]);
    await waitForLines(daemon, app.id, ['heroku[crasher.1]: State changed from crashed to down'], { afterSeq: beforeDown });
    expect(dynoLines('crasher.1', beforeDown)).toEqual(['State changed from crashed to down']);
    expect((await dynos(daemon, app.name)).some((d) => d.name === 'crasher.1')).toBe(false);
  });

  it('R12: a process that ignores SIGTERM is killed after the grace period (sequence F)', async () => {
    const mark = logMark(daemon, app.id);
    await scale(daemon, app.name, [{ type: 'stubborn', quantity: 1 }]);
    await waitForLines(daemon, app.id, ['heroku[stubborn.1]: State changed from starting to up', 'app[stubborn.1]: stubborn: up, ignoring SIGTERM'], {
      afterSeq: mark,
    });
    const beforeStop = logMark(daemon, app.id);
    await scale(daemon, app.name, [{ type: 'stubborn', quantity: 0 }]);
    await waitForLines(daemon, app.id, ['heroku[stubborn.1]: Process exited with status 137'], { afterSeq: beforeStop });
    expect(dynoLines('stubborn.1', beforeStop)).toEqual([
      'State changed from up to down',
      'Stopping all processes with SIGTERM',
      `Error R12 (Exit timeout) -> At least one process failed to exit within ${STOP_GRACE} seconds of SIGTERM`,
      'Stopping remaining processes with SIGKILL',
      'Process exited with status 137',
    ]);
    expect(readLog(daemon, app.id, beforeStop).lines).toContain('app[stubborn.1]: stubborn: ignoring SIGTERM');
    expect(await appContainers(app.id, 'stubborn.1')).toEqual([]);
  });

  it('R14 above the quota, then R15 and SIGKILL above 2× the quota on a Basic dyno', async () => {
    const mark = logMark(daemon, app.id);
    await scale(daemon, app.name, [{ type: 'hog', quantity: 1 }]);
    await waitForLines(
      daemon,
      app.id,
      [
        'heroku[hog.1]: State changed from starting to up',
        /^heroku\[hog\.1\]: Process running mem=(5[2-9]\d|[6-9]\d\d|10[01]\d)M\(1\d\d\.\d%\)$/,
        'heroku[hog.1]: Error R14 (Memory quota exceeded)',
        /^heroku\[hog\.1\]: Process running mem=\d{4}M\(2\d\d\.\d%\)$/,
        'heroku[hog.1]: Error R15 (Memory quota vastly exceeded)',
        'heroku[hog.1]: Stopping process with SIGKILL',
        'heroku[hog.1]: Process exited with status 137',
        'heroku[hog.1]: State changed from up to crashed',
      ],
      { afterSeq: mark, timeoutMs: 120_000 },
    );
    // R15 is not followed by R14 lines of the same instance.
    const lines = dynoLines('hog.1', mark);
    const r15 = lines.indexOf('Error R15 (Memory quota vastly exceeded)');
    expect(lines[r15 + 1]).toBe('Stopping process with SIGKILL');
    expect(lines[r15 + 2]).toBe('Process exited with status 137');
    await scale(daemon, app.name, [{ type: 'hog', quantity: 0 }]);
    await waitFor('hog.1 gone', async () => !(await dynos(daemon, app.name)).some((d) => d.name === 'hog.1'));
  });

  it('a daemon restart adopts the running dynos: same containers, same ports, no doubles', async () => {
    await waitForDynos(daemon, app.name, ['web.1', 'worker.1'], 'up', { exact: true });
    const before = new Map<string, { id: string; port: number }>();
    for (const name of ['web.1', 'worker.1']) {
      const ids = await settledContainers(app.id, name);
      expect(ids).toHaveLength(1);
      before.set(name, { id: ids[0] ?? '', port: await containerPort(ids[0] ?? '') });
    }
    const versionBefore = (await dynos(daemon, app.name)).find((d) => d.name === 'web.1')?.release.version;
    const mark = logMark(daemon, app.id);
    await daemon.restart();
    await waitForDynos(daemon, app.name, ['web.1', 'worker.1'], 'up', { exact: true });
    // Nothing restarted: no lines from the dyno manager for them.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(readLog(daemon, app.id, mark).lines.filter((l) => l.startsWith('heroku['))).toEqual([]);
    for (const [name, was] of before) {
      const ids = await appContainers(app.id, name);
      expect(ids, name).toEqual([was.id]);
    }
    expect((await appContainers(app.id)).sort()).toEqual([...before.values()].map((v) => v.id).sort());
    // The adopted web dyno still answers, and its output is still pumped into the log.
    expect(await getFromDyno(app.id, 'web.1')).toMatch(/^DYNO=web\.1 GREETING=hello-v2 /);
    await waitForLines(daemon, app.id, [/^app\[worker\.1\]: worker tick \d+ DYNO=worker\.1$/], { afterSeq: mark });
    // A restart after adoption stops the adopted container and starts a new one on a port, as before.
    const beforeRestart = logMark(daemon, app.id);
    await api(daemon, 'DELETE', `/apps/${app.name}/dynos/web.1`);
    await waitForLines(daemon, app.id, ['heroku[web.1]: Restarting', 'heroku[web.1]: Process exited with status 143', 'heroku[web.1]: State changed from starting to up'], {
      afterSeq: beforeRestart,
    });
    const web = await settledContainers(app.id, 'web.1');
    expect(web).toHaveLength(1);
    expect(web[0]).not.toBe(before.get('web.1')?.id);
    // It came back on the release it ran before the daemon restart (issue 11, item 2), not the one it first booted on.
    expect(await getFromDyno(app.id, 'web.1')).toMatch(/^DYNO=web\.1 GREETING=hello-v2 /);
    expect((await dynos(daemon, app.name)).find((d) => d.name === 'web.1')?.release.version).toBe(versionBefore);
  });

  it('scale to 0: up → down, SIGTERM, 143; GET /dynos is empty and no dyno container is left', async () => {
    const mark = logMark(daemon, app.id);
    await scale(daemon, app.name, [
      { type: 'web', quantity: 0 },
      { type: 'worker', quantity: '0' },
    ]);
    await waitForLines(
      daemon,
      app.id,
      [`app[api]: Scaled to web@0:Basic crasher@0:Basic hog@0:Basic stubborn@0:Basic worker@0:Basic by user ${email}`],
      { afterSeq: mark },
    );
    for (const name of ['web.1', 'worker.1']) {
      await waitForLines(daemon, app.id, [`heroku[${name}]: Process exited with status 143`], { afterSeq: mark });
      expect(dynoLines(name, mark)).toEqual(['State changed from up to down', 'Stopping all processes with SIGTERM', 'Process exited with status 143']);
    }
    expect(await dynos(daemon, app.name)).toEqual([]);
    expect(await appContainers(app.id)).toEqual([]);
  });

  it('destroying an app with running dynos leaves no container of it', async () => {
    await scale(daemon, app.name, [
      { type: 'web', quantity: 2 },
      { type: 'worker', quantity: 1 },
      { type: 'stubborn', quantity: 1 },
    ]);
    await waitForDynos(daemon, app.name, ['web.1', 'web.2', 'worker.1', 'stubborn.1'], 'up', { exact: true });
    expect(await appContainers(app.id)).toHaveLength(4);
    await api(daemon, 'DELETE', `/apps/${app.name}`);
    await waitFor('no container labelled with the app', async () => (await appContainers(app.id)).length === 0, 60_000);
    const ids = await appContainers(app.id);
    expect(ids).toEqual([]);
  });
});
