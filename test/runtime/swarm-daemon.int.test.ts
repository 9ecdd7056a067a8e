// A real daemon with BERTH_RUNTIME=swarm on the test swarm (a manager and a worker dockerd beside the main engine,
// test/support/swarm.ts): a deploy of fixtures/lifecycle builds on the manager's engine, the release phase runs as a
// swarm job with its output in the log, web dynos run as host-network services on both nodes and serve through the
// router, a crash restarts with Heroku's lines, a restarted daemon adopts the running services, one-offs run (detached
// as a swarm job, attached on the manager), `heroku run:inside` reaches a dyno on either node, and a node that leaves
// has its dyno started again on a node that is up.
import { request } from 'node:http';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, waitFor, type AppJson } from '../support/build.js';
import { herokuWithInput, sandboxedCliEnv, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { stopTestNode, useTestSwarm, type TestSwarm } from '../support/swarm.js';
import { loadSettings } from '../../src/settings.js';
import { deploy, dynos, logMark, readLog, reportDeadDaemon, scale, SHORT_TIMINGS, waitForDynos, waitForLines, type DynoJson } from '../dynos/helpers.js';

let swarm: TestSwarm;
let manager: Docker;
let daemon: TestDaemon;
let app: AppJson;
let email: string;

beforeAll(async () => {
  const settings = loadSettings();
  swarm = await useTestSwarm([settings.stackRunImage, settings.stackBuildImage]);
  manager = new Docker({ socketPath: swarm.manager.socketPath });
  daemon = await startTestDaemon({
    env: {
      ...SHORT_TIMINGS,
      BERTH_RUNTIME: 'swarm',
      BERTH_SWARM_MANAGER: swarm.managerHost,
      BERTH_SWARM_REGISTRY: `${swarm.manager.address}:${await freePort()}`,
      BERTH_SWARM_ENGINES: swarm.engines,
    },
  });
  email = (await api<{ email: string }>(daemon, 'GET', '/account')).email;
  app = await createApp(daemon, 'swarm');
});

afterAll(async () => {
  await reportDeadDaemon(daemon);
  if (daemon && app) await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
  await daemon?.dispose();
});

/** GET / through the router, as a browser asking for <app>.localhost. */
function get(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app.name}.localhost` } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface ServiceTask {
  readonly NodeID?: string;
  readonly Status?: { State?: string };
}

/** The app's swarm services (by dyno name) and the node address each one's running task is on. */
async function servicesByDyno(): Promise<Record<string, { id: string; node: string | undefined }>> {
  const services = await manager.listServices({ filters: { label: [`berth.app=${app.id}`] } });
  const nodes = (await manager.listNodes()) as { ID: string; Spec?: { Labels?: Record<string, string> } }[];
  const out: Record<string, { id: string; node: string | undefined }> = {};
  for (const service of services) {
    // A service removed meanwhile answers 404: it is gone.
    const tasks = (await manager.listTasks({ filters: { service: [service.ID], 'desired-state': ['running'] } }).catch(() => undefined)) as ServiceTask[] | undefined;
    if (tasks === undefined) continue;
    const nodeId = tasks.find((t) => t.Status?.State === 'running')?.NodeID;
    const dyno = service.Spec?.Labels?.['berth.dyno'] ?? '?';
    out[dyno] = { id: service.ID, node: nodes.find((n) => n.ID === nodeId)?.Spec?.Labels?.['berth.address'] };
  }
  return out;
}

describe('Berth on a Docker Swarm (BERTH_RUNTIME=swarm)', () => {
  it('a deploy: the release phase runs as a swarm job with its output, then web.1 runs as a service and serves through the router', async () => {
    await deploy(daemon, app.name, fixture('lifecycle'));
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    await waitForLines(daemon, app.id, [
      `app[api]: Running release v3 commands by user ${email}`,
      /^heroku\[release\.\d{4}\]: Starting process with command `python3 release\.py`$/,
      /^app\[release\.\d{4}\]: release\.py ran for release\.\d{4} GREETING=\(unset\)$/,
      /^heroku\[release\.\d{4}\]: Process exited with status 0$/,
      new RegExp(`^app\\[api\\]: Release v3 created by user ${email}$`),
      'heroku[web.1]: Starting process with command `python3 web.py`',
      'heroku[web.1]: State changed from starting to up',
    ]);
    const services = await servicesByDyno();
    expect(Object.keys(services)).toEqual(['web.1']);
    expect([swarm.manager.address, ...swarm.workers.map((w) => w.address)]).toContain(services['web.1']?.node);
    const answer = await get();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^DYNO=web\.1 /);
  });

  it('web=2: the dynos spread over both nodes, and the router reaches each', async () => {
    await scale(daemon, app.name, [{ type: 'web', quantity: 2 }]);
    await waitForDynos(daemon, app.name, ['web.1', 'web.2'], 'up', { exact: true });
    const services = await servicesByDyno();
    expect(new Set([services['web.1']?.node, services['web.2']?.node])).toEqual(new Set([swarm.manager.address, swarm.workers[0]?.address]));
    const seen = new Set<string>();
    await waitFor('both web dynos to answer through the router', async () => {
      const answer = await get();
      seen.add(answer.body.split(' ')[0] ?? '');
      return seen.has('DYNO=web.1') && seen.has('DYNO=web.2');
    });
  });

  it("a crash: Heroku's lines, and the dyno manager (not the swarm) starts it again at once", async () => {
    const mark = logMark(daemon, app.id);
    await scale(daemon, app.name, [{ type: 'crasher', quantity: 1 }]);
    const crashed = [
      'heroku[crasher.1]: Starting process with command `python3 crash.py`',
      'heroku[crasher.1]: State changed from starting to up',
      'heroku[crasher.1]: Process exited with status 1',
      'heroku[crasher.1]: State changed from up to crashed',
    ];
    await waitForLines(daemon, app.id, [...crashed, 'heroku[crasher.1]: State changed from crashed to starting', ...crashed], { afterSeq: mark });
    expect(readLog(daemon, app.id, mark).lines).toContain('app[crasher.1]: crasher: about to fail');
    await scale(daemon, app.name, [{ type: 'crasher', quantity: 0 }]);
    await waitFor('crasher.1 to go', async () => (await dynos(daemon, app.name)).every((d) => d.name !== 'crasher.1'));
  });

  it('a restarted daemon adopts the running services: the same services, no new start, still serving', async () => {
    const before = await servicesByDyno();
    expect(before['web.1']?.id).toEqual(expect.any(String));
    const mark = logMark(daemon, app.id);
    await daemon.restart();
    await waitForDynos(daemon, app.name, ['web.1', 'web.2'], 'up', { exact: true });
    const after = await servicesByDyno();
    expect(after['web.1']?.id).toBe(before['web.1']?.id);
    expect(after['web.2']?.id).toBe(before['web.2']?.id);
    expect(readLog(daemon, app.id, mark).lines.filter((l) => /^heroku\[web\.\d\]: Starting process/.test(l))).toEqual([]);
    expect((await get()).status).toBe(200);
  });

  it('a detached one-off runs as a swarm job: app[run.N] output, complete, then gone', async () => {
    const mark = logMark(daemon, app.id);
    const command = 'echo hi from $DYNO; sleep 2';
    const dyno = await api<DynoJson>(daemon, 'POST', `/apps/${app.name}/dynos`, { command, attach: false });
    await waitFor(`${dyno.name} as a swarm service`, async () => (await servicesByDyno())[dyno.name] !== undefined);
    await waitForLines(
      daemon,
      app.id,
      [
        `heroku[${dyno.name}]: Starting process with command \`${command}\``,
        `heroku[${dyno.name}]: State changed from starting to up`,
        `app[${dyno.name}]: hi from ${dyno.name}`,
        `heroku[${dyno.name}]: Process exited with status 0`,
        `heroku[${dyno.name}]: State changed from up to complete`,
      ],
      { afterSeq: mark },
    );
    await waitFor(`${dyno.name}'s service to go`, async () => (await servicesByDyno())[dyno.name] === undefined);
  });

  it('heroku run (attached, pinned to the manager) and heroku run:inside a web dyno on either node', async () => {
    const run = await herokuWithInput(sandboxedCliEnv(daemon), ['run', '-a', app.name, '--no-tty', '--exit-code', '--', 'cat; echo done-$DYNO'], 'some input\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('some input\n');
    expect(run.stdout).toMatch(/done-run\.\d{4}/);
    for (const dyno of ['web.1', 'web.2']) {
      const inside = await herokuWithInput(sandboxedCliEnv(daemon), ['run:inside', dyno, '-a', app.name, '--exit-code', '--', 'echo hi from $DYNO; (exit 7)'], '');
      expect(inside.code, inside.stderr).toBe(7);
      expect(inside.stdout).toContain(`hi from ${dyno}`);
    }
  });

  it("a node that leaves: its dyno crashes and starts again on a node that is up, with Heroku's lines", async () => {
    const onWorker = Object.entries(await servicesByDyno()).find(([, service]) => service.node === swarm.workers[0]?.address)?.[0];
    expect(onWorker).toMatch(/^web\.\d$/);
    const dyno = onWorker as string;
    const mark = logMark(daemon, app.id);
    await stopTestNode('worker1');
    try {
      await waitForLines(
        daemon,
        app.id,
        [
          new RegExp(`^heroku\\[${dyno.replace('.', '\\.')}\\]: Process exited with status \\d+$`),
          `heroku[${dyno}]: State changed from up to crashed`,
          `heroku[${dyno}]: State changed from crashed to starting`,
          `heroku[${dyno}]: State changed from starting to up`,
        ],
        { afterSeq: mark, timeoutMs: 180_000 },
      );
      expect((await servicesByDyno())[dyno]?.node).toBe(swarm.manager.address);
      expect((await get()).status).toBe(200);
    } finally {
      // The worker comes back for whatever runs next on the test swarm.
      await useTestSwarm([]);
    }
  });

  it('destroying the app removes its services', async () => {
    expect(Object.keys(await servicesByDyno()).sort()).toEqual(['web.1', 'web.2']);
    await api(daemon, 'DELETE', `/apps/${app.name}`);
    await waitFor('the services to go', async () => Object.keys(await servicesByDyno()).length === 0).catch(async (error: unknown) => {
      const tasks = await manager.listTasks({ filters: { label: [`berth.app=${app.id}`] } });
      throw new Error(`${String(error)}; left: ${JSON.stringify(await servicesByDyno())}; tasks: ${JSON.stringify(tasks.map((t: { ServiceID?: string; Status?: unknown; DesiredState?: string }) => [t.ServiceID, t.DesiredState, t.Status]))}; daemon: ${daemon.output().slice(-3000)}`);
    });
  });
});
