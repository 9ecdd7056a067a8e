import type { Db } from './database.js';

/** A log drain: where logplex forwards every line of an app (HTTPS frames or syslog). */
export interface LogDrainRecord {
  readonly id: string;
  readonly appId: string;
  readonly url: string;
  /** `d.<uuid>`: sent as `Logplex-Drain-Token` and in the syslog HOSTNAME slot. */
  readonly token: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface DrainRow {
  id: string;
  app_id: string;
  url: string;
  token: string;
  created_at: string;
  updated_at: string;
}

function record(row: DrainRow): LogDrainRecord {
  return { id: row.id, appId: row.app_id, url: row.url, token: row.token, createdAt: row.created_at, updatedAt: row.updated_at };
}

export class DrainsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(drain: LogDrainRecord): LogDrainRecord {
    this.#db
      .prepare('INSERT INTO log_drains (id, app_id, url, token, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(drain.id, drain.appId, drain.url, drain.token, drain.createdAt, drain.updatedAt);
    return drain;
  }

  listByApp(appId: string): LogDrainRecord[] {
    const rows = this.#db.prepare('SELECT * FROM log_drains WHERE app_id = ? ORDER BY created_at, rowid').all(appId) as DrainRow[];
    return rows.map(record);
  }

  listAll(): LogDrainRecord[] {
    return (this.#db.prepare('SELECT * FROM log_drains ORDER BY created_at, rowid').all() as DrainRow[]).map(record);
  }

  /** By id, url or token, as `DELETE /apps/{app}/log-drains/{log_drain_query_identity}` allows. */
  find(appId: string, identity: string): LogDrainRecord | undefined {
    const row = this.#db
      .prepare('SELECT * FROM log_drains WHERE app_id = ? AND (id = ? OR url = ? OR token = ?) ORDER BY created_at LIMIT 1')
      .get(appId, identity, identity, identity) as DrainRow | undefined;
    return row === undefined ? undefined : record(row);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM log_drains WHERE id = ?').run(id);
  }
}
