// Heroku's router line (reference §2.1, Router 2.0 form) and a writer that keeps the request path free of it: a request
// leaves a record, and the records are formatted and handed to logplex in batches per app every few milliseconds, so a
// burst of requests costs one logplex write (one store transaction) per app per batch instead of one per request.
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

/** How long a router line may wait for its batch (logplex stamps lines when it gets them). */
const BATCH_MS = 20;
/** A batch this large is written at the end of the tick instead of waiting for the timer. */
const BATCH_LINES = 4096;

export class RouterLog {
  readonly #sink: RouterLogSink;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, RouterLogRecord[]>();
  #count = 0;
  #timer: NodeJS.Timeout | undefined = undefined;
  #immediate: NodeJS.Immediate | undefined = undefined;

  constructor(sink: RouterLogSink, onError: (error: unknown) => void) {
    this.#sink = sink;
    this.#onError = onError;
  }

  add(appId: string, record: RouterLogRecord): void {
    const records = this.#pending.get(appId);
    if (records === undefined) this.#pending.set(appId, [record]);
    else records.push(record);
    if (++this.#count >= BATCH_LINES) this.#immediate ??= setImmediate(this.flush);
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.flush, BATCH_MS);
      // Lines still waiting never keep a process alive; Router.close() flushes them.
      this.#timer.unref();
    }
  }

  readonly flush = (): void => {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    const pending = this.#pending;
    if (this.#count === 0) return;
    this.#pending = new Map();
    this.#count = 0;
    for (const [appId, records] of pending) {
      const lines = new Array<string>(records.length);
      for (let i = 0; i < records.length; i++) lines[i] = formatRouterLine(records[i] as RouterLogRecord);
      try {
        this.#sink.write(appId, 'heroku', 'router', lines);
      } catch (error) {
        // An app destroyed between the request and the flush has nowhere to log; that is not the router's failure.
        this.#onError(error);
      }
    }
  };
}
