// Recovery after a daemon killed with SIGKILL (issue 11, fault injection; test/faults/kill-daemon.int.test.ts does it
// on the real engine): a dyno relaunched on start must not get the port of a dyno adopted after it in the same
// recovery (an adopted dyno may not listen on its port: a worker never does, a web dyno may still be booting, so the
// pool's probe cannot see it), and what an adopted dyno printed while no daemon ran is logged, once.
import { afterEach, expect, it } from 'vitest';
import { world, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  const done = w;
  w = undefined;
  await done?.close();
  expect(done?.eventErrors ?? []).toEqual([]);
});

function ports(world: World): Array<[string, number | null]> {
  return world.manager.dynos(world.app).map((d) => [d.name, d.port]);
}

it('a dyno lost while no daemon watched is relaunched on a port no adopted dyno holds', async () => {
  w = await world();
  w.engine.script(/node web\.js/, async (p) => {
    await p.listen();
    await p.forever();
  });
  // A worker holds a $PORT it never listens on.
  w.engine.script(/node worker\.js/, async (p) => {
    await p.forever();
  });
  await w.release({ web: 'node web.js', worker: 'node worker.js' });
  await w.waitForLines('web.1', ['State changed from starting to up']);
  await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
  await w.waitForLines('worker.1', ['State changed from starting to up']);
  // Move web.1 off the pool's first port, then (a new daemon's pool starts again from it) put worker.1 on it.
  await w.manager.restart(w.app, { name: 'web.1' });
  await w.waitForLines('web.1', ['Restarting', 'State changed from starting to up']);
  await w.restartDaemon();
  await w.manager.restart(w.app, { name: 'worker.1' });
  await w.waitForLines('worker.1', ['Restarting', 'State changed from starting to up']);
  const workerPort = ports(w).find(([name]) => name === 'worker.1')?.[1];

  // web.1 (the first row) dies while the daemon is down; the next daemon relaunches it and adopts worker.1.
  w.manager.detachAll();
  const [web] = await w.engine.listByLabel({ app: w.app.id, dyno: 'web.1' });
  if (web) await w.engine.remove(web.id);
  const from = w.lines('web.1').length;
  await w.restartDaemon();
  await w.waitForLines('web.1', ['State changed from up to crashed', 'State changed from crashed to starting', 'State changed from starting to up'], from);

  const now = ports(w);
  expect(now.find(([name]) => name === 'worker.1')?.[1]).toBe(workerPort);
  expect(new Set(now.map(([, port]) => port)).size).toBe(now.length);
});

it('an adopted dyno: what it printed while no daemon ran is logged, and nothing printed before is logged twice', async () => {
  w = await world();
  w.engine.script(/node worker\.js/, async (p) => {
    p.print('worker up');
    await p.forever();
  });
  await w.release({ worker: 'node worker.js' });
  await w.manager.scale(w.app, [{ type: 'worker', quantity: 1 }]);
  await w.waitForLines('worker.1', ['State changed from starting to up']);
  await waitForAppLine(w, 'app[worker.1]: worker up');
  await new Promise((resolve) => setTimeout(resolve, 30));
  // The daemon dies: it hears nothing any more (its follow streams end with it).
  w.manager.detachAll();
  w.engine.dropConnections();
  await new Promise((resolve) => setTimeout(resolve, 30));
  w.engine.process({ dyno: 'worker.1' })?.print('printed while no daemon ran');
  // The next daemon starts a while later (engines date log lines to the second).
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await w.restartDaemon();
  await waitForAppLine(w, 'app[worker.1]: printed while no daemon ran');
  expect(w.lines().filter((l) => l.startsWith('app[worker.1]'))).toEqual(['app[worker.1]: worker up', 'app[worker.1]: printed while no daemon ran']);
});

async function waitForAppLine(world: World, line: string): Promise<void> {
  for (let tries = 0; !world.lines().includes(line); tries++) {
    if (tries > 500) throw new Error(`no line ${line} in:\n${world.lines().join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
