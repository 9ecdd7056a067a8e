// Session affinity (`http-session-affinity`): the router's `heroku-session-affinity` cookie pins a client to a web
// dyno while it is up; an app without the feature is spread at random and gets no cookie.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRoute } from '../../src/contracts/routing.js';
import { Router } from '../../src/router/index.js';
import { platform } from '../support/platform.js';
import { appRoute, backend, get, MemoryLog, raw, StaticSource, type Backend } from './support.js';

let source: StaticSource;
let router: Router;
let port: number;
let backends: Backend[];

function affinityRoute(route: AppRoute): AppRoute {
  return { ...route, sessionAffinity: true };
}

/** The cookie's `name=value` from a Set-Cookie header, and the header itself. */
function cookieOf(setCookie: string[] | undefined): { pair: string; header: string } | undefined {
  const header = setCookie?.find((c) => c.startsWith('heroku-session-affinity='));
  return header === undefined ? undefined : { pair: header.split(';')[0] as string, header };
}

beforeEach(async () => {
  source = new StaticSource();
  backends = [await backend(), await backend()];
  router = new Router({ source, logplex: new MemoryLog(), timeouts: { connectMs: 10_000, requestMs: 30_000, idleMs: 30_000 } });
  port = await router.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  await router.close();
  await Promise.all(backends.map((b) => b.close()));
});

const [a, b] = [0, 1];

function ports(): Array<[state: 'up', port: number]> {
  return backends.map((x) => ['up', x.port]);
}

describe('session affinity', () => {
  it('gives a new client the cookie and sends its later requests to the same dyno', async () => {
    source.publish(affinityRoute(appRoute('demo', { dynos: ports() })));
    const first = await get(port, 'demo.localhost');
    expect(first.status).toBe(200);
    const cookie = cookieOf(first.headers['set-cookie']);
    expect(cookie, JSON.stringify(first.headers)).toBeDefined();
    expect(cookie?.header).toMatch(/^heroku-session-affinity=[A-Za-z0-9_-]+; Version=1; Expires=[^;]+ GMT; Max-Age=86400; Path=\/; HttpOnly$/);
    const pinned = backends.findIndex((x) => x.seen.length === 1);
    for (let i = 0; i < 30; i++) {
      const reply = await get(port, 'demo.localhost', '/', { cookie: `theme=dark; ${cookie?.pair}; lang=en` });
      expect(reply.status).toBe(200);
      // The cookie still names an up dyno: nothing new to set.
      expect(cookieOf(reply.headers['set-cookie'])).toBeUndefined();
    }
    expect(backends[pinned]?.seen).toHaveLength(31);
    expect(backends[pinned === a ? b : a]?.seen).toHaveLength(0);
    // The dyno still gets the client's cookies.
    expect(backends[pinned]?.seen[1]?.headers['cookie']).toContain('theme=dark');
  });

  it('finds its cookie after another cookie whose name ends the same way', async () => {
    source.publish(affinityRoute(appRoute('demo', { dynos: ports() })));
    const cookie = cookieOf((await get(port, 'demo.localhost')).headers['set-cookie']);
    const pinned = backends.findIndex((x) => x.seen.length === 1);
    for (let i = 0; i < 10; i++) {
      const reply = await get(port, 'demo.localhost', '/', { cookie: `xheroku-session-affinity=other; ${cookie?.pair}` });
      expect(cookieOf(reply.headers['set-cookie'])).toBeUndefined();
    }
    expect(backends[pinned]?.seen).toHaveLength(11);
  });

  it('moves a client whose dyno is gone to another, with an updated cookie', async () => {
    source.publish(affinityRoute(appRoute('demo', { dynos: ports() })));
    const first = await get(port, 'demo.localhost');
    const cookie = cookieOf(first.headers['set-cookie']);
    const pinned = backends.findIndex((x) => x.seen.length === 1);
    const other = pinned === a ? b : a;
    // The pinned dyno is no longer up: only the other one is in the snapshot.
    source.publish(affinityRoute(appRoute('demo', { dynos: [['up', backends[other]?.port ?? 0]] })));
    const moved = await get(port, 'demo.localhost', '/', { cookie: cookie?.pair ?? '' });
    expect(moved.status).toBe(200);
    expect(backends[other]?.seen).toHaveLength(1);
    const updated = cookieOf(moved.headers['set-cookie']);
    expect(updated).toBeDefined();
    expect(updated?.pair).not.toBe(cookie?.pair);
    // An unknown value is treated as no cookie.
    const junk = await get(port, 'demo.localhost', '/', { cookie: 'heroku-session-affinity=nonsense' });
    expect(cookieOf(junk.headers['set-cookie'])?.pair).toBe(updated?.pair);
  });

  it('sends a WebSocket upgrade to the dyno the cookie names', async () => {
    backends.forEach((x, i) =>
      x.server.on('upgrade', (_req, socket: import('node:net').Socket) => {
        socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Dyno: ${i}\r\n\r\n`);
      }),
    );
    source.publish(affinityRoute(appRoute('demo', { dynos: ports() })));
    const cookie = cookieOf((await get(port, 'demo.localhost')).headers['set-cookie']);
    const pinned = backends.findIndex((x) => x.seen.length === 1);
    for (let i = 0; i < 8; i++) {
      const out = await raw(port, `GET /ws HTTP/1.1\r\nHost: demo.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nCookie: ${cookie?.pair}\r\n\r\n`);
      expect(out).toContain('101 Switching Protocols');
      expect(out).toContain(`X-Dyno: ${pinned}`);
    }
  });

  it('without the feature: no cookie, and requests spread over the dynos whatever the client sends', async () => {
    source.publish(affinityRoute(appRoute('demo', { dynos: ports() })));
    const cookie = cookieOf((await get(port, 'demo.localhost')).headers['set-cookie']);
    source.publish(appRoute('demo', { dynos: ports() }));
    for (let i = 0; i < 40; i++) {
      const reply = await get(port, 'demo.localhost', '/', { cookie: cookie?.pair ?? '' });
      expect(reply.headers['set-cookie']).toBeUndefined();
    }
    // 41 requests in all; all on one dyno by chance has a probability of 2^-39.
    expect(backends[a]?.seen.length).toBeGreaterThan(0);
    expect(backends[b]?.seen.length).toBeGreaterThan(0);
  });
});

describe('the http-session-affinity feature', () => {
  it('puts the app\'s routes in the snapshot with session affinity, at once, and takes it out again', async () => {
    const p = await platform();
    try {
      const app = await p.createApp('sticky');
      const route = async () => {
        await new Promise((r) => setTimeout(r, 0));
        return p.services.dynos.current().byHost.get('sticky.localhost');
      };
      p.services.dynos.republish();
      expect((await route())?.sessionAffinity).toBeUndefined();
      expect((await p.request('PATCH', `/apps/${app.name}/features/http-session-affinity`, { enabled: true })).status).toBe(200);
      await p.services.events.settled();
      expect((await route())?.sessionAffinity).toBe(true);
      expect((await p.request('PATCH', `/apps/${app.name}/features/http-session-affinity`, { enabled: false })).status).toBe(200);
      await p.services.events.settled();
      expect((await route())?.sessionAffinity).toBeUndefined();
    } finally {
      await p.close();
    }
  });
});
