// The router's own connections to dynos (requests without a body): response framing the way dynos really send it,
// byte by byte where it matters, and keep-alive reuse, against raw loopback servers standing in for dynos.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/router/index.js';
import { appRoute, get, MemoryLog, raw, StaticSource } from './support.js';

const ROOMY = { requestMs: 30_000, idleMs: 30_000, connectMs: 10_000, bootMs: 10_000 };

let source: StaticSource;
let log: MemoryLog;
let router: Router;
let port: number;
let servers: Server[];

/** A dyno on a raw socket: `answer` gets each request head (without the blank line), its connection and its number on it. */
async function rawDyno(answer: (head: string, socket: Socket, nth: number) => void): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    let buffered = '';
    let nth = 0;
    socket.setEncoding('latin1');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(head, socket, ++nth);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, connections: () => connections };
}

async function start(dynoPort: number): Promise<void> {
  source.publish(appRoute('demo', { dynos: [['up', dynoPort]] }));
  router = new Router({ source, logplex: log, timeouts: ROOMY });
  port = await router.listen({ host: '127.0.0.1', port: 0 });
}

async function writeSlowly(socket: Socket, text: string): Promise<void> {
  for (const byte of text) {
    socket.write(byte, 'latin1');
    await new Promise((r) => setTimeout(r, 1));
  }
}

beforeEach(() => {
  source = new StaticSource();
  log = new MemoryLog();
  servers = [];
});

afterEach(async () => {
  await router?.close();
  for (const server of servers) server.close();
});

describe("the router's dyno connections", () => {
  it('send a request again on a new connection when the dyno closed the kept-alive one as it arrived', async () => {
    const dyno = await rawDyno((_head, socket, nth) => {
      if (nth === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst');
      else socket.destroy();
    });
    await start(dyno.port);
    expect(await get(port, 'demo.localhost')).toMatchObject({ status: 200, body: 'first' });
    expect(await get(port, 'demo.localhost')).toMatchObject({ status: 200, body: 'first' });
    const lines = await log.settled('id-demo', 2);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^at=info .* status=200 bytes=5 /);
    expect(dyno.connections()).toBe(2);
  });

  it('end HEAD, 204 and 304 answers at their head and reuse the connection', async () => {
    const dyno = await rawDyno((head, socket) => {
      if (head.startsWith('HEAD ')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
      else if (head.startsWith('GET /204 ')) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      else if (head.startsWith('GET /304 ')) socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    await start(dyno.port);
    expect(await get(port, 'demo.localhost', '/', {}, 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await get(port, 'demo.localhost', '/204')).toMatchObject({ status: 204, body: '' });
    expect(await get(port, 'demo.localhost', '/304')).toMatchObject({ status: 304, body: '' });
    expect(await get(port, 'demo.localhost', '/')).toMatchObject({ status: 200, body: 'ok' });
    expect(dyno.connections()).toBe(1);
  });

  it('skip 103 Early Hints and forward the final answer', async () => {
    const dyno = await rawDyno((_head, socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    await start(dyno.port);
    expect(await get(port, 'demo.localhost')).toMatchObject({ status: 200, body: 'ok' });
  });

  it('decode a chunked answer that arrives a byte at a time (extensions, trailers) and reuse the connection', async () => {
    const dyno = await rawDyno((_head, socket) => {
      void writeSlowly(socket, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n');
    });
    await start(dyno.port);
    expect(await get(port, 'demo.localhost')).toMatchObject({ status: 200, body: 'hello world' });
    expect(await get(port, 'demo.localhost')).toMatchObject({ status: 200, body: 'hello world' });
    expect(dyno.connections()).toBe(1);
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/ status=200 bytes=\d+ protocol=http1\.1 tls=false$/);
  });

  it('read a body without a length until the dyno closes the connection', async () => {
    const dyno = await rawDyno((_head, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close'));
    await start(dyno.port);
    expect(await get(port, 'demo.localhost')).toMatchObject({ status: 200, body: 'until close' });
    const [line] = await log.settled('id-demo');
    expect(line).toMatch(/^at=info .* status=200 bytes=11 /);
  });

  it('answer a request with two Host headers with 400 without forwarding it', async () => {
    const dyno = await rawDyno((_head, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    await start(dyno.port);
    const out = await raw(port, 'GET / HTTP/1.1\r\nHost: demo.localhost\r\nHost: other.localhost\r\nConnection: close\r\n\r\n');
    expect(out.startsWith('HTTP/1.1 400')).toBe(true);
    expect(dyno.connections()).toBe(0);
  });
});
