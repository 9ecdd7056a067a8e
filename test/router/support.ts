// Router test kit: a static routing snapshot, loopback HTTP servers standing in for dynos, a log sink, and raw-socket
// clients. Real-dyno tests (once the dyno manager lands) use the same Router with the dyno manager's snapshot.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { AppRoute, DynoState, RoutedDyno, RoutingSource, RoutingTable } from '../../src/contracts/routing.js';
import type { RouterLogSink } from '../../src/router/index.js';

export class StaticSource implements RoutingSource {
  #table: RoutingTable = { byHost: new Map() };
  readonly #listeners = new Set<(table: RoutingTable) => void>();

  current(): RoutingTable {
    return this.#table;
  }

  subscribe(listener: (table: RoutingTable) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Publishes a table of these apps (each under all its hosts). */
  publish(...routes: AppRoute[]): void {
    const byHost = new Map<string, AppRoute>();
    for (const route of routes) for (const host of route.hosts) byHost.set(host, route);
    this.#table = { byHost };
    for (const listener of this.#listeners) listener(this.#table);
  }
}

export interface RouteSpec {
  dynos?: Array<[state: DynoState, port: number]>;
  maintenance?: boolean;
  webQuantity?: number;
  extraHosts?: string[];
}

export function appRoute(name: string, spec: RouteSpec = {}): AppRoute {
  const dynos: RoutedDyno[] = (spec.dynos ?? []).map(([state, port], i) => ({ name: `web.${i + 1}`, state, host: '127.0.0.1', port }));
  return {
    appId: `id-${name}`,
    appName: name,
    hosts: [`${name}.localhost`, ...(spec.extraHosts ?? [])],
    maintenance: spec.maintenance ?? false,
    webQuantity: spec.webQuantity ?? dynos.length,
    dynos,
  };
}

export class MemoryLog implements RouterLogSink {
  readonly lines: Array<{ appId: string; dyno: string; message: string }> = [];
  write(appId: string, _source: 'heroku', dyno: string, messages: readonly string[]): void {
    for (const message of messages) this.lines.push({ appId, dyno, message });
  }
  of(appId: string): string[] {
    return this.lines.filter((l) => l.appId === appId).map((l) => l.message);
  }
  /** Waits for the router's per-tick flush and returns the app's lines (a generous bound: the caller asserts). */
  async settled(appId: string, count = 1, timeoutMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.of(appId).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.of(appId);
  }
}

export interface Backend {
  readonly port: number;
  readonly server: Server;
  /** Requests seen, for spread and header assertions. */
  readonly seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const hello: Handler = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('Hello World!\n');
};

export async function backend(handler: Handler = hello): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function get(port: number, host: string, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers: { host, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes `text` on a raw socket and collects everything until the router closes it (or `waitMs` passes). */
export function raw(port: number, text: string | Buffer, waitMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (out += chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (out !== '') resolve(out);
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.write(text);
  });
}
