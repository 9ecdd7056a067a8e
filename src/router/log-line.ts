// Heroku's router line (reference §2.1, Router 2.0 form) and a writer that batches lines per app per tick, so a
// burst of requests costs one logplex write (one store transaction) per app instead of one per request.
import { CODES, type RouterCode } from './codes.js';

export interface RouterLogRecord {
  readonly code: RouterCode | undefined;
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly requestId: string;
  readonly fwd: string;
  /** `web.1`, or '' when no dyno was picked. */
  readonly dyno: string;
  /** Milliseconds, or -1 for an empty field (`connect=`). */
  readonly connect: number;
  readonly service: number;
  readonly status: number;
  readonly bytes: number;
  /** `tls=false`, or `tls=true tls_version=tls1.3`. */
  readonly tls: string;
}

function ms(value: number): string {
  return value < 0 ? '' : `${value}ms`;
}

function num(value: number): string {
  return value < 0 ? '' : String(value);
}

export function formatRouterLine(r: RouterLogRecord): string {
  let head: string;
  if (r.code === undefined) {
    head = 'at=info';
  } else {
    const info = CODES[r.code];
    head = `${info.sock === undefined ? '' : `sock=${info.sock} `}at=${info.at} code=${r.code} desc="${info.desc}"`;
  }
  return (
    `${head} method=${r.method} path="${r.path}" host=${r.host} request_id=${r.requestId} fwd="${r.fwd}" dyno=${r.dyno} ` +
    `connect=${ms(r.connect)} service=${ms(r.service)} status=${num(r.status)} bytes=${num(r.bytes)} protocol=http1.1 ${r.tls}`
  );
}

/** Where router lines go: logplex's `write(appId, 'heroku', 'router', lines)`. */
export interface RouterLogSink {
  write(appId: string, source: 'heroku', dyno: string, messages: readonly string[]): void;
}

export class RouterLog {
  readonly #sink: RouterLogSink;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, string[]>();
  #scheduled = false;

  constructor(sink: RouterLogSink, onError: (error: unknown) => void) {
    this.#sink = sink;
    this.#onError = onError;
  }

  add(appId: string, line: string): void {
    const lines = this.#pending.get(appId);
    if (lines === undefined) this.#pending.set(appId, [line]);
    else lines.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.#scheduled = false;
    const pending = this.#pending;
    if (pending.size === 0) return;
    this.#pending = new Map();
    for (const [appId, lines] of pending) {
      try {
        this.#sink.write(appId, 'heroku', 'router', lines);
      } catch (error) {
        // An app destroyed between the request and the flush has nowhere to log; that is not the router's failure.
        this.#onError(error);
      }
    }
  };
}
