import type { Db } from './database.js';

/** A custom domain as stored; the `<app>.localhost` heroku domain is not stored (it follows the app's name). */
export interface DomainRecord {
  readonly id: string;
  readonly appId: string;
  readonly hostname: string;
  readonly cname: string | null;
  readonly status: string;
  /** The SNI endpoint whose certificate the router serves for this host name; null: the local CA's. */
  readonly sniEndpointId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface DomainRow {
  id: string;
  app_id: string;
  hostname: string;
  cname: string | null;
  status: string;
  sni_endpoint_id: string | null;
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
    sniEndpointId: row.sni_endpoint_id,
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
        `INSERT INTO domains (id, app_id, hostname, cname, status, sni_endpoint_id, created_at, updated_at)
         VALUES (@id, @appId, @hostname, @cname, @status, @sniEndpointId, @createdAt, @updatedAt)`,
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

  setSniEndpoint(id: string, sniEndpointId: string | null, now: string): void {
    this.#db.prepare('UPDATE domains SET sni_endpoint_id = ?, updated_at = ? WHERE id = ?').run(sniEndpointId, now, id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM domains WHERE id = ?').run(id);
  }

  /** Automatic Certificate Management is on for every app until `certs:auto:disable` records it off. */
  acmEnabled(appId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM acm_disabled WHERE app_id = ?').get(appId) === undefined;
  }

  setAcm(appId: string, enabled: boolean): void {
    if (enabled) this.#db.prepare('DELETE FROM acm_disabled WHERE app_id = ?').run(appId);
    else this.#db.prepare('INSERT OR IGNORE INTO acm_disabled (app_id) VALUES (?)').run(appId);
  }
}
