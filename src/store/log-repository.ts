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

export class LogRepository {
  readonly #db: Db;
  readonly #keep: number;
  constructor(db: Db, keep: number) {
    this.#db = db;
    this.#keep = keep;
  }

  append(appId: string, lines: readonly LogLine[]): StoredLogLine[] {
    const insert = this.#db.prepare('INSERT INTO log_lines (app_id, ts, source, dyno, message) VALUES (?, ?, ?, ?, ?)');
    const stored = lines.map((line) => {
      const { lastInsertRowid } = insert.run(appId, line.ts, line.source, line.dyno, line.message);
      return { ...line, seq: Number(lastInsertRowid) };
    });
    // Keep the ring at `keep` lines: delete everything older than the keep-th newest line.
    this.#db
      .prepare(
        `DELETE FROM log_lines WHERE app_id = ? AND seq <= (
           SELECT seq FROM log_lines WHERE app_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      )
      .run(appId, appId, this.#keep);
    return stored;
  }

  /** Lines in order, oldest first, after `afterSeq` when given. */
  read(appId: string, afterSeq = 0): StoredLogLine[] {
    return this.#db
      .prepare('SELECT seq, ts, source, dyno, message FROM log_lines WHERE app_id = ? AND seq > ? ORDER BY seq')
      .all(appId, afterSeq) as LogRow[];
  }
}
