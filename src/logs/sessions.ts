// Log sessions: `POST /apps/{app}/log-sessions` makes one; its `logplex_url` (a secret in the path, no auth, as the
// CLI sends none) serves Server-Sent Events exactly as the heroku CLI's eventsource@4 reads them: 200,
// `text/event-stream`, one event per line (`id: <seq>`, `data: <formatted line>`), history first, then live lines
// when tailing; `Last-Event-ID` resumes after that line. A tail client that stops reading costs a bounded buffer:
// the oldest lines are dropped and Heroku's L11 line tells the session how many.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sameSecret } from '../credentials.js';
import type { StoredLogLine } from '../store/index.js';
import { formatLogLine, logTimestamp } from './format.js';
import { l11Message } from './lines/drains.js';
import { matchesFilter, type LogFilter, type Logplex } from './logplex.js';
import { sseEvent } from './sse.js';

/** Heroku's CLI default and the history logplex keeps. */
export const DEFAULT_SESSION_LINES = 100;
export const MAX_SESSION_LINES = 1500;

export interface LogSessionRequest {
  readonly source?: string | undefined;
  /** A dyno name (`web.1`) or a process type (`web`). */
  readonly dyno?: string | undefined;
  readonly lines?: number | undefined;
  readonly tail?: boolean | undefined;
  /** Berth's dashboard only: the stream also carries `event: vitals` (each dyno's memory reading, as JSON). */
  readonly vitals?: boolean | undefined;
}

export interface LogSession {
  readonly id: string;
  readonly secret: string;
  readonly appId: string;
  readonly filter: Readonly<LogFilter>;
  readonly tail: boolean;
  readonly vitals: boolean;
  readonly createdAt: string;
  readonly url: string;
}

export interface LogSessionsOptions {
  /** The public URL of a session's event stream. */
  url(id: string, secret: string): string;
  /** A session no stream is attached to expires this long after its last use (then its URL answers 404). */
  readonly ttlMs?: number;
  /** Per tail stream: lines buffered for a client that does not read, then the oldest are dropped (L11). */
  readonly tailBufferMessages?: number;
  readonly tailBufferBytes?: number;
  /** A comment line every so often keeps idle proxies and the client's read loop awake. */
  readonly heartbeatMs?: number;
  /** `retry:` sent to tail clients: how long eventsource waits before reconnecting. */
  readonly retryMs?: number;
}

interface SessionState {
  readonly session: LogSession;
  expiresAt: number;
  readonly streams: Set<TailStream>;
}

/** Bytes of events handed to the socket in one write. */
const WRITE_CHUNK = 64 * 1024;

/** One open event stream: a queue in front of the socket, bounded for live lines. */
class TailStream {
  readonly #res: ServerResponse;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #onEnd: () => void;
  #queue: string[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;
  #droppedSince = 0;
  #waiting = false;
  #closed = false;
  #endWhenEmpty = false;
  /** The newest seq queued: live lines at or before it were already sent as history. */
  lastSeq = 0;

  constructor(res: ServerResponse, maxMessages: number, maxBytes: number, onEnd: () => void) {
    this.#res = res;
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
    this.#onEnd = onEnd;
    res.on('close', () => this.#finish());
    res.on('error', () => this.#finish());
    res.on('drain', () => {
      this.#waiting = false;
      this.pump();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** How many events wait in this stream's queue. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** History: always queued whole (at most 1,500 lines). */
  history(lines: readonly StoredLogLine[]): void {
    for (const line of lines) this.#enqueue(line);
    this.pump();
  }

  /** Live lines: the oldest are dropped beyond the buffer's bounds. */
  live(lines: readonly StoredLogLine[]): void {
    for (const line of lines) {
      if (line.seq <= this.lastSeq) continue;
      this.#enqueue(line);
      while (this.queued > 1 && (this.queued > this.#maxMessages || this.#bytes > this.#maxBytes)) {
        const oldest = this.#queue[this.#head] as string;
        this.#queue[this.#head] = '';
        this.#head++;
        this.#bytes -= oldest.length;
        if (this.#dropped === 0) this.#droppedSince = Date.now();
        this.#dropped++;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.pump();
  }

  #enqueue(line: StoredLogLine): void {
    const event = sseEvent(line.seq, formatLogLine(line));
    this.#queue.push(event);
    this.#bytes += event.length;
    this.lastSeq = line.seq;
  }

  /** Raw text (the `retry:` field, heartbeats), written when nothing waits. */
  raw(text: string): void {
    if (this.#closed || this.#waiting || this.queued > 0) return;
    this.#write(text);
  }

  /** Writes queued events until the socket pushes back. */
  pump(): void {
    while (!this.#closed && !this.#waiting) {
      let chunk = '';
      if (this.#dropped > 0) {
        const notice = { ts: logTimestamp(), source: 'heroku' as const, dyno: 'logplex', message: l11Message(this.#dropped, this.#droppedSince) };
        // No `id:`: the client's Last-Event-ID stays on the last real line.
        chunk += `data: ${formatLogLine(notice)}\n\n`;
        this.#dropped = 0;
      }
      while (this.#head < this.#queue.length && chunk.length < WRITE_CHUNK) {
        const event = this.#queue[this.#head] as string;
        this.#queue[this.#head] = '';
        this.#head++;
        this.#bytes -= event.length;
        chunk += event;
      }
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      if (chunk === '') break;
      this.#write(chunk);
    }
    if (this.#endWhenEmpty && !this.#waiting && this.queued === 0 && !this.#closed) this.end();
  }

  #write(text: string): void {
    if (!this.#res.write(text)) this.#waiting = true;
  }

  /** Ends the response once everything queued is written (a session without tail). */
  endWhenWritten(): void {
    this.#endWhenEmpty = true;
    this.pump();
  }

  end(): void {
    if (this.#closed) return;
    this.#res.end();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#onEnd();
  }
}

function parseLastEventId(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

export class LogSessions {
  readonly #logplex: Logplex;
  readonly #options: Required<Omit<LogSessionsOptions, 'url'>> & Pick<LogSessionsOptions, 'url'>;
  readonly #sessions = new Map<string, SessionState>();
  readonly #streams = new Map<TailStream, string>();
  #unsubscribe: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(logplex: Logplex, options: LogSessionsOptions) {
    this.#logplex = logplex;
    this.#options = {
      url: options.url,
      ttlMs: options.ttlMs ?? 5 * 60_000,
      tailBufferMessages: options.tailBufferMessages ?? 4096,
      tailBufferBytes: options.tailBufferBytes ?? 4 * 1024 * 1024,
      heartbeatMs: options.heartbeatMs ?? 30_000,
      retryMs: options.retryMs ?? 3000,
    };
  }

  /** A new session for an app; its URL is valid until it expires. */
  create(appId: string, request: LogSessionRequest): LogSession {
    this.#sweep();
    const id = randomUUID();
    const secret = randomBytes(24).toString('base64url');
    const lines = Math.max(0, Math.min(MAX_SESSION_LINES, Math.floor(request.lines ?? DEFAULT_SESSION_LINES)));
    const filter: LogFilter = { lines };
    if (request.source) filter.source = request.source;
    if (request.dyno) filter.dyno = request.dyno;
    const session: LogSession = {
      id,
      secret,
      appId,
      filter,
      tail: request.tail === true,
      vitals: request.vitals === true,
      createdAt: new Date().toISOString().slice(0, 19) + 'Z',
      url: this.#options.url(id, secret),
    };
    this.#sessions.set(id, { session, expiresAt: Date.now() + this.#options.ttlMs, streams: new Set() });
    return session;
  }

  /** The live session with this id and secret, or undefined (unknown, wrong secret, expired). */
  find(id: string, secret: string): LogSession | undefined {
    const state = this.#sessions.get(id);
    if (state === undefined || !sameSecret(state.session.secret, secret)) return undefined;
    if (state.streams.size === 0 && state.expiresAt <= Date.now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return state.session;
  }

  /**
   * Serves a session's event stream on `res` (headers included). History first (after `lastEventId` on a
   * reconnect), then live lines for a tail session; a session without tail ends after its history.
   */
  stream(session: LogSession, res: ServerResponse, lastEventId?: string | string[]): void {
    const state = this.#sessions.get(session.id);
    if (state === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"id":"not_found","message":"Couldn\'t find that log session."}');
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // Real sockets only (fastify's inject has none that can).
    const socket = res.socket as { setNoDelay?: (noDelay: boolean) => void } | null;
    if (typeof socket?.setNoDelay === 'function') socket.setNoDelay(true);
    const stream = new TailStream(res, this.#options.tailBufferMessages, this.#options.tailBufferBytes, () => {
      state.streams.delete(stream);
      this.#streams.delete(stream);
      state.expiresAt = Date.now() + this.#options.ttlMs;
      this.#idle();
    });
    this.#streams.set(stream, session.appId);
    const resumeAfter = parseLastEventId(lastEventId);
    if (session.tail) stream.raw(`retry: ${this.#options.retryMs}\n\n`);
    // Everything here is synchronous: no line is stored between reading the history and joining the live lines.
    const history =
      resumeAfter === undefined
        ? this.#logplex.history(session.appId, session.filter)
        : this.#logplex.history(session.appId, { ...session.filter, lines: undefined }, resumeAfter);
    stream.history(history);
    if (!session.tail) {
      stream.endWhenWritten();
      return;
    }
    if (stream.closed) return;
    state.streams.add(stream);
    this.#start();
  }

  /**
   * A dyno's vitals to the app's dashboard streams (sessions made with `vitals`): a named event (`event: vitals`, no
   * `id`, so a reconnect's Last-Event-ID still counts log lines), which a log client's `message` handler never sees.
   * Dropped for a stream with lines waiting: the next reading follows soon.
   */
  pushVitals(appId: string, vitals: unknown): void {
    const event = `event: vitals\ndata: ${JSON.stringify(vitals)}\n\n`;
    for (const state of this.#sessions.values()) {
      if (state.session.appId !== appId || !state.session.vitals) continue;
      for (const stream of state.streams) stream.raw(event);
    }
  }

  /** Open event streams (tests, metrics). */
  get openStreams(): number {
    return this.#streams.size;
  }

  /** Forgets an app's sessions and ends their streams. */
  removeApp(appId: string): void {
    for (const [id, state] of this.#sessions) {
      if (state.session.appId !== appId) continue;
      for (const stream of state.streams) stream.end();
      this.#sessions.delete(id);
    }
  }

  /** Ends every stream (daemon shutdown: open streams would keep the HTTP server from closing). */
  close(): void {
    for (const stream of [...this.#streams.keys()]) stream.end();
    this.#sessions.clear();
    this.#idle();
  }

  #start(): void {
    this.#unsubscribe ??= this.#logplex.subscribe((appId, lines) => this.#deliver(appId, lines));
    if (this.#heartbeat === undefined && this.#options.heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => {
        for (const stream of this.#streams.keys()) stream.raw(': heartbeat\n\n');
      }, this.#options.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  #idle(): void {
    if (this.#streams.size > 0) return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #deliver(appId: string, lines: readonly StoredLogLine[]): void {
    for (const state of this.#sessions.values()) {
      if (state.session.appId !== appId || !state.session.tail || state.streams.size === 0) continue;
      const filter = state.session.filter;
      const matching = filter.source || filter.dyno ? lines.filter((line) => matchesFilter(line, filter)) : lines;
      if (matching.length === 0) continue;
      for (const stream of state.streams) stream.live(matching);
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, state] of this.#sessions) {
      if (state.streams.size === 0 && state.expiresAt <= now) this.#sessions.delete(id);
    }
  }
}
