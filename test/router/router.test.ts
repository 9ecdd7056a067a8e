// The router against real loopback HTTP servers standing in for web dynos (the dynos are not under test here):
// routing by Host, the added headers, random spread, every H-code it can produce, pages and router lines.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Router, type RouterTimeouts } from '../../src/router/index.js';
import { appRoute, backend, get, hello, MemoryLog, raw, StaticSource, type Backend } from './support.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
// A short timeout only in the test about it (H12, H15, H20), the others roomy, so a loaded machine that is slow
// to schedule a loopback server does not turn a 200 into a timeout.
const ROOMY: Partial<RouterTimeouts> = { requestMs: 30_000, idleMs: 30_000, connectMs: 10_000, bootMs: 10_000 };

let source: StaticSource;
let log: MemoryLog;
let router: Router;
let port: number;
let backends: Backend[];

async function start(timeouts: Partial<RouterTimeouts> = ROOMY): Promise<void> {
  router = new Router({ source, logplex: log, timeouts });
  port = await router.listen({ host: '127.0.0.1', port: 0 });
}

async function dyno(handler = hello): Promise<Backend> {
  const b = await backend(handler);
  backends.push(b);
  return b;
}

/** Polls `condition` until it holds (true) or a generous deadline passes (false). */
async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(() => {
  source = new StaticSource();
  log = new MemoryLog();
  backends = [];
});

afterEach(async () => {
  await router?.close();
  await Promise.all(backends.map((b) => b.close()));
});

describe('routing', () => {
  it('routes by Host (any case, port ignored) and logs Heroku\'s router line', async () => {
    const web = await dyno();
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start();
    const reply = await get(port, `Demo.LocalHost:${port}`, '/x?a=1');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('Hello World!\n');
    expect(reply.headers['via']).toBe('1.1 heroku-router');
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(
      new RegExp(
        `^at=info method=GET path="/x\\?a=1" host=demo\\.localhost request_id=${UUID} fwd="127\\.0\\.0\\.1" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=200 bytes=13 protocol=http1\\.1 tls=false$`,
      ),
    );
    expect(log.lines[0]?.dyno).toBe('router');
  });

  it('routes custom domains of the app', async () => {
    const web = await dyno();
    source.publish(appRoute('demo', { dynos: [['up', web.port]], extraHosts: ['www.example.test'] }));
    await start();
    expect((await get(port, 'www.example.test')).status).toBe(200);
  });

  it('answers an unknown host with Heroku\'s no-such-app page (404)', async () => {
    await start();
    const reply = await get(port, 'nope.localhost');
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.body).toContain('<title>No such app</title>');
    expect(reply.body).toContain('There is no app configured at that hostname.');
  });

  it('adds X-Forwarded-*, X-Request-Start, X-Request-Id and Via', async () => {
    const web = await dyno();
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start();
    const before = Date.now();
    await get(port, 'demo.localhost', '/', { 'X-Forwarded-For': '203.0.113.9', Via: '1.0 corp', 'X-Forwarded-Proto': 'ftp' });
    const validId = 'abcdefghij0123456789+/=-';
    await get(port, 'demo.localhost', '/', { 'X-Request-Id': validId });
    await get(port, 'demo.localhost', '/', { 'X-Request-Id': 'short' });
    const [first, second, third] = web.seen.map((s) => s.headers);
    expect(first?.['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(first?.['x-forwarded-proto']).toBe('http');
    expect(first?.['x-forwarded-port']).toBe(String(port));
    expect(Number(first?.['x-request-start'])).toBeGreaterThanOrEqual(before);
    expect(Number(first?.['x-request-start'])).toBeLessThanOrEqual(Date.now());
    expect(first?.['x-request-id']).toMatch(new RegExp(`^${UUID}$`));
    expect(first?.['via']).toBe('1.0 corp, 1.1 heroku-router');
    expect(first?.['host']).toBe('demo.localhost');
    expect(second?.['x-request-id']).toBe(validId);
    expect(third?.['x-request-id']).toMatch(new RegExp(`^${UUID}$`));
    const lines = await log.settled('id-demo', 3);
    expect(lines[0]).toContain('fwd="203.0.113.9,127.0.0.1"');
    expect(lines[1]).toContain(`request_id=${validId} `);
  });

  it('spreads requests at random over the up dynos', async () => {
    const webs = [await dyno(), await dyno(), await dyno()];
    source.publish(appRoute('demo', { dynos: webs.map((w) => ['up', w.port] as ['up', number]) }));
    await start();
    for (let i = 0; i < 300; i++) await get(port, 'demo.localhost');
    for (const web of webs) expect(web.seen.length).toBeGreaterThan(50);
    const lines = await log.settled('id-demo', 300);
    const dynos = new Set(lines.map((l) => /dyno=(web\.\d)/.exec(l)?.[1]));
    expect(dynos).toEqual(new Set(['web.1', 'web.2', 'web.3']));
  });

  it('streams request bodies (chunked) and large responses', async () => {
    const web = await dyno((req, res) => {
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(`${size}:${'x'.repeat(2_000_000)}`);
      });
    });
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start();
    const reply = await new Promise<{ status: number; length: number; head: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/up', headers: { host: 'demo.localhost' } }, (res) => {
        let length = 0;
        let head = '';
        res.on('data', (c: Buffer) => {
          if (head === '') head = c.toString('latin1', 0, 12);
          length += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, length, head }));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(100_000, 1));
      req.end();
    });
    expect(reply.status).toBe(200);
    expect(reply.head.startsWith('1000000:')).toBe(true);
    expect(reply.length).toBe(8 + 2_000_000);
    expect(web.seen[0]?.headers['transfer-encoding']).toBe('chunked');
  });

  it('swaps in a new snapshot: a dyno that came up is used, a gone one is not', async () => {
    const a = await dyno();
    const b = await dyno();
    source.publish(appRoute('demo', { dynos: [['up', a.port]] }));
    await start();
    await get(port, 'demo.localhost');
    source.publish(appRoute('demo', { dynos: [['down', a.port], ['up', b.port]] }));
    for (let i = 0; i < 5; i++) await get(port, 'demo.localhost');
    expect(a.seen.length).toBe(1);
    expect(b.seen.length).toBe(5);
    expect((await router.stats()).connected).toBeLessThanOrEqual(1);
  });
});

describe('H-codes', () => {
  const appError = 'An error occurred in the application and your page could not be served.';

  it('H80: maintenance mode serves the maintenance page (503) and logs at=info', async () => {
    const web = await dyno();
    source.publish(appRoute('demo', { dynos: [['up', web.port]], maintenance: true }));
    await start();
    const reply = await get(port, 'demo.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('<title>Offline for Maintenance</title>');
    expect(reply.body).toContain('This app is undergoing maintenance right now. Please check back later.');
    expect(web.seen).toHaveLength(0);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(
      new RegExp(
        `^at=info code=H80 desc="Maintenance mode" method=GET path="/" host=demo\\.localhost request_id=${UUID} fwd="127\\.0\\.0\\.1" dyno= connect= service= status=503 bytes= protocol=http1\\.1 tls=false$`,
      ),
    );
  });

  it('H14: no web dynos (web=0)', async () => {
    source.publish(appRoute('demo', { webQuantity: 0 }));
    await start();
    const reply = await get(port, 'demo.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain(appError);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H14 desc="No web processes running" method=GET path="\/" host=demo\.localhost .* dyno= connect= service= status=503 bytes= protocol=http1\.1 tls=false$/);
  });

  it('H10: every web dyno crashed', async () => {
    source.publish(appRoute('demo', { dynos: [['crashed', 1], ['crashed', 2]] }));
    await start();
    const reply = await get(port, 'demo.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('<title>Application Error</title>');
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H10 desc="App crashed" method=GET .* dyno= connect= service= status=503 bytes= protocol=http1\.1 tls=false$/);
  });

  it('a request waits for a starting dyno and goes to it once it is up', async () => {
    const web = await dyno();
    source.publish(appRoute('demo', { dynos: [['starting', web.port]] }));
    await start();
    const pending = get(port, 'demo.localhost');
    expect(await until(async () => (await router.stats()).parked === 1)).toBe(true);
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    expect((await pending).status).toBe(200);
    expect((await router.stats()).parked).toBe(0);
  });

  it('H20: no dyno came up within the boot timeout', async () => {
    source.publish(appRoute('demo', { dynos: [['starting', 1]] }));
    await start({ ...ROOMY, bootMs: 300 });
    const reply = await get(port, 'demo.localhost');
    expect(reply.status).toBe(503);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H20 desc="App boot timeout" .* dyno= connect= service= status=503 bytes= /);
  });

  it('H12: no response within the request timeout', async () => {
    const web = await dyno(() => undefined);
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start({ ...ROOMY, requestMs: 300 });
    const reply = await get(port, 'demo.localhost', '/slow');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain(appError);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H12 desc="Request timeout" method=GET path="\/slow" host=demo\.localhost .* dyno=web\.1 connect=\d+ms service=\d+ms status=503 bytes=0 protocol=http1\.1 tls=false$/);
    const service = Number(/service=(\d+)ms/.exec(line ?? '')?.[1]);
    expect(service).toBeGreaterThanOrEqual(250);
  });

  it('H13: the dyno closes the connection without a response', async () => {
    const web = await dyno((req) => req.socket.destroy());
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start();
    expect((await get(port, 'demo.localhost')).status).toBe(503);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H13 desc="Connection closed without response" .* dyno=web\.1 connect=\d+ms service=\d+ms status=503 bytes=0 /);
  });

  it('H18: the dyno drops the connection mid-response', async () => {
    const web = await dyno((req, res) => {
      res.writeHead(200, { 'Content-Length': 100 });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 50);
    });
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start();
    await expect(get(port, 'demo.localhost')).rejects.toThrow();
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^sock=backend at=error code=H18 desc="Server Request Interrupted" .* dyno=web\.1 .* status=503 bytes=7 /);
  });

  it('H15: the response stalls longer than the idle timeout', async () => {
    const web = await dyno((_req, res) => {
      res.writeHead(200, { 'Content-Length': 100 });
      res.write('x');
    });
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start({ ...ROOMY, idleMs: 600 });
    await expect(get(port, 'demo.localhost')).rejects.toThrow();
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H15 desc="Idle connection" .* dyno=web\.1 .* status=503 bytes=1 /);
  });

  it('H17: a status line without a reason phrase', async () => {
    const { createServer } = await import('node:net');
    const server = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dynoPort = (server.address() as { port: number }).port;
    source.publish(appRoute('demo', { dynos: [['up', dynoPort]] }));
    await start();
    expect((await get(port, 'demo.localhost')).status).toBe(503);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H17 desc="Poorly formatted HTTP response" /);
    server.close();
  });

  it('H27: the client goes away before the response; the dyno connection is released', async () => {
    // The dyno answers only once the client has gone: no race between its answer and the client's going.
    let reached: () => void = () => undefined;
    const atDyno = new Promise<void>((resolve) => (reached = resolve));
    let clientGone: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (clientGone = resolve));
    const web = await dyno((_req, res) => {
      reached();
      void gone.then(() => res.end('late'));
    });
    source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
    await start();
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /gone HTTP/1.1\r\nHost: demo.localhost\r\n\r\n');
    await atDyno;
    socket.destroy();
    const [line] = await log.settled('id-demo');
    clientGone();
    expect(line).toMatch(/^sock=client at=warning code=H27 desc="Client Request Interrupted" method=GET path="\/gone" .* dyno=web\.1 connect=\d+ms service=\d+ms status=499 bytes=0 /);
    expect(await until(async () => {
      const stats = await router.stats();
      return stats.running === 0 && stats.clients === 0;
    })).toBe(true);
  });

  it('H21: connection refused on every dyno (after trying the others)', async () => {
    const { freePort } = await import('../support/ports.js');
    const dead = [await freePort(), await freePort()];
    source.publish(appRoute('demo', { dynos: [['up', dead[0] as number], ['up', dead[1] as number]] }));
    await start();
    expect((await get(port, 'demo.localhost')).status).toBe(503);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=error code=H21 desc="Backend connection refused" .* dyno=web\.\d connect=\d+ms service= status=503 bytes= /);
  });

  it('a refused dyno is skipped for another up one', async () => {
    const { freePort } = await import('../support/ports.js');
    const web = await dyno();
    const dead = await freePort();
    source.publish(appRoute('demo', { dynos: [['up', dead], ['up', web.port]] }));
    await start();
    for (let i = 0; i < 10; i++) expect((await get(port, 'demo.localhost')).status).toBe(200);
  });
});
