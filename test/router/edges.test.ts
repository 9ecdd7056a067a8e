// The router under bad input and load, WebSockets and HTTPS: the right codes, no leaked sockets, other apps served.
import { request as httpsRequest } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Router, type RouterTimeouts } from '../../src/router/index.js';
import { createSniHandler, ensureCa } from '../../src/tls/index.js';
import { appRoute, backend, get, MemoryLog, raw, StaticSource, type Backend } from './support.js';

// Roomy timeouts unless a test is about one: on a loaded machine a 400 ms idle timeout closes a client that is
// merely waiting for its turn on the CPU (1,000 sockets connecting, a WebSocket between two messages).
const ROOMY: Partial<RouterTimeouts> = { requestMs: 30_000, idleMs: 30_000, connectMs: 10_000, bootMs: 10_000 };
const SHORT_IDLE: Partial<RouterTimeouts> = { ...ROOMY, idleMs: 400 };

let source: StaticSource;
let log: MemoryLog;
let router: Router;
let port: number;
let web: Backend;

beforeEach(async () => {
  source = new StaticSource();
  log = new MemoryLog();
  web = await backend();
  source.publish(appRoute('demo', { dynos: [['up', web.port]] }), appRoute('other', { dynos: [['up', web.port]] }));
  await start(ROOMY);
});

async function start(timeouts: Partial<RouterTimeouts>): Promise<void> {
  router = new Router({ source, logplex: log, timeouts });
  port = await router.listen({ host: '127.0.0.1', port: 0 });
}

/** For a test about a timeout: the router of beforeEach replaced by one with `timeouts`. */
async function restart(timeouts: Partial<RouterTimeouts>): Promise<void> {
  await router.close();
  await start(timeouts);
}

afterEach(async () => {
  await router.close();
  await web.close();
});

/** Polls until nothing is left open (or a generous deadline passes; the caller's assertion then shows what is left). */
async function settle(): Promise<Awaited<ReturnType<Router['stats']>>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const stats = await router.stats();
    if ((stats.clients === 0 && stats.running === 0 && stats.tunnels === 0) || Date.now() > deadline) return stats;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('bad input', () => {
  const status = (text: string) => text.slice(0, 12);

  it('answers a malformed request line with 400', async () => {
    expect(status(await raw(port, 'GARBAGE\r\n\r\n'))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, 'GET / HTTP/9.9\r\nHost: demo.localhost\r\n\r\n'))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'))).toBe('HTTP/1.1 400');
  });

  it('enforces Heroku\'s request line and header limits with 400', async () => {
    const line = (path: string, headers: string) => `GET ${path} HTTP/1.1\r\nHost: demo.localhost\r\n${headers}\r\n`;
    expect(status(await raw(port, line(`/${'a'.repeat(8200)}`, '')))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, line('/', `X-Big: ${'v'.repeat(8200)}\r\n`)))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, line('/', `X-${'n'.repeat(1001)}: v\r\n`)))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, line('/', Array.from({ length: 1001 }, (_, i) => `X-H${i}: v\r\n`).join(''))))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, line('/', `X-Huge: ${'v'.repeat(300 * 1024)}\r\n`)))).toBe('HTTP/1.1 400');
    // Within the limits: routed.
    expect(status(await raw(port, line('/', `X-Ok: ${'v'.repeat(8000)}\r\nConnection: close\r\n`)))).toBe('HTTP/1.1 200');
    expect(status(await raw(port, 'GET / HTTP/1.0\r\n\r\n'))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, 'CONNECT demo.localhost:443 HTTP/1.1\r\nHost: demo.localhost\r\n\r\n'))).toBe('HTTP/1.1 400');
    expect(status(await raw(port, 'GET / HTTP/1.1\r\nHost: demo.localhost\r\nExpect: something\r\nConnection: close\r\n\r\n'))).toBe('HTTP/1.1 417');
    expect(await settle()).toMatchObject({ clients: 0, running: 0 });
  });

  it('answers Expect: 100-continue itself', async () => {
    const out = await raw(port, 'POST / HTTP/1.1\r\nHost: demo.localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi');
    expect(out.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
    expect(out).toContain('HTTP/1.1 200 OK');
  });

  it('drops a slowloris client after the idle timeout and keeps serving others', async () => {
    await restart(SHORT_IDLE);
    const slow: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\nHost: demo.localhost\r\nX-A: 1\r\n');
      slow.push(s);
    }
    expect((await get(port, 'other.localhost')).status).toBe(200);
    const closed = await Promise.all(slow.map((s) => new Promise<string>((resolve) => {
      let out = '';
      s.setEncoding('latin1').on('data', (c: string) => (out += c));
      s.on('close', () => resolve(out));
    })));
    for (const out of closed) expect(out === '' || out.startsWith('HTTP/1.1 408')).toBe(true);
    expect(await settle()).toMatchObject({ clients: 0 });
  });

  it('survives clients vanishing mid-response', async () => {
    const big = await backend((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.alloc(5_000_000));
    });
    source.publish(appRoute('big', { dynos: [['up', big.port]] }), appRoute('other', { dynos: [['up', web.port]] }));
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.write('GET / HTTP/1.1\r\nHost: big.localhost\r\n\r\n');
        s.once('data', () => {
          s.destroy();
          resolve();
        });
      });
    }
    expect((await get(port, 'other.localhost')).status).toBe(200);
    expect(await settle()).toMatchObject({ clients: 0, running: 0, queued: 0 });
    const lines = await log.settled('id-big', 20);
    expect(lines.every((l) => l.startsWith('sock=client at=warning code=H27 ') || l.startsWith('at=info '))).toBe(true);
    await big.close();
  });
});

describe('load', () => {
  it('serves 1,000 concurrent connections and leaks no socket', async () => {
    const sockets: Socket[] = [];
    const replies: Array<Promise<string>> = [];
    for (let i = 0; i < 1000; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
      replies.push(
        new Promise((resolve) => {
          let out = '';
          s.setEncoding('latin1').on('data', (c: string) => {
            out += c;
            if (out.endsWith('\r\n0\r\n\r\n')) resolve(out);
          });
          s.on('close', () => resolve(out));
        }),
      );
    }
    await Promise.all(sockets.map((s) => new Promise((r) => (s.connecting ? s.once('connect', r) : r(undefined)))));
    for (const s of sockets) s.write('GET / HTTP/1.1\r\nHost: demo.localhost\r\n\r\n');
    const outs = await Promise.all(replies);
    expect(outs.filter((o) => o.startsWith('HTTP/1.1 200 OK') && o.includes('Hello World!')).length).toBe(1000);
    expect((await router.stats()).clients).toBe(1000);
    for (const s of sockets) s.destroy();
    expect(await settle()).toMatchObject({ clients: 0, running: 0, queued: 0, parked: 0 });
    expect((await log.settled('id-demo', 1000)).length).toBe(1000);
  }, 120_000);
});

describe('WebSockets', () => {
  it('tunnels a WebSocket to the dyno (echo) and logs status=101', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws, req) => {
      ws.send(`hello ${req.headers['x-forwarded-proto']} ${req.headers['via']}`);
      ws.on('message', (data) => ws.send(`echo ${String(data)}`));
    });
    const wsPort = (wss.address() as { port: number }).port;
    source.publish(appRoute('ws', { dynos: [['up', wsPort]] }));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`, { headers: { Host: 'ws.localhost' } });
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        received.push(String(data));
        if (received.length === 1) ws.send('ping');
        else resolve();
      });
      ws.on('error', reject);
    });
    expect(received).toEqual(['hello http 1.1 heroku-router', 'echo ping']);
    const [line] = await log.settled('id-ws');
    expect(line).toMatch(/^at=info method=GET path="\/chat" host=ws\.localhost .* dyno=web\.1 connect=\d+ms service=\d+ms status=101 bytes=\d+ protocol=http1\.1 tls=false$/);
    ws.close();
    await new Promise((r) => ws.once('close', r));
    expect(await settle()).toMatchObject({ tunnels: 0 });
    wss.close();
  });

  it('answers a WebSocket to an app in maintenance with H80 and the page', async () => {
    source.publish(appRoute('ws', { dynos: [['up', web.port]], maintenance: true }));
    const out = await raw(port, 'GET / HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(out.startsWith('HTTP/1.1 503 Service Unavailable\r\n')).toBe(true);
    expect(out).toContain('<title>Offline for Maintenance</title>');
    const [line] = await log.settled('id-ws');
    expect(line).toMatch(/^at=info code=H80 desc="Maintenance mode" /);
  });
});

describe('HTTPS', () => {
  it('serves each host with its own certificate from the local CA (SNI) and logs tls=true', async () => {
    const ca = await ensureCa(mkdtempSync(join(tmpdir(), 'berth-router-ca-')));
    const sni = createSniHandler(ca, { allow: (name) => router.routes(name) || name.endsWith('.localhost') });
    const tlsPort = await router.listen({ host: '127.0.0.1', port: 0, tls: { cert: sni.fallback.certPem, key: sni.fallback.keyPem, SNICallback: sni.SNICallback } });
    const reply = await new Promise<{ status: number; body: string; subject: string }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: tlsPort, servername: 'demo.localhost', ca: ca.certPem, headers: { host: 'demo.localhost' }, agent: false },
        (res) => {
          let body = '';
          const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subject: cert.subjectaltname ?? '' }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(reply).toEqual({ status: 200, body: 'Hello World!\n', subject: 'DNS:demo.localhost' });
    expect(web.seen[0]?.headers['x-forwarded-proto']).toBe('https');
    expect(web.seen[0]?.headers['x-forwarded-port']).toBe(String(tlsPort));
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/ protocol=http1\.1 tls=true tls_version=tls1\.3$/);
  });
});
