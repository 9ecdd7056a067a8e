// The router's cap on open client connections (BERTH_ROUTER_MAX_CONNECTIONS, issue 11): past it a new connection is
// closed without an answer, the connections already open keep being served, and a freed place is taken again.
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/router/index.js';
import { appRoute, backend, MemoryLog, raw, StaticSource, type Backend } from './support.js';

const REQUEST = 'GET / HTTP/1.1\r\nHost: demo.localhost\r\n\r\n';

let router: Router;
let web: Backend;
let port: number;
const clients: Socket[] = [];

/** A keep-alive client on its own connection: each `get` sends one request and resolves with its whole (chunked) answer. */
async function keepAlive(): Promise<{ socket: Socket; get(): Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  clients.push(socket);
  socket.setEncoding('latin1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    get: () =>
      new Promise<string>((resolve, reject) => {
        let out = '';
        const onData = (chunk: string) => {
          out += chunk;
          if (out.endsWith('Hello World!\n\r\n0\r\n\r\n')) {
            socket.off('data', onData);
            socket.off('close', onClose);
            resolve(out);
          }
        };
        const onClose = () => reject(new Error(`connection closed after ${JSON.stringify(out)}`));
        socket.on('data', onData);
        socket.once('close', onClose);
        socket.write(REQUEST);
      }),
  };
}

async function openClients(): Promise<number> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { clients: open } = await router.stats();
    if (open <= 1 || Date.now() > deadline) return open;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(async () => {
  web = await backend();
  const source = new StaticSource();
  source.publish(appRoute('demo', { dynos: [['up', web.port]] }));
  router = new Router({ source, logplex: new MemoryLog(), maxConnections: 2 });
  port = await router.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.destroy();
  await router.close();
  await web.close();
});

describe('router connection cap', () => {
  it('closes a connection past the cap unanswered while the open ones keep being served', async () => {
    const first = await keepAlive();
    const second = await keepAlive();
    expect(await first.get()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(await second.get()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);

    // The third connection gets no answer at all: the router closes it as it arrives.
    const refused = await raw(port, REQUEST).catch((error: NodeJS.ErrnoException) => `error ${error.code ?? ''}`);
    expect(refused).not.toContain('HTTP/1.1');

    // Both open connections still carry requests.
    expect(await first.get()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(await second.get()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);

    // Once one closes, its place is free for a new client.
    first.socket.destroy();
    expect(await openClients()).toBe(1);
    const third = await keepAlive();
    expect(await third.get()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});
