// The router (Heroku's Router 2.0 in front of web dynos): HTTP and HTTPS listeners that route by Host through the
// routing snapshot, which it swaps in whole and never queries per request (DESIGN.md "The routing snapshot").
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { RoutingSource, RoutingTable } from '../contracts/routing.js';
import { CODES } from './codes.js';
import { HEROKU_TIMEOUTS, type ListenerContext, type Parked, type RouterCore, type RouterTimeouts } from './core.js';
import { Exchange, sendPage } from './exchange.js';
import { RouterLog, type RouterLogSink } from './log-line.js';
import { APPLICATION_ERROR_PAGE, NO_SUCH_APP_PAGE } from './pages.js';
import { MAX_REQUEST_LINE, readRequestHead } from './request-head.js';
import { Pools, type Target } from './targets.js';
import { rawResponse, Tunnel } from './tunnel.js';

/**
 * All request headers together (Heroku's own limits, 8 KB per line and 1000 lines, are checked one by one); the cap
 * bounds what one slow client can make the router buffer.
 */
const MAX_HEADER_BYTES = 256 * 1024;

export interface RouterOptions {
  readonly source: RoutingSource;
  /** Router lines go to each app's log: logplex's `write(appId, 'heroku', 'router', lines)`. */
  readonly logplex: RouterLogSink;
  readonly timeouts?: Partial<RouterTimeouts>;
  readonly logger?: Logger;
  /** Open client connections per listener (BERTH_ROUTER_MAX_CONNECTIONS); more are closed at once. Default: no cap. */
  readonly maxConnections?: number;
  /** The teaching control `slow-router`: an app's delay before each request is forwarded, in Heroku milliseconds. */
  readonly delayMs?: (appId: string) => number;
}

export interface TlsListenOptions {
  /** The default certificate (clients without SNI). */
  readonly cert: string;
  readonly key: string;
  /** Per host name certificates (`tls/` `createSniHandler`). */
  readonly SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
}

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls?: TlsListenOptions;
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Malformed request lines, oversized headers, bad chunks: 400 (Heroku's answer, where Node would say 431);
  // a client that never finished its headers: 408. Nothing is logged: no app is known yet.
  const started = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  socket.end(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REQUEST_TIMEOUT : BAD_REQUEST);
}

export class Router implements RouterCore {
  readonly log: RouterLog;
  /** Read per request: the lesson clock replaces it (setLessonSpeed), never a request's own copy. */
  timeouts: RouterTimeouts;
  /** The timeouts as configured, at lesson speed 1. */
  readonly #base: RouterTimeouts;
  readonly #source: RoutingSource;
  readonly #pools: Pools;
  readonly #servers: Server[] = [];
  readonly #parked = new Map<string, Set<Parked>>();
  readonly #tunnels = new Set<Tunnel>();
  readonly #unsubscribe: () => void;
  readonly #logger: Logger | undefined;
  readonly #maxConnections: number | undefined;
  readonly #delayMs: ((appId: string) => number) | undefined;
  #speed = 1;
  #byHost: Map<string, Target>;

  constructor(options: RouterOptions) {
    this.timeouts = { ...HEROKU_TIMEOUTS, ...options.timeouts };
    this.#base = this.timeouts;
    this.#source = options.source;
    this.#logger = options.logger;
    this.#maxConnections = options.maxConnections;
    this.#delayMs = options.delayMs;
    this.log = new RouterLog(options.logplex, (error) => this.#logger?.debug({ err: error }, 'router line dropped'));
    this.#pools = new Pools({
      connectMs: this.timeouts.connectMs,
      requestMs: this.timeouts.requestMs,
      idleMs: this.timeouts.idleMs,
      keepAliveMs: this.timeouts.dynoKeepAliveMs,
    }, (error) => {
      // undici loaded (targets.ts has why it loads late): the dynos already up get their pools.
      if (error === undefined) this.#swap(this.#source.current());
      else this.#logger?.error({ err: error }, 'the router could not load undici');
    });
    this.#byHost = this.#pools.targets(this.#source.current());
    this.#unsubscribe = this.#source.subscribe((table) => this.#swap(table));
  }

  /**
   * The lesson clock (`berth clock --speed 60`): the waits a lesson is about, H12's 30 s for the dyno's answer and
   * H20's 75 s for a booting dyno, pass `speed` times faster, for requests that arrive from now on. The log lines keep
   * Heroku's words; connect, idle and keep-alive timeouts stay as they are.
   */
  setLessonSpeed(speed: number): void {
    const base = this.#base;
    this.#speed = speed;
    this.timeouts = { ...base, requestMs: Math.max(1, Math.round(base.requestMs / speed)), bootMs: Math.max(1, Math.round(base.bootMs / speed)) };
  }

  /** The app's `slow-router` delay on the lesson clock, in wall milliseconds (0: none). */
  delayMs(appId: string): number {
    const delay = this.#delayMs?.(appId) ?? 0;
    return delay > 0 ? Math.max(1, Math.round(delay / this.#speed)) : 0;
  }

  /** Whether a host name is routed now (the HTTPS listener mints certificates only for these and `*.localhost`). */
  routes(host: string): boolean {
    return this.#byHost.has(host);
  }

  #swap(table: RoutingTable): void {
    this.#byHost = this.#pools.targets(table);
    if (this.#parked.size === 0) return;
    for (const waiting of [...this.#parked.values()]) {
      for (const parked of [...waiting]) {
        const target = this.#byHost.get(parked.head.host);
        if (target === undefined) {
          // The app is gone while the request waited.
          this.unpark(parked);
          parked.fail('H99');
          continue;
        }
        parked.target = target;
        const route = target.route;
        if (route.maintenance || route.webQuantity === 0 || target.up.length > 0 || !target.waiting) {
          this.unpark(parked);
          parked.route();
        }
      }
    }
  }

  park(parked: Parked): void {
    const appId = parked.target.route.appId;
    let waiting = this.#parked.get(appId);
    if (waiting === undefined) this.#parked.set(appId, (waiting = new Set()));
    waiting.add(parked);
    parked.timer = setTimeout(() => {
      this.unpark(parked);
      parked.fail('H20');
    }, this.timeouts.bootMs);
  }

  unpark(parked: Parked): void {
    if (parked.timer !== undefined) clearTimeout(parked.timer);
    parked.timer = undefined;
    for (const [appId, waiting] of this.#parked) {
      if (waiting.delete(parked) && waiting.size === 0) this.#parked.delete(appId);
    }
  }

  #onRequest(listener: ListenerContext, req: IncomingMessage, res: ServerResponse): void {
    try {
      const head = readRequestHead(req.rawHeaders, req.socket.remoteAddress ?? '', listener, false);
      if (head.invalid || head.host === '' || (req.url as string).length + (req.method as string).length > MAX_REQUEST_LINE - 10) {
        res.shouldKeepAlive = false;
        res.writeHead(400, { 'Content-Length': 0 });
        res.end();
        return;
      }
      const target = this.#byHost.get(head.host);
      if (target === undefined) {
        sendPage(res, 404, NO_SUCH_APP_PAGE);
        return;
      }
      new Exchange(this, listener, req, res, head, target).route();
    } catch (error) {
      // H99: the router's own fault. The client still gets Heroku's page.
      this.#logger?.error({ err: error }, 'router: request failed');
      if (!res.headersSent) sendPage(res, CODES.H99.status, APPLICATION_ERROR_PAGE);
      else res.destroy();
    }
  }

  #onUpgrade(listener: ListenerContext, req: IncomingMessage, socket: Socket, early: Buffer): void {
    try {
      const head = readRequestHead(req.rawHeaders, socket.remoteAddress ?? '', listener, true);
      if (head.invalid || head.host === '') {
        socket.end(BAD_REQUEST);
        return;
      }
      const target = this.#byHost.get(head.host);
      if (target === undefined) {
        socket.end(rawResponse(404, NO_SUCH_APP_PAGE));
        return;
      }
      new Tunnel(this, listener, req, socket, early, head, target, this.#tunnels).route();
    } catch (error) {
      this.#logger?.error({ err: error }, 'router: upgrade failed');
      socket.destroy();
    }
  }

  /** Starts one listener; resolves with the port it bound. */
  async listen(options: ListenOptions): Promise<number> {
    const t = this.timeouts;
    const serverOptions: ServerOptions = {
      maxHeaderSize: MAX_HEADER_BYTES,
      // Slow clients: the headers must arrive within the idle timeout; bodies are bounded by socket inactivity.
      requestTimeout: 0,
      headersTimeout: t.idleMs,
      keepAliveTimeout: t.clientKeepAliveMs,
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(t.idleMs / 4))),
      noDelay: true,
    };
    const server: Server = options.tls
      ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key, SNICallback: options.tls.SNICallback })
      : createHttpServer(serverOptions);
    server.maxHeadersCount = 2001;
    // Each connection costs a descriptor and buffers: past the cap Node closes new ones as they arrive, and the
    // connections already open carry on.
    if (this.#maxConnections !== undefined) server.maxConnections = this.#maxConnections;
    server.timeout = t.idleMs + Math.min(1000, t.idleMs);
    let listener: ListenerContext = { proto: options.tls ? 'https' : 'http', port: String(options.port), tls: options.tls !== undefined };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(listener, req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, early: Buffer) => this.#onUpgrade(listener, req, socket, early));
    server.on('clientError', onClientError);
    // CONNECT is the one method Heroku does not route.
    server.on('connect', (_req: IncomingMessage, socket: Socket) => socket.end(BAD_REQUEST));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port, backlog: 2048 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    listener = { ...listener, port: String(port) };
    this.#servers.push(server);
    return port;
  }

  /** Open client connections (HTTP and upgraded), requests waiting for a dyno, and dyno pool counters. */
  async stats(): Promise<{ clients: number; tunnels: number; parked: number; running: number; queued: number; connected: number }> {
    let clients = 0;
    for (const server of this.#servers) {
      clients += await new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count ?? 0)));
    }
    let parked = 0;
    for (const waiting of this.#parked.values()) parked += waiting.size;
    return { clients, tunnels: this.#tunnels.size, parked, ...this.#pools.stats() };
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    for (const waiting of [...this.#parked.values()]) {
      for (const parked of [...waiting]) {
        this.unpark(parked);
        parked.fail('H99');
      }
    }
    for (const tunnel of [...this.#tunnels]) tunnel.destroy();
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.#servers.length = 0;
    await this.#pools.destroy();
    this.log.flush();
  }
}
