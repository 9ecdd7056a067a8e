// Dynos on other nodes (issue 19): a dyno's container may run on another machine (a swarm node), so a dyno is reached
// at its node's address, not only at 127.0.0.1. On the memory engine a dyno is placed on another loopback address
// (127.0.0.2, ...: any 127.x address is loopback on Linux, so a real server listens there): its boot probe, the routing
// snapshot and a real Router (HTTP and WebSockets) follow the address; a node that answers nothing gets R10, and a node
// that leaves crashes its dynos with Heroku's lines and they restart wherever the engine puts them.
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { RoutingSource } from '../../src/contracts/routing.js';
import { Router } from '../../src/router/index.js';
import { get, MemoryLog } from '../router/support.js';
import { world, type World } from './world.js';

let w: World | undefined;
let router: Router | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await router?.close();
  router = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
  const done = w;
  w = undefined;
  await done?.close();
  expect(done?.eventErrors ?? []).toEqual([]);
});

async function routerOver(source: RoutingSource): Promise<number> {
  router = new Router({ source, logplex: new MemoryLog(), timeouts: { bootMs: 20_000 } });
  return router.listen({ host: '127.0.0.1', port: 0 });
}

/** The app's routed web dynos, once the snapshot built after the last change is out. */
async function routed(w: World): Promise<Array<{ name: string; state: string; host: string; port: number }>> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  return [...(w.manager.current().byHost.get(`${w.app.name}.localhost`)?.dynos ?? [])];
}

const WEB = { web: 'node web.js' };

describe('dynos on other nodes (memory engine)', () => {
  it('a web dyno on node 127.0.0.2 boots (its probe reaches it there), is routed to 127.0.0.2 and serves', async () => {
    w = await world();
    w.engine.script(/node web\.js/, async (p) => {
      p.print(`listening on ${p.node}`);
      await p.listen();
      await p.forever();
    });
    w.engine.place(() => true, '127.0.0.2');
    await w.release(WEB);
    await w.waitForLines('web.1', ['Starting process with command `node web.js`', 'State changed from starting to up']);
    expect(w.lines('web.1')).toEqual(['Starting process with command `node web.js`', 'State changed from starting to up']);
    expect(w.lines()).toContain('app[web.1]: listening on 127.0.0.2');
    const [dyno] = await routed(w);
    expect(dyno).toMatchObject({ name: 'web.1', state: 'up', host: '127.0.0.2' });
    const port = await routerOver(w.manager);
    const reply = await get(port, `${w.app.name}.localhost`);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('web.1\n');
  });

  it('a restarted daemon adopts a dyno on another node at its node address', async () => {
    w = await world();
    w.engine.script(/node web\.js/, async (p) => {
      await p.listen();
      await p.forever();
    });
    w.engine.place(() => true, '127.0.0.2');
    await w.release(WEB);
    await w.waitForLines('web.1', ['State changed from starting to up']);
    const before = (await routed(w))[0];
    await w.restartDaemon();
    expect((await routed(w))[0]).toEqual({ ...before, host: '127.0.0.2' });
    expect(w.lines('web.1')).toEqual(['Starting process with command `node web.js`', 'State changed from starting to up']);
  });

  it('a WebSocket to a dyno on another node is tunnelled to that node', async () => {
    w = await world();
    w.engine.script(/node ws\.js/, async (p) => {
      const wss = new WebSocketServer({ host: p.node, port: p.port });
      cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
      wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo from ${p.node}: ${String(data)}`)));
      await new Promise((resolve) => wss.once('listening', resolve));
      await p.forever();
    });
    w.engine.place(() => true, '127.0.0.2');
    await w.release({ web: 'node ws.js' });
    await w.waitForLines('web.1', ['State changed from starting to up']);
    await routed(w);
    const port = await routerOver(w.manager);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`, { headers: { Host: `${w.app.name}.localhost` } });
    const answer = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hi'));
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    ws.close();
    expect(answer).toBe('echo from 127.0.0.2: hi');
  });

  it('R10 as today when the node address answers nothing (the process bound 127.0.0.1, its node is 127.0.0.3)', async () => {
    w = await world({
      timings: { bootTimeoutSeconds: 0.3, stopGraceSeconds: 0.3, crashCooloffSeconds: [60], crashResetSeconds: 600, cycleSeconds: 3600, memorySampleSeconds: 1 },
    });
    w.engine.script(/node web\.js/, async (p) => {
      // Bound where the old probe looked, not where the dyno's node is reached.
      const server = createServer((_req, res) => res.end('wrong place\n'));
      await new Promise<void>((resolve) => server.listen(p.port, '127.0.0.1', resolve));
      cleanups.push(() => void server.close());
      p.trap('SIGTERM');
      await p.forever();
    });
    w.engine.place(() => true, '127.0.0.3');
    await w.release(WEB);
    const e = [
      'Starting process with command `node web.js`',
      'Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 0.3 seconds of launch',
      'Stopping process with SIGKILL',
      'Process exited with status 137',
      'State changed from starting to crashed',
    ];
    const lines = await w.waitForLines('web.1', e);
    expect(lines.slice(0, e.length)).toEqual(e);
  });

  it('a node that leaves: its dyno goes crashed with Heroku lines, restarts on another node, and the routing follows', async () => {
    w = await world();
    w.engine.script(/node web\.js/, async (p) => {
      await p.listen((_req, res) => res.end(`served from ${p.node}\n`));
      await p.forever();
    });
    w.engine.place(() => true, '127.0.0.2');
    await w.release(WEB);
    await w.waitForLines('web.1', ['State changed from starting to up']);
    expect((await routed(w))[0]).toMatchObject({ state: 'up', host: '127.0.0.2' });
    const port = await routerOver(w.manager);
    expect((await get(port, `${w.app.name}.localhost`)).body).toBe('served from 127.0.0.2\n');

    // The engine now places new tasks on the node that stays; 127.0.0.2 leaves the swarm.
    w.engine.place(() => true, '127.0.0.4');
    const from = w.lines('web.1').length;
    w.engine.leave('127.0.0.2');
    const after = [
      'Process exited with status 137',
      'State changed from up to crashed',
      'State changed from crashed to starting',
      'Starting process with command `node web.js`',
      'State changed from starting to up',
    ];
    const lines = await w.waitForLines('web.1', after, from);
    expect(lines.slice(0, after.length)).toEqual(after);
    expect((await routed(w))[0]).toMatchObject({ name: 'web.1', state: 'up', host: '127.0.0.4' });
    expect((await get(port, `${w.app.name}.localhost`)).body).toBe('served from 127.0.0.4\n');
    expect(await w.containers('web.1')).toHaveLength(1);
  });
});
