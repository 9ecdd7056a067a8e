// Recovery hands out no port twice (issue 11, fault injection): a dyno relaunched on start must not get the port of
// a dyno adopted after it in the same recovery. An adopted dyno may not listen on its port (a worker never does, a
// web dyno may still be booting), so the pool's probe cannot see it: the ports of every live dyno are claimed first.
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
