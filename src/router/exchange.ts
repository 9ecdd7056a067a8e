// One HTTP request through the router: a dispatch handler on the dyno's undici pool that writes straight into the
// client's response (no intermediate stream), maps every failure to its H-code, and logs Heroku's router line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { CODES, type RouterCode } from './codes.js';
import type { ListenerContext, Parked, RouterCore } from './core.js';
import { tlsField } from './core.js';
import { affinitySetCookie, requestedAffinity } from './affinity.js';
import { APPLICATION_ERROR_PAGE, MAINTENANCE_PAGE } from './pages.js';
import type { RequestHead } from './request-head.js';
import { decide, pick, pickPinned, type Backend, type Target } from './targets.js';

/** Heroku tries up to 10 dynos when connecting fails (reference §2.4). */
const MAX_ATTEMPTS = 10;

export function sendPage(res: ServerResponse, status: number, page: Buffer): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': page.length,
    'Cache-Control': 'no-cache, no-store',
  });
  res.end(page);
}

/** Response headers that belong to the dyno connection, not to the client's. */
function hopByHop(name: string): boolean {
  switch (name.length) {
    case 7:
      return name.toLowerCase() === 'upgrade';
    case 10: {
      const lower = name.toLowerCase();
      return lower === 'connection' || lower === 'keep-alive';
    }
    case 16:
      return name.toLowerCase() === 'proxy-connection';
    case 17:
      return name.toLowerCase() === 'transfer-encoding';
    default:
      return false;
  }
}

export class Exchange implements Dispatcher.DispatchHandler, Parked {
  readonly #core: RouterCore;
  readonly #listener: ListenerContext;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly head: RequestHead;
  target: Target;
  timer: NodeJS.Timeout | undefined = undefined;
  #backend: Backend | undefined = undefined;
  #tried: Backend[] | undefined = undefined;
  #abort: ((error?: Error) => void) | undefined = undefined;
  /** With session affinity on, the client's cookie value ('' for none); undefined when the app has it off. */
  #affinity: string | undefined = undefined;
  #dispatchedAt = 0;
  /** The `slow-router` wait under way, and how long a forwarded request waited (its line's service= includes it). */
  #delay: NodeJS.Timeout | undefined = undefined;
  #delayed = 0;
  #connectedAt = -1;
  #status = -1;
  #bytes = 0;
  #started = false;
  #done = false;

  constructor(core: RouterCore, listener: ListenerContext, req: IncomingMessage, res: ServerResponse, head: RequestHead, target: Target) {
    this.#core = core;
    this.#listener = listener;
    this.#req = req;
    this.#res = res;
    this.head = head;
    this.target = target;
    res.once('close', this.#onClientClose);
  }

  route(): void {
    const decision = decide(this.target);
    if (decision === undefined) this.#forward(this.target.route.sessionAffinity === true ? this.#pinned() : pick(this.target.up));
    else if (decision === 'wait') this.#core.park(this);
    else this.fail(decision);
  }

  /** The dyno the client's affinity cookie names while it is up, else one at random (which the new cookie names). */
  #pinned(): Backend {
    this.#affinity = requestedAffinity(this.#req.rawHeaders);
    return pickPinned(this.target.up, this.#affinity);
  }

  /**
   * The `slow-router` teaching control holds the request first; the wait counts against H12's timeout as a slow dyno's
   * answer would (the line's service= includes it), so a delay past the timeout ends in H12 without reaching the dyno.
   */
  #forward(backend: Backend): void {
    const delay = this.#core.delayMs(this.target.route.appId);
    if (delay === 0) {
      this.#dispatch(backend);
      return;
    }
    this.#backend = backend;
    this.#dispatchedAt = this.#connectedAt = Date.now();
    const timeout = this.#core.timeouts.requestMs;
    this.#delay = setTimeout(() => {
      this.#delay = undefined;
      if (this.#done) return;
      if (delay >= timeout) this.fail('H12');
      else this.#dispatch(backend, delay);
    }, Math.min(delay, timeout));
  }

  #dispatch(backend: Backend, delayed = 0): void {
    this.#backend = backend;
    this.#delayed = delayed;
    this.#dispatchedAt = Date.now();
    this.#connectedAt = -1;
    const req = this.#req;
    backend.pool.dispatch(
      {
        path: req.url as string,
        method: req.method as Dispatcher.HttpMethod,
        headers: this.head.headers,
        body: this.head.hasBody ? req : null,
        // H12 by the router's timeout now (the lesson clock may have shortened the pool's).
        headersTimeout: this.#core.timeouts.requestMs - delayed,
      },
      this,
    );
  }

  /** Another up dyno after a refused or timed-out connect, as Heroku does; only while no request body was read. */
  #retry(): boolean {
    const failed = this.#backend;
    if (failed === undefined || this.head.hasBody) return false;
    (this.#tried ??= []).push(failed);
    if (this.#tried.length >= MAX_ATTEMPTS) return false;
    const tried = this.#tried;
    const rest = this.target.up.filter((b) => !tried.includes(b));
    if (rest.length === 0) return false;
    this.#connectedAt = -1;
    this.#dispatch(pick(rest), this.#delayed);
    return true;
  }

  /** Answers with the code's page (unless the response already started) and logs the code. */
  fail(code: RouterCode): void {
    if (this.#done) return;
    this.#done = true;
    const info = CODES[code];
    if (!this.#res.headersSent && info.status !== 499) {
      sendPage(this.#res, info.status, code === 'H80' ? MAINTENANCE_PAGE : APPLICATION_ERROR_PAGE);
    }
    this.#log(code, info.status);
  }

  #log(code: RouterCode | undefined, status: number): void {
    const now = Date.now();
    const backend = this.#backend;
    const connected = this.#connectedAt >= 0;
    const route = this.target.route;
    const req = this.#req;
    this.#core.log.add(
      route.appId,
      {
        code,
        method: req.method as string,
        path: req.url as string,
        host: this.head.host,
        requestId: this.head.requestId,
        fwd: this.head.fwd,
        dyno: backend === undefined ? '' : backend.name,
        connect: backend === undefined ? -1 : connected ? this.#connectedAt - this.#dispatchedAt : now - this.#dispatchedAt,
        service: connected ? now - this.#connectedAt + this.#delayed : -1,
        status,
        bytes: connected ? this.#bytes : -1,
        tls: tlsField(this.#listener, req.socket),
      },
    );
  }

  readonly #onClientClose = (): void => {
    if (this.#done) return;
    this.#done = true;
    if (this.timer !== undefined) this.#core.unpark(this);
    clearTimeout(this.#delay);
    this.#abort?.();
    this.#log('H27', 499);
  };

  // undici's dispatch handler (the raw-header form: no header object is built for the response).

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
    if (this.#done) {
      abort();
      return;
    }
    if (this.#connectedAt < 0) this.#connectedAt = Date.now();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx: the router already answered `Expect: 100-continue` itself.
    if (statusCode < 200) return true;
    if (this.#done) return false;
    if (statusText === '') {
      this.fail('H17');
      this.#abort?.();
      return false;
    }
    const headers: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as Buffer).toString('latin1');
      if (hopByHop(name)) continue;
      headers.push(name, (rawHeaders[i + 1] as Buffer).toString('latin1'));
    }
    headers.push('Via', '1.1 heroku-router');
    if (this.#affinity !== undefined) {
      const value = this.#backend?.affinity;
      if (value !== undefined && value !== this.#affinity) headers.push('Set-Cookie', affinitySetCookie(value));
    }
    try {
      this.#res.writeHead(statusCode, statusText, headers);
    } catch {
      // A header Node refuses to send (bad characters): a malformed response.
      this.fail('H17');
      this.#abort?.();
      return false;
    }
    this.#status = statusCode;
    this.#started = true;
    this.#resume = resume;
    return true;
  }

  #resume: (() => void) | undefined = undefined;

  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    if (this.#done) return true;
    if (this.#res.write(chunk)) return true;
    if (this.#resume !== undefined) this.#res.once('drain', this.#resume);
    return false;
  }

  onComplete(): void {
    if (this.#done) return;
    this.#done = true;
    this.#res.end();
    this.#log(undefined, this.#status);
  }

  onError(error: Error): void {
    if (this.#done) return;
    const code = (error as { code?: string }).code;
    if (!this.#started) {
      if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        if (this.#retry()) return;
        this.fail(code === 'ECONNREFUSED' ? 'H21' : 'H19');
      } else if (code === 'UND_ERR_HEADERS_TIMEOUT') {
        this.fail('H12');
      } else if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
        // A request the router cannot forward as it came (e.g. two Host headers).
        this.#done = true;
        this.#res.writeHead(400, { 'Content-Length': 0, Connection: 'close' });
        this.#res.end();
      } else {
        this.fail('H13');
      }
      return;
    }
    this.#done = true;
    this.#log(code === 'UND_ERR_BODY_TIMEOUT' ? 'H15' : 'H18', 503);
    this.#res.destroy();
  }
}
