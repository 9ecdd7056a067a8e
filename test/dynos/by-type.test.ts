// Issue 12 item 2 on the memory engine: a process type where a dyno name goes restarts (or stops) all its dynos.
import { afterEach, describe, expect, it } from 'vitest';
import { world, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('ps:restart web / ps:stop web', () => {
  it('restarts every web dyno and no worker; an unknown name is not_found', async () => {
    w = await world();
    w.engine.script(/node web\.js/, async (p) => {
      await p.listen();
      await p.forever();
    });
    w.engine.script(/node worker\.js/, (p) => p.forever());
    await w.release({ web: 'node web.js', worker: 'node worker.js' });
    await w.manager.scale(w.app, [
      { type: 'web', quantity: 2 },
      { type: 'worker', quantity: 1 },
    ]);
    const from = { one: w.lines('web.1').length, two: w.lines('web.2').length, worker: w.lines('worker.1').length };
    expect(w.manager.which(w.app, 'web')).toEqual({ type: 'web' });
    expect(w.manager.which(w.app, 'web.2')).toEqual({ name: 'web.2' });
    await w.manager.restart(w.app, w.manager.which(w.app, 'web'));
    await w.waitForLines('web.1', ['Restarting', 'State changed from starting to up'], from.one);
    await w.waitForLines('web.2', ['Restarting', 'State changed from starting to up'], from.two);
    await w.manager.stop(w.app, w.manager.which(w.app, 'web'));
    await w.waitForLines('web.2', ['Restarting', 'State changed from starting to up', 'Restarting', 'State changed from starting to up'], from.two);
    expect(w.lines('worker.1').slice(from.worker)).toEqual([]);
    expect(() => w?.manager.which(w.app, 'clock')).toThrow("Couldn't find that process.");
  });
});
