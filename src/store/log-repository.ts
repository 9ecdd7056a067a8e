import type { LogLine, LogSource } from '../contracts/records.js';
import type { Db } from './database.js';

interface LogRow {
  seq: number;
  ts: string;
  source: LogSource;
  dyno: string;
  message: string;
}

export interface StoredLogLine extends LogLine {
  /** Monotonic position in the store: SSE event ids and `Last-Event-ID` use it. */
  readonly seq: number;
}

/** Told, per app and in order, about the lines a flush of `enqueue`d lines stored. */
export type StoredListener = (appId: string, lines: readonly StoredLogLine[]) => void;

/** Lines inserted for an app before its old lines are trimmed away (the reads cap at `keep` anyway). */
const TRIM_EVERY = 256;

export class LogRepository {
  readonly #db: Db;
  readonly #keep: number;
  /** Lines waiting for the next flush, in arrival order, with their app. */
  #pending: Array<{ appId: string; line: LogLine }> = [];
  #scheduled: NodeJS.Immediate | undefined;
  readonly #untrimmed = new Map<string, number>();
  readonly #listeners = new Set<StoredListener>();
  readonly #insert;
  readonly #appExists;
  readonly #trim;
  readonly #readAfter;

  constructor(db: Db, keep: number) {
    this.#db = db;
    this.#keep = keep;
    this.#insert = db.prepare('INSERT INTO log_lines (app_id, ts, source, dyno, message) VALUES (?, ?, ?, ?, ?)');
    this.#appExists = db.prepare('SELECT 1 FROM apps WHERE id = ?').pluck();
    // Keep the ring at `keep` lines: delete everything older than the keep-th newest line.
    this.#trim = db.prepare(
      `DELETE FROM log_lines WHERE app_id = ? AND seq <= (
         SELECT seq FROM log_lines WHERE app_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    );
    this.#readAfter = db.prepare(
      `SELECT seq, ts, source, dyno, message FROM (
         SELECT seq, ts, source, dyno, message FROM log_lines WHERE app_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?
       ) ORDER BY seq`,
    );
  }

  /** Inserts now (inside the caller's transaction, if any) and trims the app's ring to `keep` lines. */
  append(appId: string, lines: readonly LogLine[]): StoredLogLine[] {
    this.flush();
    const stored = lines.map((line) => {
      const { lastInsertRowid } = this.#insert.run(appId, line.ts, line.source, line.dyno, line.message);
      return { ...line, seq: Number(lastInsertRowid) };
    });
    this.#trim.run(appId, appId, this.#keep);
    this.#untrimmed.delete(appId);
    return stored;
  }

  /**
   * Queues lines for one batched insert at the end of this turn of the event loop (the write path of busy dynos):
   * order is kept across apps and calls; listeners hear of them when they are stored. Lines of an app that is gone
   * by then are dropped.
   */
  enqueue(appId: string, lines: readonly LogLine[]): void {
    for (const line of lines) this.#pending.push({ appId, line });
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      if (this.#db.open) this.flush();
    });
  }

  /** How many lines wait for the next flush. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Stores queued lines now, in one transaction, then tells the listeners. */
  flush(): void {
    if (this.#pending.length === 0 || !this.#db.open) return;
    const batch = this.#pending;
    this.#pending = [];
    const byApp = new Map<string, StoredLogLine[]>();
    const gone = new Set<string>();
    const store = this.#db.transaction(() => {
      for (const { appId, line } of batch) {
        if (gone.has(appId)) continue;
        let stored = byApp.get(appId);
        if (stored === undefined) {
          if (this.#appExists.get(appId) === undefined) {
            gone.add(appId);
            continue;
          }
          stored = [];
          byApp.set(appId, stored);
        }
        const { lastInsertRowid } = this.#insert.run(appId, line.ts, line.source, line.dyno, line.message);
        stored.push({ ...line, seq: Number(lastInsertRowid) });
      }
      for (const [appId, stored] of byApp) {
        const count = (this.#untrimmed.get(appId) ?? 0) + stored.length;
        if (count >= TRIM_EVERY) {
          this.#trim.run(appId, appId, this.#keep);
          this.#untrimmed.delete(appId);
        } else {
          this.#untrimmed.set(appId, count);
        }
      }
    });
    store();
    for (const [appId, stored] of byApp) {
      for (const listener of this.#listeners) {
        try {
          listener(appId, stored);
        } catch {
          // A listener's failure is its own; the lines are stored.
        }
      }
    }
  }

  onStored(listener: StoredListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The newest `keep` lines in order, oldest first, after `afterSeq` when given. Queued lines are stored first. */
  read(appId: string, afterSeq = 0): StoredLogLine[] {
    if (!this.#db.inTransaction) this.flush();
    return this.#readAfter.all(appId, afterSeq, this.#keep) as LogRow[];
  }
}
