// Boot behaviour on the real engine: R10 for a web process that never binds $PORT (sequence E, then the immediate
// first restart), a worker-only app (no web type: nothing runs after the first deploy, a worker is up at once),
// and a detached one-off dyno whose output goes to the log as app[run.N] and which ends `complete`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, waitFor, type AppJson } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import {
  appContainers,
  deploy,
  dynos,
  formation,
  logMark,
  readLog,
  reportDeadDaemon,
  scale,
  SHORT_TIMINGS,
  waitForDynos,
  waitForLines,
  type DynoJson,
} from './helpers.js';

const BOOT_TIMEOUT = 3;

let daemon: TestDaemon;
let email: string;
const apps: AppJson[] = [];

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS, BERTH_BOOT_TIMEOUT: String(BOOT_TIMEOUT), BERTH_CRASH_COOLOFF: '600' } });
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  for (const app of apps) await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
  await daemon?.dispose();
});

async function newApp(prefix: string): Promise<AppJson> {
  const app = await createApp(daemon, prefix);
  apps.push(app);
  return app;
}

describe('boot', () => {
  it('worker-only app: formation worker=0 after the first deploy; scaled to 1 the worker is up at once', async () => {
    const app = await newApp('wonly');
    await deploy(daemon, app.name, fixture('worker-only'));
    await waitForLines(daemon, app.id, [new RegExp(`^app\\[api\\]: Release v3 created by user `), `app[api]: Scaled to worker@0:Basic by user ${email}`]);
    expect((await formation(daemon, app.name)).map((f) => [f.type, f.quantity])).toEqual([['worker', 0]]);
    expect(await dynos(daemon, app.name)).toEqual([]);
    expect(await appContainers(app.id)).toEqual([]);
    const mark = logMark(daemon, app.id);
    await scale(daemon, app.name, [{ type: 'worker', quantity: '1' }]);
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Scaled to worker@1:Basic by user ${email}`,
        'heroku[worker.1]: Starting process with command `python3 worker.py`',
        'heroku[worker.1]: State changed from starting to up',
        /^app\[worker\.1\]: worker tick 1 DYNO=worker\.1$/,
      ],
      { afterSeq: mark },
    );
    await waitForDynos(daemon, app.name, ['worker.1'], 'up', { exact: true });
    // No web formation: scaling one is a 404 with Heroku's message.
    const missing = await api(daemon, 'PATCH', `/apps/${app.name}/formation`, { updates: [{ type: 'web', quantity: 1 }] }).catch((e: unknown) => e);
    expect(String(missing)).toMatch(/404/);
  });

  it('a detached one-off dyno: app[run.N] output, complete, then gone from GET /dynos', async () => {
    const app = apps[0] as AppJson;
    const mark = logMark(daemon, app.id);
    const dyno = await api<DynoJson & { attach_url: string | null }>(daemon, 'POST', `/apps/${app.name}/dynos`, {
      command: 'echo hi from $DYNO',
      attach: false,
    });
    expect(dyno.name).toMatch(/^run\.\d{4}$/);
    expect(dyno.type).toBe('run');
    expect(dyno.attach_url).toBeNull();
    const name = dyno.name.replace('.', '\\.');
    await waitForLines(
      daemon,
      app.id,
      [
        `app[api]: Starting process with command \`echo hi from $DYNO\` by user ${email}`,
        `heroku[${dyno.name}]: Starting process with command \`echo hi from $DYNO\``,
        `heroku[${dyno.name}]: State changed from starting to up`,
        new RegExp(`^app\\[${name}\\]: hi from ${name}$`),
        `heroku[${dyno.name}]: Process exited with status 0`,
        `heroku[${dyno.name}]: State changed from up to complete`,
      ],
      { afterSeq: mark },
    );
    await waitFor('the one-off to leave GET /dynos', async () => !(await dynos(daemon, app.name)).some((d) => d.name === dyno.name));
    expect(await appContainers(app.id, dyno.name)).toEqual([]);
    // worker.1 was not disturbed.
    expect(readLog(daemon, app.id, mark).lines.filter((l) => l.startsWith('heroku[worker.1]'))).toEqual([]);
  });

  it(`R10: a web process that never binds $PORT is killed after ${BOOT_TIMEOUT} s (sequence E), restarted once at once`, async () => {
    const app = await newApp('nobind');
    await deploy(daemon, app.name, fixture('never-binds'));
    const e = [
      'heroku[web.1]: Starting process with command `python3 app.py`',
      `heroku[web.1]: Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${BOOT_TIMEOUT} seconds of launch`,
      'heroku[web.1]: Stopping process with SIGKILL',
      'heroku[web.1]: Process exited with status 137',
      'heroku[web.1]: State changed from starting to crashed',
    ];
    const { rows } = await waitForLines(daemon, app.id, [...e, 'heroku[web.1]: State changed from crashed to starting', ...e]);
    const web = rows.filter((r) => r.source === 'heroku' && r.dyno === 'web.1').map((r) => r.message);
    expect(web.slice(0, 11)).toEqual([...e, 'State changed from crashed to starting', ...e].map((l) => l.replace('heroku[web.1]: ', '')));
    expect(rows.map((r) => `${r.source}[${r.dyno}]: ${r.message}`)).toContain('app[web.1]: never-binds: not listening on $PORT on purpose');
    // It never was up; now it waits out the cool-off (600 s here) as crashed, with no container.
    expect(web).not.toContain('State changed from starting to up');
    await waitForDynos(daemon, app.name, ['web.1'], 'crashed');
    // The exited container is removed right after the crash is recorded (removal is the executor's clean-up, not part
    // of what the API shows): wait for it, within a generous bound.
    let left = await appContainers(app.id);
    for (const deadline = Date.now() + 30_000; left.length > 0 && Date.now() < deadline; left = await appContainers(app.id)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(left).toEqual([]);
  });
});
