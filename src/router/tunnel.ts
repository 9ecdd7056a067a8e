// A WebSocket (any `Upgrade:` request) through the router: a fresh TCP connection to the dyno (never a pooled one),
// the handshake forwarded with the router's headers, then bytes both ways until either side closes. The router line
// is written when the dyno answers the handshake (`status=101`).
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { CODES, type RouterCode } from './codes.js';
import { tlsField, type ListenerContext, type Parked, type RouterCore } from './core.js';
import { APPLICATION_ERROR_PAGE, MAINTENANCE_PAGE } from './pages.js';
import type { RequestHead } from './request-head.js';
import { requestedAffinity } from './affinity.js';
import { decide, pick, pickPinned, type Backend, type Target } from './targets.js';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** A whole HTTP response written on a raw socket (the upgrade path has no ServerResponse). */
export function rawResponse(status: number, body: Buffer): Buffer {
  const head =
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/html; charset=utf-8\r\n` +
    `Content-Length: ${body.length}\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export class Tunnel implements Parked {
  readonly #core: RouterCore;
  readonly #listener: ListenerContext;
  readonly #req: IncomingMessage;
  readonly #client: Socket;
  readonly #early: Buffer;
  readonly #tunnels: Set<Tunnel>;
  readonly head: RequestHead;
  target: Target;
  timer: NodeJS.Timeout | undefined = undefined;
  #backend: Backend | undefined = undefined;
  #dyno: Socket | undefined = undefined;
  #dispatchedAt = 0;
  #connectedAt = -1;
  #answered = false;
  #done = false;

  constructor(
    core: RouterCore,
    listener: ListenerContext,
    req: IncomingMessage,
    client: Socket,
    early: Buffer,
    head: RequestHead,
    target: Target,
    tunnels: Set<Tunnel>,
  ) {
    this.#core = core;
    this.#listener = listener;
    this.#req = req;
    this.#client = client;
    this.#early = early;
    this.head = head;
    this.target = target;
    this.#tunnels = tunnels;
    tunnels.add(this);
    client.on('error', this.#onClientGone);
    client.once('close', this.#onClientGone);
  }

  route(): void {
    const decision = decide(this.target);
    if (decision === undefined) {
      // Session affinity: a WebSocket goes to the dyno the client's cookie names (its 101 carries no new cookie).
      const up = this.target.up;
      this.#connect(this.target.route.sessionAffinity === true ? pickPinned(up, requestedAffinity(this.#req.rawHeaders)) : pick(up));
    }
    else if (decision === 'wait') this.#core.park(this);
    else this.fail(decision);
  }

  #connect(backend: Backend): void {
    const t = this.#core.timeouts;
    this.#backend = backend;
    this.#dispatchedAt = Date.now();
    const dyno = connect({ port: backend.port, host: backend.host, noDelay: true });
    this.#dyno = dyno;
    dyno.setTimeout(t.connectMs);
    dyno.once('connect', () => {
      this.#connectedAt = Date.now();
      dyno.setTimeout(t.requestMs);
      const req = this.#req;
      let text = `${req.method as string} ${req.url as string} HTTP/1.1\r\n`;
      const headers = this.head.headers;
      for (let i = 0; i < headers.length; i += 2) text += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`;
      dyno.write(`${text}\r\n`, 'latin1');
      if (this.#early.length > 0) dyno.write(this.#early);
    });
    dyno.once('data', (chunk: Buffer) => {
      this.#answered = true;
      const status = Number(chunk.toString('latin1', 9, 12));
      this.#log(undefined, Number.isInteger(status) ? status : -1, chunk.length);
      dyno.setTimeout(t.idleMs);
      this.#client.setTimeout(t.idleMs);
      this.#client.once('timeout', () => this.#close());
      this.#client.write(chunk);
      dyno.pipe(this.#client);
      this.#client.pipe(dyno);
    });
    dyno.on('timeout', () => {
      if (this.#connectedAt < 0) this.fail('H19');
      else if (!this.#answered) this.fail('H12');
      else this.#close();
    });
    dyno.on('error', (error: NodeJS.ErrnoException) => {
      if (this.#answered || this.#done) return this.#close();
      this.fail(this.#connectedAt < 0 ? (error.code === 'ECONNREFUSED' ? 'H21' : 'H19') : 'H13');
    });
    dyno.once('close', () => {
      if (!this.#answered && !this.#done) this.fail('H13');
      else this.#close();
    });
  }

  fail(code: RouterCode): void {
    if (this.#done) return;
    this.#done = true;
    const info = CODES[code];
    this.#log(code, info.status, this.#connectedAt >= 0 ? 0 : -1);
    if (info.status !== 499 && this.#client.writable) {
      this.#client.end(rawResponse(info.status, code === 'H80' ? MAINTENANCE_PAGE : APPLICATION_ERROR_PAGE));
    }
    this.#close();
  }

  readonly #onClientGone = (): void => {
    if (!this.#answered && !this.#done) {
      if (this.timer !== undefined) this.#core.unpark(this);
      this.fail('H27');
    }
    this.#close();
  };

  #close(): void {
    this.#done = true;
    this.#tunnels.delete(this);
    this.#dyno?.destroy();
    this.#client.destroy();
  }

  /** Ends the tunnel at once (router shutdown). */
  destroy(): void {
    if (this.timer !== undefined) this.#core.unpark(this);
    this.#close();
  }

  #log(code: RouterCode | undefined, status: number, bytes: number): void {
    const now = Date.now();
    const backend = this.#backend;
    const connected = this.#connectedAt >= 0;
    const req = this.#req;
    this.#core.log.add(
      this.target.route.appId,
      {
        code,
        method: req.method as string,
        path: req.url as string,
        host: this.head.host,
        requestId: this.head.requestId,
        fwd: this.head.fwd,
        dyno: backend === undefined ? '' : backend.name,
        connect: backend === undefined ? -1 : connected ? this.#connectedAt - this.#dispatchedAt : now - this.#dispatchedAt,
        service: connected ? now - this.#connectedAt : -1,
        status,
        bytes,
        tls: tlsField(this.#listener, req.socket),
      },
    );
  }
}
