// The router's waits under the lesson clock (`berth clock --speed`): H12's 30 s and H20's 75 s pass `speed` times
// faster, with Heroku's lines unchanged; back at speed 1 they are Heroku's again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/router/index.js';
import { appRoute, backend, get, MemoryLog, StaticSource, type Backend } from './support.js';

let source: StaticSource;
let log: MemoryLog;
let router: Router;
let port: number;
let silent: Backend;

beforeEach(async () => {
  source = new StaticSource();
  log = new MemoryLog();
  // A dyno that takes requests and never answers them (the `hang` control's frozen process).
  silent = await backend(() => undefined);
  router = new Router({ source, logplex: log, timeouts: { requestMs: 30_000, bootMs: 75_000, connectMs: 10_000, idleMs: 60_000 } });
  port = await router.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  await router.close();
  silent.server.closeAllConnections();
  await silent.close();
});

describe('the lesson clock in the router', () => {
  it('H12 after 30 lesson seconds: at speed 1000 the request times out at once, with Heroku’s line', async () => {
    source.publish(appRoute('demo', { dynos: [['up', silent.port]] }));
    router.setLessonSpeed(1000);
    expect(router.timeouts.requestMs).toBe(30);
    const reply = await get(port, 'demo.localhost', '/slow');
    expect(reply.status).toBe(503);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H12 desc="Request timeout" method=GET path="\/slow" .* dyno=web\.1 .* status=503 /);
  });

  it('H20 after 75 lesson seconds for a dyno that never comes up', async () => {
    source.publish(appRoute('demo', { dynos: [['starting', silent.port]] }));
    router.setLessonSpeed(1000);
    const reply = await get(port, 'demo.localhost', '/');
    expect(reply.status).toBe(503);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H20 desc="App boot timeout" method=GET path="\/" /);
  });

  it('speed 1 gives Heroku’s timeouts back', () => {
    router.setLessonSpeed(60);
    expect([router.timeouts.requestMs, router.timeouts.bootMs]).toEqual([500, 1250]);
    router.setLessonSpeed(1);
    expect([router.timeouts.requestMs, router.timeouts.bootMs]).toEqual([30_000, 75_000]);
  });
});
