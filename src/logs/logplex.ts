// Logplex: every line of an app's log, from every source, in order, with the last N kept (Heroku: 1,500).
// Later issues add log sessions (SSE) and drains on top of `subscribe`.
import type { LogLine, LogSource } from '../contracts/records.js';
import type { Store, StoredLogLine } from '../store/index.js';
import { logTimestamp } from './format.js';

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

export class Logplex {
  readonly #store: Store;
  readonly #subscribers = new Set<LogSubscriber>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Appends lines now. Inside a store transaction the lines commit (and reach subscribers) with it. */
  write(appId: string, source: LogSource, dyno: string, messages: string | readonly string[]): void {
    const list = typeof messages === 'string' ? [messages] : messages;
    const lines = list.map((message) => ({ ts: logTimestamp(), source, dyno, message }));
    const stored = this.#store.logs.append(appId, lines);
    this.#store.afterCommit(() => {
      for (const subscriber of this.#subscribers) subscriber(appId, stored);
    });
  }

  /** The newest `filter.lines` matching lines of history, oldest first. */
  history(appId: string, filter: LogFilter = {}): StoredLogLine[] {
    const matching = this.#store.logs.read(appId).filter((line) => matchesFilter(line, filter));
    const lines = filter.lines ?? matching.length;
    return lines <= 0 ? [] : matching.slice(-lines);
  }

  subscribe(subscriber: LogSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }
}
