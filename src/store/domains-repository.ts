import type { Db } from './database.js';

/** A custom domain as stored; the `<app>.localhost` heroku domain is not stored (it follows the app's name). */
export interface DomainRecord {
  readonly id: string;
  readonly appId: string;
  readonly hostname: string;
  readonly cname: string | null;
  readonly status: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface DomainRow {
  id: string;
  app_id: string;
  hostname: string;
  cname: string | null;
  status: string;
  created_at: string;
  updated_at: string;
}

function toRecord(row: DomainRow): DomainRecord {
  return {
    id: row.id,
    appId: row.app_id,
    hostname: row.hostname,
    cname: row.cname,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class DomainsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(domain: DomainRecord): DomainRecord {
    this.#db
      .prepare(
        `INSERT INTO domains (id, app_id, hostname, cname, status, created_at, updated_at)
         VALUES (@id, @appId, @hostname, @cname, @status, @createdAt, @updatedAt)`,
      )
      .run(domain);
    return domain;
  }

  listByApp(appId: string): DomainRecord[] {
    return (this.#db.prepare('SELECT * FROM domains WHERE app_id = ? ORDER BY created_at, id').all(appId) as DomainRow[]).map(toRecord);
  }

  /** Lower-case host names of the app's custom domains (read on every routing snapshot). */
  hostnamesOf(appId: string): string[] {
    return (this.#db.prepare('SELECT hostname FROM domains WHERE app_id = ?').pluck().all(appId) as string[]);
  }

  getByHostname(hostname: string): DomainRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM domains WHERE hostname = ?').get(hostname) as DomainRow | undefined;
    return row && toRecord(row);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM domains WHERE id = ?').run(id);
  }
}
