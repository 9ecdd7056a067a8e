import type { Db } from './database.js';

export interface SourceRecord {
  readonly id: string;
  readonly secret: string;
  readonly createdAt: string;
  /** Bytes uploaded; null until the PUT completes. */
  readonly size: number | null;
}

export class SourcesRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(source: Omit<SourceRecord, 'size'>): void {
    this.#db.prepare('INSERT INTO sources (id, secret, created_at) VALUES (@id, @secret, @createdAt)').run(source);
  }

  get(id: string): SourceRecord | undefined {
    return this.#db.prepare('SELECT id, secret, created_at AS createdAt, size FROM sources WHERE id = ?').get(id) as
      | SourceRecord
      | undefined;
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM sources WHERE id = ?').run(id);
  }

  markUploaded(id: string, size: number): void {
    this.#db.prepare('UPDATE sources SET size = ? WHERE id = ?').run(size, id);
  }
}
