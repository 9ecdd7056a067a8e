// The dyno manager and its executor on the in-memory engine: real sequences (a web dyno that binds, crashes, never
// binds, ignores SIGTERM, runs out of memory; scaling; restarts onto a new release; the release phase; recovery after
// a daemon restart; engine failures), each checked against Heroku's lines, verbatim.
import { afterEach, describe, expect, it } from 'vitest';
import { EMAIL, MB, world, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  const done = w;
  w = undefined;
  await done?.close();
  expect(done?.eventErrors ?? []).toEqual([]);
});

async function started(): Promise<World> {
  w = await world();
  w.engine.script(/node web\.js/, async (p) => {
    p.print(`web booting GREETING=${p.env['GREETING'] ?? '(unset)'}`);
    await p.listen();
    await p.forever();
  });
  w.engine.script(/node worker\.js/, async (p) => {
    p.print('worker up');
    await p.forever();
  });
  return w;
}

const PROCFILE = { web: 'node web.js', worker: 'node worker.js' };

describe('dyno manager on the memory engine', () => {
  it('first deploy: web=1 (others 0), Scaled to, web.1 boots, binds $PORT and is up; the router sees it', async () => {
    const w = await started();
    const seen: string[] = [];
    w.manager.subscribe((table) => seen.push(JSON.stringify([...table.byHost.values()].map((r) => r.dynos))));
    await w.release(PROCFILE);
    await w.waitForLines('web.1', ['Starting process with command `node web.js`', 'State changed from starting to up']);
    expect(w.lines().filter((l) => l.startsWith('app[api]'))).toEqual([`app[api]: Scaled to web@1:Basic worker@0:Basic by user ${EMAIL}`]);
    expect(w.lines('web.1')).toEqual(['Starting process with command `node web.js`', 'State changed from starting to up']);
    expect(w.lines()).toContain('app[web.1]: web booting GREETING=(unset)');
    const [web] = w.manager.dynos(w.app);
    expect(web).toMatchObject({ name: 'web.1', state: 'up', releaseVersion: 1, command: 'node web.js', size: 'Basic' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    const route = w.manager.current().byHost.get(`${w.app.name}.localhost`);
    expect(route?.webQuantity).toBe(1);
    expect(route?.dynos).toEqual([{ name: 'web.1', state: 'up', host: '127.0.0.1', port: web?.port }]);
    // The process was really reachable on its port.
    expect(await fetch(`http://127.0.0.1:${web?.port}/`).then((r) => r.text())).toBe('web.1\n');
    expect(seen.length).toBeGreaterThan(0);
  });

  it('a new release restarts every dyno with sequence B, onto its config; the row says which release', async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.manager.scale(w.app, [{ type: 'worker', quantity: '1' }]);
    await w.waitForLines('worker.1', ['State changed from starting to up']);
    await w.waitForLines('web.1', ['State changed from starting to up']);
    const from = { web: w.lines('web.1').length, worker: w.lines('worker.1').length };
    await w.release(PROCFILE, { GREETING: 'hello-v2' });
    await w.waitForLines('web.1', ['State changed from starting to up'], from.web);
    expect(w.lines('web.1').slice(from.web)).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `node web.js`',
      'State changed from starting to up',
    ]);
    await w.waitForLines('worker.1', ['State changed from starting to up'], from.worker);
    expect(w.lines('worker.1').slice(from.worker)).toEqual([
      'Restarting',
      'State changed from up to starting',
      'Stopping all processes with SIGTERM',
      'Process exited with status 143',
      'Starting process with command `node worker.js`',
      'State changed from starting to up',
    ]);
    expect(w.lines()).toContain('app[web.1]: web booting GREETING=hello-v2');
    expect(w.manager.dynos(w.app).map((d) => [d.name, d.releaseVersion])).toEqual([
      ['web.1', 2],
      ['worker.1', 2],
    ]);
    expect(w.store.dynos.dynos(w.app.id).map((d) => d.releaseVersion)).toEqual([2, 2]);
    expect(await w.containers()).toHaveLength(2);
  });

  it('crash loop (sequence D): the first restart is at once, the next after the cool-off', async () => {
    const w = await started();
    w.engine.script(/node crash\.js/, (p) => {
      p.print('about to fail');
      return 1;
    });
    await w.release({ ...PROCFILE, crasher: 'node crash.js' });
    await w.manager.scale(w.app, [{ type: 'crasher', quantity: 1 }]);
    const once = [
      'Starting process with command `node crash.js`',
      'State changed from starting to up',
      'Process exited with status 1',
      'State changed from up to crashed',
    ];
    const lines = await w.waitForLines('crasher.1', [...once, 'State changed from crashed to starting', ...once, 'State changed from crashed to starting', ...once]);
    expect(lines.slice(0, 9)).toEqual([...once, 'State changed from crashed to starting', ...once]);
    expect(w.lines()).toContain('app[crasher.1]: about to fail');
    // Scaled away while crashed: crashed → down, and no container is left.
    await w.waitForLines('crasher.1', ['Process exited with status 1', 'State changed from up to crashed'], 9);
    const from = w.lines('crasher.1').length;
    await w.manager.scale(w.app, [{ type: 'crasher', quantity: 0 }]);
    const after = w.lines('crasher.1').slice(from);
    expect(after.at(-1)).toBe(after.includes('Stopping all processes with SIGTERM') ? 'Process exited with status 143' : 'State changed from crashed to down');
    expect(await w.containers('crasher.1')).toEqual([]);
    expect(w.manager.dynos(w.app).some((d) => d.name === 'crasher.1')).toBe(false);
  });

  it('R10 (sequence E): a web process that never binds $PORT is killed, 137, crashed, restarted at once', async () => {
    w = await world({
      timings: { bootTimeoutSeconds: 0.3, stopGraceSeconds: 0.3, crashCooloffSeconds: [60], crashResetSeconds: 600, cycleSeconds: 3600, memorySampleSeconds: 1 },
    });
    w.engine.script(/never-binds/, async (p) => {
      p.print('not listening on $PORT on purpose');
      await p.forever();
    });
    await w.release({ web: 'python3 never-binds.py' });
    const e = [
      'Starting process with command `python3 never-binds.py`',
      'Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 0.3 seconds of launch',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from starting to crashed',
    ];
    const lines = await w.waitForLines('web.1', [...e, 'State changed from crashed to starting', ...e]);
    expect(lines).toEqual([...e, 'State changed from crashed to starting', ...e]);
    expect(w.manager.dynos(w.app)[0]?.state).toBe('crashed');
    expect(await w.containers()).toEqual([]);
  });

  it('R12 (sequence F): a process that ignores SIGTERM is killed after the grace when scaled away', async () => {
    const w = await started();
    w.engine.script(/node stubborn\.js/, async (p) => {
      p.trap('SIGTERM', () => p.print('ignoring SIGTERM'));
      await p.forever();
    });
    await w.release({ ...PROCFILE, stubborn: 'node stubborn.js' });
    await w.manager.scale(w.app, [{ type: 'stubborn', quantity: 1 }]);
    const from = w.lines('stubborn.1').length;
    await w.manager.scale(w.app, [{ type: 'stubborn', quantity: 0 }]);
    expect(w.lines('stubborn.1').slice(from)).toEqual([
      'State changed from up to down',
      'Stopping all processes with SIGTERM',
      'Error R12 (Exit timeout) -> At least one process failed to exit within 0.3 seconds of SIGTERM',
      'Stopping remaining processes with SIGKILL',
      'Process exited with status 137',
    ]);
    expect(w.lines()).toContain('app[stubborn.1]: ignoring SIGTERM');
    expect(await w.containers('stubborn.1')).toEqual([]);
  });

  it('R14 above the quota, then R15 and SIGKILL past twice the quota (the container limit)', async () => {
    const w = await started();
    let grow: () => void = () => undefined;
    w.engine.script(/node hog\.js/, async (p) => {
      p.memory(600 * MB);
      await new Promise<void>((resolve) => (grow = resolve));
      p.memory(1100 * MB);
      await p.forever();
    });
    await w.release({ ...PROCFILE, hog: 'node hog.js' });
    await w.manager.scale(w.app, [{ type: 'hog', quantity: 1 }]);
    await w.waitForLines('hog.1', ['Process running mem=600M(117.2%)', 'Error R14 (Memory quota exceeded)']);
    const from = w.lines('hog.1').length;
    grow();
    const lines = await w.waitForLines('hog.1', ['State changed from crashed to starting'], from);
    expect(lines.slice(0, 6)).toEqual([
      'Process running mem=1024M(200.0%)',
      'Error R15 (Memory quota vastly exceeded)',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from up to crashed',
      'State changed from crashed to starting',
    ]);
  });

  it('scale web=3, then web=1: web.2 and web.3 go up → down with SIGTERM; Scaled to each time', async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.waitForLines('web.1', ['State changed from starting to up']);
    const web1 = w.lines('web.1').length;
    const changed = await w.manager.scale(w.app, [{ type: 'web', quantity: '3' }]);
    expect(changed.map((f) => [f.type, f.quantity])).toEqual([['web', 3]]);
    for (const name of ['web.2', 'web.3']) await w.waitForLines(name, ['Starting process with command `node web.js`', 'State changed from starting to up']);
    expect(new Set(w.manager.dynos(w.app).map((d) => d.port)).size).toBe(3);
    await w.manager.scale(w.app, [{ type: 'web', quantity: '-2' }]);
    for (const name of ['web.2', 'web.3']) {
      expect(w.lines(name).slice(2)).toEqual(['State changed from up to down', 'Stopping all processes with SIGTERM', 'Process exited with status 143']);
    }
    expect(w.lines('web.1').slice(web1)).toEqual([]);
    expect(w.manager.dynos(w.app).map((d) => d.name)).toEqual(['web.1']);
    expect(await w.containers()).toHaveLength(1);
    expect(w.lines().filter((l) => l.startsWith('app[api]'))).toEqual([
      `app[api]: Scaled to web@1:Basic worker@0:Basic by user ${EMAIL}`,
      `app[api]: Scaled to web@3:Basic worker@0:Basic by user ${EMAIL}`,
      `app[api]: Scaled to web@1:Basic worker@0:Basic by user ${EMAIL}`,
    ]);
  });

  it('ps:restart of one dyno while another keeps running; ps:stop restarts it (Common Runtime)', async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.manager.scale(w.app, [{ type: 'web', quantity: 2 }]);
    for (const name of ['web.1', 'web.2']) await w.waitForLines(name, ['State changed from starting to up']);
    const from = { one: w.lines('web.1').length, two: w.lines('web.2').length };
    await w.manager.restart(w.app, { name: 'web.1' });
    await w.waitForLines('web.1', ['Restarting', 'State changed from starting to up'], from.one);
    await w.manager.stop(w.app, { name: 'web.1' });
    await w.waitForLines('web.1', ['Restarting', 'State changed from starting to up', 'Restarting', 'State changed from starting to up'], from.one);
    expect(w.lines('web.2').slice(from.two)).toEqual([]);
    await expect(w.manager.restart(w.app, { name: 'web.9' })).rejects.toThrow();
  });

  it('release phase: output to the sink and the log as app[release.N]; status 0 passes, 2 fails', async () => {
    const w = await started();
    w.engine.script(/migrate-ok/, (p) => {
      p.print('migrated');
      return 0;
    });
    w.engine.script(/migrate-bad/, (p) => {
      p.printError('migration failed');
      return 2;
    });
    const release = await w.release({ ...PROCFILE, release: 'migrate-ok' }, {}, { announce: false });
    let output = '';
    expect(await w.manager.runReleasePhase(release, 'migrate-ok', (text) => (output += text))).toBe(true);
    expect(output).toBe('migrated\n');
    expect(await w.manager.runReleasePhase(release, 'migrate-bad', () => undefined)).toBe(false);
    const lines = w.lines().filter((l) => l.startsWith('heroku[release.') || l.startsWith('app[release.'));
    const strip = lines.map((l) => l.replace(/release\.\d+/, 'release.N'));
    expect(strip).toEqual([
      'heroku[release.N]: Starting process with command `migrate-ok`',
      'heroku[release.N]: State changed from starting to up',
      'app[release.N]: migrated',
      'heroku[release.N]: Process exited with status 0',
      'heroku[release.N]: State changed from up to complete',
      'heroku[release.N]: Starting process with command `migrate-bad`',
      'heroku[release.N]: State changed from starting to up',
      'app[release.N]: migration failed',
      'heroku[release.N]: Process exited with status 2',
      'heroku[release.N]: State changed from up to complete',
    ]);
    expect(await w.engine.listByLabel({ role: 'release' })).toEqual([]);
    // No release phase without a runnable artifact.
    expect(await w.manager.runReleasePhase({ ...release, artifact: null }, 'migrate-ok', () => undefined)).toBe(false);
  });

  it('a detached one-off: app[api] line, its output, complete, and gone from the list', async () => {
    const w = await started();
    w.engine.script(/echo hi/, (p) => {
      p.print(`hi from ${p.env['DYNO']}`);
      return 0;
    });
    await w.release(PROCFILE);
    const record = w.manager.runOneOff(w.app, { command: 'echo hi', attach: false, env: {} });
    expect(record.name).toMatch(/^run\.\d{4}$/);
    await w.waitForLines(record.name, ['State changed from up to complete']);
    expect(w.lines(record.name)).toEqual([
      'Starting process with command `echo hi`',
      'State changed from starting to up',
      'Process exited with status 0',
      'State changed from up to complete',
    ]);
    expect(w.lines()).toContain(`app[api]: Starting process with command \`echo hi\` by user ${EMAIL}`);
    expect(w.lines()).toContain(`app[${record.name}]: hi from ${record.name}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(w.manager.dynos(w.app).some((d) => d.name === record.name)).toBe(false);
  });

  it('ps:stop run.N sends the one-off SIGTERM: 143, complete', async () => {
    const w = await started();
    w.engine.script(/sleep 3600/, (p) => p.forever());
    await w.release(PROCFILE);
    const record = w.manager.runOneOff(w.app, { command: 'sleep 3600', attach: false, env: {} });
    await w.waitForLines(record.name, ['State changed from starting to up']);
    await w.manager.stop(w.app, { name: record.name });
    await w.waitForLines(record.name, ['Process exited with status 143', 'State changed from up to complete']);
    expect(await w.engine.listByLabel({ role: 'run' })).toEqual([]);
  });

  it('scale to 0 answers only once the container is removed, however slow the engine is to remove it', async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
    await w.waitForLines('worker.1', ['State changed from starting to up']);
    const engine = w.engine;
    const remove = engine.remove.bind(engine);
    let allow: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (allow = resolve));
    engine.remove = async (id) => {
      await gate;
      return remove(id);
    };
    let answered = false;
    const scaled = w.manager.scale(w.app, [{ type: 'worker', quantity: 0 }]).then(() => (answered = true));
    await w.waitForLines('worker.1', ['Process exited with status 143']);
    // The process has ended, its container is not removed yet: `ps:scale worker=0` has not answered.
    expect(answered).toBe(false);
    allow();
    await scaled;
    expect(await w.containers('worker.1')).toEqual([]);
  });

  it('app destroyed: every dyno stops and no container of the app is left', async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.manager.scale(w.app, [{ type: 'worker', quantity: 2 }]);
    expect(await w.containers()).toHaveLength(3);
    await w.manager.removeApp(w.app.id);
    expect(await w.engine.listByLabel({ app: w.app.id })).toEqual([]);
    expect(w.manager.dynos(w.app)).toEqual([]);
  });
});

describe('engine failures (issue 11, item 5)', () => {
  it('a wait that fails once (connection reset) is retried after inspecting: the dyno stays up, its crash is still seen', async () => {
    const w = await started();
    w.engine.failNext('wait');
    await w.release({ worker: 'node worker.js' });
    await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
    await w.waitForLines('worker.1', ['State changed from starting to up']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(w.manager.dynos(w.app)[0]?.state).toBe('up');
    const proc = w.engine.process({ dyno: 'worker.1' });
    await proc?.exit(3);
    await w.waitForLines('worker.1', ['Process exited with status 3', 'State changed from up to crashed', 'State changed from crashed to starting']);
  });

  it('the engine drops every connection, or is down for a moment: the dyno stays up, and its end is still seen', async () => {
    const w = await started();
    await w.release({ worker: 'node worker.js' });
    await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
    await w.waitForLines('worker.1', ['State changed from starting to up']);
    const from = w.lines('worker.1').length;
    w.engine.dropConnections();
    w.engine.down();
    await new Promise((resolve) => setTimeout(resolve, 300));
    w.engine.up();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(w.lines('worker.1').slice(from)).toEqual([]);
    expect(w.manager.dynos(w.app)[0]?.state).toBe('up');
    await w.engine.process({ dyno: 'worker.1' })?.exit(4);
    await w.waitForLines('worker.1', ['Process exited with status 4', 'State changed from up to crashed'], from);
  });

  it('a container whose end the engine cannot tell at all: crashed and restarted, its port given back', async () => {
    const w = await started();
    await w.release({ worker: 'node worker.js' });
    await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
    const first = w.manager.dynos(w.app)[0];
    const from = w.lines('worker.1').length;
    // Every wait and inspect of the next instance fails.
    for (let i = 0; i < 3; i++) w.engine.failNext('wait').failNext('state');
    await w.manager.restart(w.app);
    await w.waitForLines('worker.1', ['Restarting', 'Starting process with command `node worker.js`', 'State changed from up to crashed', 'State changed from crashed to starting'], from);
    await w.waitForLines('worker.1', ['State changed from crashed to starting', 'State changed from starting to up'], from);
    expect(await w.containers('worker.1')).toHaveLength(1);
    expect(first?.port).not.toBeNull();
  }, 20_000);

  it('a launch the engine refuses: Error launching process, crashed, and the immediate restart', async () => {
    const w = await started();
    await w.release({ worker: 'node worker.js' });
    w.engine.failNext('start');
    await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
    await w.waitForLines('worker.1', [
      'Starting process with command `node worker.js`',
      'Error launching process: socket hang up',
      'State changed from starting to crashed',
      'State changed from crashed to starting',
      'Starting process with command `node worker.js`',
      'State changed from starting to up',
    ]);
  });
});

describe('recovery after a daemon restart (issue 11, item 2)', () => {
  it('adopts running dynos with their containers and ports, writing no line', async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
    const before = w.manager.dynos(w.app).map((d) => [d.name, d.containerId, d.port, d.state]);
    const from = w.lines().length;
    await w.restartDaemon();
    expect(w.manager.dynos(w.app).map((d) => [d.name, d.containerId, d.port, d.state])).toEqual(before);
    expect(w.lines().slice(from).filter((l) => l.startsWith('heroku['))).toEqual([]);
    // The adopted worker's exit is still seen.
    await w.engine.process({ dyno: 'worker.1' })?.exit(1);
    await w.waitForLines('worker.1', ['Process exited with status 1', 'State changed from up to crashed']);
  });

  it('deploy v2, daemon restart, then ps:restart: the dyno comes back on v2 with its config, not v1', async () => {
    const w = await started();
    await w.release(PROCFILE, { GREETING: 'v1' });
    await w.waitForLines('web.1', ['State changed from starting to up']);
    await w.release(PROCFILE, { GREETING: 'v2' });
    await w.waitForLines('web.1', ['Restarting', 'State changed from starting to up']);
    await w.restartDaemon();
    expect(w.manager.dynos(w.app)[0]?.releaseVersion).toBe(2);
    const from = w.lines('web.1').length;
    await w.manager.restart(w.app);
    await w.waitForLines('web.1', ['Restarting', 'State changed from starting to up'], from);
    expect(w.engine.process({ dyno: 'web.1' })?.env['GREETING']).toBe('v2');
    expect(w.manager.dynos(w.app)[0]?.releaseVersion).toBe(2);
  });

  it('a dyno adopted on a release that is no longer current (killed during a deploy) is restarted onto it', async () => {
    const w = await started();
    await w.release(PROCFILE, { GREETING: 'v1' });
    await w.waitForLines('web.1', ['State changed from starting to up']);
    // The daemon dies after v2 became current but before web.1 restarted onto it.
    w.manager.detachAll();
    await w.release(PROCFILE, { GREETING: 'v2' }, { announce: false });
    const from = w.lines('web.1').length;
    await w.restartDaemon();
    await w.waitForLines('web.1', ['Restarting', 'State changed from up to starting', 'Stopping all processes with SIGTERM', 'Process exited with status 143', 'Starting process with command `node web.js`', 'State changed from starting to up'], from);
    expect(w.engine.process({ dyno: 'web.1' })?.env['GREETING']).toBe('v2');
    expect(w.manager.dynos(w.app).map((d) => [d.name, d.releaseVersion, d.state])).toEqual([['web.1', 2, 'up']]);
    expect(await w.containers()).toHaveLength(1);
  });

  it('a dyno whose container died while no daemon watched: crashed, restarted at once on the current release', async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.waitForLines('web.1', ['State changed from starting to up']);
    w.manager.detachAll();
    for (const c of await w.engine.listByLabel({ app: w.app.id })) await w.engine.remove(c.id);
    const from = w.lines('web.1').length;
    await w.restartDaemon();
    await w.waitForLines('web.1', ['State changed from up to crashed', 'State changed from crashed to starting', 'Starting process with command `node web.js`', 'State changed from starting to up'], from);
    expect(await w.containers()).toHaveLength(1);
  });

});

describe('removing a container', () => {
  it("a container is removed even when reading its diff never answers (a swarm node's engine that is gone)", async () => {
    const w = await started();
    await w.release(PROCFILE);
    await w.manager.scale(w.app, [{ type: 'worker', quantity: '1' }]);
    await w.waitForLines('worker.1', ['State changed from starting to up']);
    w.engine.changes = () => new Promise(() => undefined);
    await w.manager.scale(w.app, [{ type: 'worker', quantity: '0' }]);
    await w.waitForLines('worker.1', ['State changed from up to down']);
    for (let i = 0; i < 100 && (await w.engine.listByLabel({ app: w.app.id, dyno: 'worker.1' })).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await w.engine.listByLabel({ app: w.app.id, dyno: 'worker.1' })).toEqual([]);
  });
});
