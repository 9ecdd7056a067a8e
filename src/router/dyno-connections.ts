// The router's own HTTP/1.1 client for requests without a body (most of them): keep-alive sockets to one dyno, the
// request head written in one piece, the response head parsed in one pass and the body handed on as it comes. It
// costs under half of what undici's Pool costs per request (test/bench/router.bench.ts); requests with a body still
// go through undici, which streams and re-frames them. Failures carry undici's error codes, so the exchange maps
// both clients' failures to the same H-codes.
import { connect, type Socket } from 'node:net';

export interface DynoConnectionsOptions {
  readonly connectMs: number;
  /** Until the response head (H12). */
  readonly requestMs: number;
  /** Between body chunks (H15). */
  readonly idleMs: number;
  /** How long an idle connection is kept (a shorter `Keep-Alive: timeout` from the dyno wins). */
  readonly keepAliveMs: number;
}

/** What a request through these connections reports, in order (undici's dispatch handler, with string headers). */
export interface DynoResponseHandler {
  /** The connection is ready (and the request written); `abort` drops it. */
  onConnect(abort: () => void): void;
  /** `false` ends the exchange (the connection is dropped). */
  onHeaders(statusCode: number, rawHeaders: readonly string[], resume: () => void, statusText: string): boolean;
  /** `false` pauses the dyno until `resume` is called. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(error: Error): void;
}

class DynoError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** A response head larger than this is not one (undici's default limit). */
const MAX_HEAD_BYTES = 16 * 1024;
/** The dyno may close an idle connection as its `Keep-Alive: timeout` runs out: leave it a second earlier, as undici does. */
const KEEP_ALIVE_MARGIN_MS = 1000;

const enum Body {
  None,
  Length,
  Chunked,
  UntilClose,
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailers,
}

class Connection {
  readonly #owner: DynoConnections;
  readonly socket: Socket;
  handler: DynoResponseHandler | undefined = undefined;
  /** Served a request before: a close before any answer may be the dyno's idle timeout, and the request is sent again. */
  reused = false;
  #connected = false;
  #method = '';
  #request = '';
  #timeoutMs = 0;
  #pending: Buffer | undefined = undefined;
  #headDone = false;
  #gotBytes = false;
  #body = Body.None;
  #remaining = 0;
  #chunk = Chunk.Size;
  #reusable = true;
  #idleMs: number;
  #errorCode: string | undefined = undefined;

  constructor(owner: DynoConnections, port: number, options: DynoConnectionsOptions) {
    this.#owner = owner;
    this.#idleMs = options.keepAliveMs;
    this.socket = connect({ port, host: '127.0.0.1', noDelay: true });
    this.#setTimeout(options.connectMs);
    this.socket.on('connect', this.#onConnected);
    this.socket.on('data', this.#onData);
    this.socket.on('timeout', this.#onTimeout);
    this.socket.on('error', (error: NodeJS.ErrnoException) => (this.#errorCode ??= error.code));
    this.socket.on('close', this.#onClose);
  }

  #setTimeout(ms: number): void {
    if (ms === this.#timeoutMs) return;
    this.#timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  send(method: string, request: string, handler: DynoResponseHandler): void {
    this.handler = handler;
    this.#method = method;
    this.#request = request;
    this.#headDone = false;
    this.#gotBytes = false;
    this.#pending = undefined;
    if (this.#connected) this.#write();
  }

  readonly #onConnected = (): void => {
    this.#connected = true;
    if (this.handler !== undefined) this.#write();
  };

  #write(): void {
    this.#setTimeout(this.#owner.options.requestMs);
    this.socket.write(this.#request, 'latin1');
    this.handler?.onConnect(this.abort);
  }

  readonly abort = (): void => {
    this.handler = undefined;
    this.socket.destroy();
  };

  readonly #resume = (): void => {
    this.socket.resume();
  };

  readonly #onTimeout = (): void => {
    const handler = this.handler;
    this.handler = undefined;
    this.socket.destroy();
    if (handler === undefined) return;
    if (!this.#connected) handler.onError(new DynoError('UND_ERR_CONNECT_TIMEOUT', 'connect timeout'));
    else if (!this.#headDone) handler.onError(new DynoError('UND_ERR_HEADERS_TIMEOUT', 'headers timeout'));
    else handler.onError(new DynoError('UND_ERR_BODY_TIMEOUT', 'body timeout'));
  };

  readonly #onClose = (): void => {
    this.#owner.forget(this);
    const handler = this.handler;
    if (handler === undefined) return;
    this.handler = undefined;
    if (this.#headDone && this.#body === Body.UntilClose) {
      handler.onComplete();
      return;
    }
    if (!this.#gotBytes && this.reused && this.#connected) {
      // The dyno closed the idle connection as the request went out: send it again on a new one.
      this.#owner.send(this.#method, this.#request, handler, false);
      return;
    }
    const code = this.#errorCode === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'UND_ERR_SOCKET';
    handler.onError(new DynoError(code, 'other side closed'));
  };

  readonly #onData = (chunk: Buffer): void => {
    this.#gotBytes = true;
    if (this.handler === undefined) {
      // Bytes nobody asked for: the connection cannot be trusted again.
      this.socket.destroy();
      return;
    }
    let data = chunk;
    if (!this.#headDone) {
      const buffered = this.#pending === undefined ? data : Buffer.concat([this.#pending, data]);
      const end = buffered.indexOf(HEAD_END);
      if (end === -1) {
        if (buffered.length > MAX_HEAD_BYTES) this.#fail('UND_ERR_HEADERS_OVERFLOW');
        else this.#pending = buffered;
        return;
      }
      this.#pending = undefined;
      const rest = this.#onHead(buffered.toString('latin1', 0, end));
      if (rest === false) return;
      data = buffered.subarray(end + 4);
      if (rest === 'interim') {
        if (data.length > 0) this.#onData(data);
        return;
      }
      if (this.#body === Body.None) {
        this.#finish(data.length > 0);
        return;
      }
      if (data.length === 0) return;
    }
    this.#onBody(data);
  };

  #fail(code: string): void {
    const handler = this.handler;
    this.handler = undefined;
    this.socket.destroy();
    handler?.onError(new DynoError(code, 'malformed response'));
  }

  /** Parses the head; `interim` for a 1xx, `false` when the exchange ended. */
  #onHead(head: string): boolean | 'interim' {
    const lines = head.split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] as string);
    if (status === null) {
      this.#fail('HPE_INVALID_CONSTANT');
      return false;
    }
    const code = Number(status[2]);
    if (code < 200 && code !== 101) return 'interim';
    this.#headDone = true;
    let keepAlive = status[1] === '1';
    let length = -1;
    let chunked = false;
    let idleMs = this.#owner.options.keepAliveMs;
    const raw: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.#fail('HPE_INVALID_HEADER_TOKEN');
        return false;
      }
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      raw.push(name, value);
      switch (name.length) {
        case 10: {
          const lower = name.toLowerCase();
          if (lower === 'connection') {
            const token = value.toLowerCase();
            if (token.includes('close')) keepAlive = false;
            else if (token.includes('keep-alive')) keepAlive = true;
          } else if (lower === 'keep-alive') {
            const timeout = /timeout=(\d+)/i.exec(value);
            if (timeout !== null) idleMs = Math.min(idleMs, Number(timeout[1]) * 1000 - KEEP_ALIVE_MARGIN_MS);
          }
          break;
        }
        case 14:
          if (name.toLowerCase() === 'content-length') length = Number(value);
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
          break;
        default:
      }
    }
    if (code === 101 || code === 204 || code === 304 || this.#method === 'HEAD') this.#body = Body.None;
    else if (chunked) {
      this.#body = Body.Chunked;
      this.#chunk = Chunk.Size;
    } else if (length >= 0 && Number.isSafeInteger(length)) {
      this.#body = length === 0 ? Body.None : Body.Length;
      this.#remaining = length;
    } else {
      this.#body = Body.UntilClose;
      keepAlive = false;
    }
    this.#reusable = keepAlive && code !== 101 && idleMs > 0;
    this.#idleMs = idleMs;
    const handler = this.handler as DynoResponseHandler;
    this.#setTimeout(this.#owner.options.idleMs);
    if (!handler.onHeaders(code, raw, this.#resume, status[3] ?? '')) {
      this.abort();
      return false;
    }
    return this.handler !== undefined;
  }

  #onBody(data: Buffer): void {
    if (this.#body === Body.Length) {
      if (data.length < this.#remaining) {
        this.#remaining -= data.length;
        this.#deliver(data);
        return;
      }
      const extra = data.length > this.#remaining;
      const last = extra ? data.subarray(0, this.#remaining) : data;
      this.#remaining = 0;
      this.#deliver(last);
      if (this.handler !== undefined) this.#finish(extra);
      return;
    }
    if (this.#body === Body.UntilClose) {
      this.#deliver(data);
      return;
    }
    this.#onChunked(data);
  }

  #onChunked(input: Buffer): void {
    let data = input;
    while (data.length > 0 && this.handler !== undefined) {
      if (this.#chunk === Chunk.Data) {
        if (data.length <= this.#remaining) {
          this.#remaining -= data.length;
          if (this.#remaining === 0) this.#chunk = Chunk.DataEnd;
          this.#deliver(data);
          return;
        }
        const piece = data.subarray(0, this.#remaining);
        data = data.subarray(this.#remaining);
        this.#remaining = 0;
        this.#chunk = Chunk.DataEnd;
        this.#deliver(piece);
        continue;
      }
      // Size lines, the CRLF after a chunk and trailers are lines: wait for whole ones.
      const buffered = this.#pending === undefined ? data : Buffer.concat([this.#pending, data]);
      const eol = buffered.indexOf('\r\n');
      if (eol === -1) {
        if (buffered.length > MAX_HEAD_BYTES) this.#fail('HPE_INVALID_CHUNK_SIZE');
        else this.#pending = buffered;
        return;
      }
      this.#pending = undefined;
      const line = buffered.toString('latin1', 0, eol);
      data = buffered.subarray(eol + 2);
      if (this.#chunk === Chunk.DataEnd) {
        if (line !== '') return this.#fail('HPE_INVALID_CHUNK_SIZE');
        this.#chunk = Chunk.Size;
      } else if (this.#chunk === Chunk.Size) {
        const size = Number.parseInt(line, 16);
        if (!/^[0-9a-fA-F]+/.test(line) || !Number.isSafeInteger(size)) return this.#fail('HPE_INVALID_CHUNK_SIZE');
        if (size === 0) this.#chunk = Chunk.Trailers;
        else {
          this.#chunk = Chunk.Data;
          this.#remaining = size;
        }
      } else if (line === '') {
        this.#finish(data.length > 0);
        return;
      }
    }
  }

  #deliver(data: Buffer): void {
    if (data.length > 0 && !(this.handler as DynoResponseHandler).onData(data)) this.socket.pause();
  }

  /** The response is complete; `extra`: the dyno sent more than the response (the connection is not reused). */
  #finish(extra: boolean): void {
    const handler = this.handler as DynoResponseHandler;
    this.handler = undefined;
    this.reused = true;
    if (extra || !this.#reusable) this.socket.destroy();
    else this.#owner.release(this, this.#idleMs);
    handler.onComplete();
  }

  /** Idle in the pool until `ms` passes. */
  park(ms: number): void {
    this.#setTimeout(ms);
  }
}

/** Keep-alive connections to one dyno port; as many as there are requests in flight. */
export class DynoConnections {
  readonly options: DynoConnectionsOptions;
  readonly #port: number;
  readonly #idle: Connection[] = [];
  readonly #open = new Set<Connection>();
  #closing = false;

  constructor(port: number, options: DynoConnectionsOptions) {
    this.#port = port;
    this.options = options;
  }

  /** Sends a request without a body: `headers` is the flat `[name, value, ...]` list (with Host). */
  dispatch(method: string, path: string, headers: readonly string[], handler: DynoResponseHandler): void {
    let head = `${method} ${path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`;
    this.send(method, `${head}\r\n`, handler, true);
  }

  send(method: string, request: string, handler: DynoResponseHandler, mayReuse: boolean): void {
    let connection = mayReuse ? this.#idle.pop() : undefined;
    if (connection === undefined) {
      connection = new Connection(this, this.#port, this.options);
      this.#open.add(connection);
    }
    connection.send(method, request, handler);
  }

  release(connection: Connection, idleMs: number): void {
    if (this.#closing) {
      connection.socket.destroy();
      return;
    }
    connection.park(idleMs);
    this.#idle.push(connection);
  }

  forget(connection: Connection): void {
    this.#open.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
  }

  stats(): { running: number; connected: number } {
    return { running: this.#open.size - this.#idle.length, connected: this.#open.size };
  }

  /** Closes idle connections now and the busy ones once their response is done. */
  close(): void {
    this.#closing = true;
    for (const connection of this.#idle.splice(0)) connection.socket.destroy();
  }

  destroy(): void {
    this.#closing = true;
    this.#idle.length = 0;
    for (const connection of [...this.#open]) connection.abort();
  }
}
