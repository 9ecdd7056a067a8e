import type { Db } from './database.js';

/** Someone given access to an app (`access:add`); the owner, the one local account, is not stored. */
export interface CollaboratorRecord {
  readonly id: string;
  readonly appId: string;
  /** Lower-cased. */
  readonly email: string;
  readonly userId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface CollaboratorRow {
  id: string;
  app_id: string;
  email: string;
  user_id: string;
  created_at: string;
  updated_at: string;
}

function toRecord(row: CollaboratorRow): CollaboratorRecord {
  return { id: row.id, appId: row.app_id, email: row.email, userId: row.user_id, createdAt: row.created_at, updatedAt: row.updated_at };
}

export class CollaboratorsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(record: CollaboratorRecord): CollaboratorRecord {
    this.#db
      .prepare('INSERT INTO collaborators (id, app_id, email, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(record.id, record.appId, record.email, record.userId, record.createdAt, record.updatedAt);
    return record;
  }

  listByApp(appId: string): CollaboratorRecord[] {
    return (this.#db.prepare('SELECT * FROM collaborators WHERE app_id = ? ORDER BY created_at, email').all(appId) as CollaboratorRow[]).map(toRecord);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM collaborators WHERE id = ?').run(id);
  }
}
