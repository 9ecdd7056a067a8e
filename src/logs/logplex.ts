// Logplex: every line of an app's log, from every source, in order, with the last N kept (Heroku: 1,500).
// The write path is cheap: lines are timestamped at once and stored in one batched insert per turn of the event loop
// (a dyno may write 10,000 lines/s); subscribers (log sessions, drains) hear of them once they are stored.
import type { LogLine, LogSource } from '../contracts/records.js';
import type { Store, StoredLogLine } from '../store/index.js';
import { logTimestamp, MAX_LINE_BYTES, splitMessage } from './format.js';

export interface LogFilter {
  /** `app` or `heroku`. */
  source?: string | undefined;
  /** A dyno name (`web.1`) or a process type (`web`), which matches every dyno of that type. */
  dyno?: string | undefined;
  /** How many of the newest matching lines of history to return. */
  lines?: number | undefined;
}

export type LogSubscriber = (appId: string, lines: readonly StoredLogLine[]) => void;

export function matchesFilter(line: LogLine, filter: LogFilter): boolean {
  if (filter.source && line.source !== filter.source) return false;
  if (filter.dyno) {
    const wanted = filter.dyno;
    if (line.dyno !== wanted && !line.dyno.startsWith(`${wanted}.`)) return false;
  }
  return true;
}

export interface LogplexOptions {
  /** Longer lines are split into pieces of at most this many bytes (Heroku: 10,000). */
  readonly maxLineBytes?: number;
}

export class Logplex {
  readonly #store: Store;
  readonly #subscribers = new Set<LogSubscriber>();
  readonly #maxLineBytes: number;

  constructor(store: Store, options: LogplexOptions = {}) {
    this.#store = store;
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    store.logs.onStored((appId, lines) => {
      for (const subscriber of this.#subscribers) {
        try {
          subscriber(appId, lines);
        } catch {
          // One subscriber's failure must not keep the lines from the others.
        }
      }
    });
  }

  /**
   * Appends lines: timestamped now, stored (and handed to subscribers) at the end of this turn of the event loop,
   * in the order written. Inside a store transaction they are queued when it commits, and never if it rolls back.
   * A message longer than 10,000 bytes becomes several lines. `history` sees every line written before it.
   */
  write(appId: string, source: LogSource, dyno: string, messages: string | readonly string[]): void {
    const list = typeof messages === 'string' ? [messages] : messages;
    const lines: LogLine[] = [];
    for (const message of list) {
      for (const piece of splitMessage(message, this.#maxLineBytes)) lines.push({ ts: logTimestamp(), source, dyno, message: piece });
    }
    if (lines.length === 0) return;
    this.#store.afterCommit(() => this.#store.logs.enqueue(appId, lines));
  }

  /** Stores queued lines now (tests, shutdown). */
  flush(): void {
    this.#store.logs.flush();
  }

  /** The newest `filter.lines` matching lines of history, oldest first; only lines after `afterSeq` when given. */
  history(appId: string, filter: LogFilter = {}, afterSeq = 0): StoredLogLine[] {
    const matching = this.#store.logs.read(appId, afterSeq).filter((line) => matchesFilter(line, filter));
    const lines = filter.lines ?? matching.length;
    return lines <= 0 ? [] : matching.slice(-lines);
  }

  /** Hears every stored line of every app, in order, after it is stored. Returns the unsubscribe function. */
  subscribe(subscriber: LogSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }
}
