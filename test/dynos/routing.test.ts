// Issue 12 item 1: an existing app is never answered "no such app". Right after a deploy its web dyno is still
// starting (its container may not even exist yet): the router holds the request until the dyno is up. The dyno
// manager (memory engine) publishes the snapshot a real Router reads.
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../src/runtime/index.js';
import { Router } from '../../src/router/index.js';
import type { RoutingSource } from '../../src/contracts/routing.js';
import { harness, type Harness } from '../api/harness.js';
import { get, MemoryLog } from '../router/support.js';
import { world, type World } from './world.js';

let w: World | undefined;
let h: Harness | undefined;
let router: Router | undefined;
afterEach(async () => {
  await router?.close();
  router = undefined;
  const done = w;
  w = undefined;
  await done?.close();
  await h?.close();
  h = undefined;
});

async function routerOver(source: RoutingSource): Promise<number> {
  router = new Router({ source, logplex: new MemoryLog(), timeouts: { bootMs: 20_000 } });
  return router.listen({ host: '127.0.0.1', port: 0 });
}

describe('routing snapshot of an app whose web dyno is not up yet', () => {
  it('a newly created app is routed at once (H14 page, not "no such app")', async () => {
    h = await harness();
    const port = await routerOver(h.routing);
    expect((await h.request('POST', '/apps', { name: 'fresh' })).status).toBe(201);
    await h.events.settled();
    await new Promise((resolve) => setImmediate(resolve));
    const reply = await get(port, 'fresh.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).not.toContain('No such app');
  });

  it('the first request right after the first release became current waits for web.1 and gets its answer', async () => {
    w = await world({
      timings: { bootTimeoutSeconds: 30, stopGraceSeconds: 0.3, crashCooloffSeconds: [0.3], crashResetSeconds: 600, cycleSeconds: 3600, memorySampleSeconds: 0.1 },
    });
    w.engine.script(/node web\.js/, async (p) => {
      await p.listen();
      await p.forever();
    });
    // An engine slow to create the container (Docker takes a moment): web.1 has no container when the request comes.
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const engine = w.engine;
    const start = engine.start.bind(engine);
    engine.start = async (spec: ContainerSpec) => {
      await gate;
      return start(spec);
    };
    const port = await routerOver(w.manager);
    const release = await w.release({ web: 'node web.js' }, {}, { announce: false });
    w.events.emit('release.current', { appId: w.app.id, appName: w.app.name, releaseId: release.id, version: release.version });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const answer = get(port, `${w.app.name}.localhost`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    const reply = await answer;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('web.1\n');
  });
});
