// The `slow-router` teaching control: the router holds each request of the app before forwarding it; the wait counts
// against H12's 30 s (on the lesson clock), so a delay past it ends in Heroku's H12 line without reaching the dyno,
// and a shorter one still reaches it. Other apps are not slowed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/router/index.js';
import { appRoute, backend, get, MemoryLog, StaticSource, type Backend } from './support.js';

let source: StaticSource;
let log: MemoryLog;
let router: Router;
let port: number;
let web: Backend;
const delays = new Map<string, number>();

beforeEach(async () => {
  source = new StaticSource();
  log = new MemoryLog();
  web = await backend();
  router = new Router({ source, logplex: log, timeouts: { requestMs: 30_000 }, delayMs: (appId) => delays.get(appId) ?? 0 });
  port = await router.listen({ host: '127.0.0.1', port: 0 });
  source.publish(appRoute('slow', { dynos: [['up', web.port]] }), appRoute('fast', { dynos: [['up', web.port]] }));
  router.setLessonSpeed(1000);
});

afterEach(async () => {
  delays.clear();
  await router.close();
  await web.close();
});

describe('slow-router', () => {
  it('a delay past 30 lesson seconds: H12 with Heroku’s line, the dyno never sees the request; other apps answer', async () => {
    delays.set('id-slow', 35_000);
    expect(router.delayMs('id-slow')).toBe(35);
    const reply = await get(port, 'slow.localhost', '/report');
    expect(reply.status).toBe(503);
    const [line] = await log.settled('id-slow');
    expect(line).toMatch(/^at=error code=H12 desc="Request timeout" method=GET path="\/report" host=slow\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=503 bytes=0 protocol=http1.1 tls=false$/);
    expect(web.seen).toEqual([]);
    expect((await get(port, 'fast.localhost', '/')).status).toBe(200);
  });

  it('a shorter delay still reaches the dyno: its line shows the wait in service=', async () => {
    delays.set('id-slow', 20_000);
    const reply = await get(port, 'slow.localhost', '/');
    expect(reply.status).toBe(200);
    expect(web.seen.map((s) => s.url)).toEqual(['/']);
    const [line] = await log.settled('id-slow');
    const service = Number(/ service=(\d+)ms /.exec(line ?? '')?.[1]);
    expect(service).toBeGreaterThanOrEqual(20);
  });
});
