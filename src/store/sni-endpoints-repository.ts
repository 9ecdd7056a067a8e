import type { Db } from './database.js';

/** An SNI endpoint: the user's own certificate chain and private key (PEM), served for the domains linked to it. */
export interface SniEndpointRecord {
  readonly id: string;
  readonly appId: string;
  readonly name: string;
  readonly certificateChain: string;
  readonly privateKey: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface SniEndpointRow {
  id: string;
  app_id: string;
  name: string;
  certificate_chain: string;
  private_key: string;
  created_at: string;
  updated_at: string;
}

function toRecord(row: SniEndpointRow): SniEndpointRecord {
  return {
    id: row.id,
    appId: row.app_id,
    name: row.name,
    certificateChain: row.certificate_chain,
    privateKey: row.private_key,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A linked custom domain's host name with the endpoint that serves it (what the router's TLS listener needs). */
export interface SniBinding {
  readonly hostname: string;
  readonly certificateChain: string;
  readonly privateKey: string;
}

export class SniEndpointsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  insert(endpoint: SniEndpointRecord): SniEndpointRecord {
    this.#db
      .prepare(
        `INSERT INTO sni_endpoints (id, app_id, name, certificate_chain, private_key, created_at, updated_at)
         VALUES (@id, @appId, @name, @certificateChain, @privateKey, @createdAt, @updatedAt)`,
      )
      .run(endpoint);
    return endpoint;
  }

  listByApp(appId: string): SniEndpointRecord[] {
    return (this.#db.prepare('SELECT * FROM sni_endpoints WHERE app_id = ? ORDER BY created_at, id').all(appId) as SniEndpointRow[]).map(toRecord);
  }

  get(appId: string, id: string): SniEndpointRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM sni_endpoints WHERE app_id = ? AND id = ?').get(appId, id) as SniEndpointRow | undefined;
    return row && toRecord(row);
  }

  getByName(appId: string, name: string): SniEndpointRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM sni_endpoints WHERE app_id = ? AND name = ?').get(appId, name) as SniEndpointRow | undefined;
    return row && toRecord(row);
  }

  update(id: string, certificateChain: string, privateKey: string, now: string): void {
    this.#db
      .prepare('UPDATE sni_endpoints SET certificate_chain = ?, private_key = ?, updated_at = ? WHERE id = ?')
      .run(certificateChain, privateKey, now, id);
  }

  /** Removes the endpoint; its domains fall back to the local CA's certificate (the column's ON DELETE SET NULL). */
  delete(id: string): void {
    this.#db.prepare('DELETE FROM sni_endpoints WHERE id = ?').run(id);
  }

  /** Ids of the app's domains linked to the endpoint (the `domains` field). */
  domainIds(endpointId: string): string[] {
    return this.#db.prepare('SELECT id FROM domains WHERE sni_endpoint_id = ? ORDER BY created_at, id').pluck().all(endpointId) as string[];
  }

  /** Every linked domain with its certificate: read once per change, never per handshake. */
  bindings(): SniBinding[] {
    const rows = this.#db
      .prepare(
        `SELECT d.hostname AS hostname, e.certificate_chain AS certificate_chain, e.private_key AS private_key
         FROM domains d JOIN sni_endpoints e ON e.id = d.sni_endpoint_id`,
      )
      .all() as Array<{ hostname: string; certificate_chain: string; private_key: string }>;
    return rows.map((r) => ({ hostname: r.hostname, certificateChain: r.certificate_chain, privateKey: r.private_key }));
  }
}
