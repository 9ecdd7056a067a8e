// What the data API reports about an add-on's server, read from the server itself: Postgres' version, connections,
// size and tables; Redis' INFO. Also `pg:reset`, which empties the database in place.
import { connect } from 'node:net';
import type pg from 'pg';
import type { AddonRecord } from '../store/index.js';

export interface PostgresFacts {
  readonly version: string;
  readonly connections: number;
  /** The server's `max_connections`: the plan's limit it was started with. */
  readonly maxConnections: number;
  readonly dataSizeBytes: number;
  readonly tables: number;
}

async function withClient<T>(addon: AddonRecord, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  // pg is loaded when first needed: only apps with a Postgres add-on do, and loading it is a cost of every daemon start.
  const { Client } = (await import('pg')).default;
  const client = new Client({ host: '127.0.0.1', port: addon.port, user: addon.username, password: addon.password, database: addon.database, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function postgresFacts(addon: AddonRecord): Promise<PostgresFacts> {
  return withClient(addon, async (client) => {
    const row = (
      await client.query<{ version: string; connections: string; max: string; size: string; tables: string }>(
        `SELECT current_setting('server_version') AS version, current_setting('max_connections') AS max,
                (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) AS connections,
                pg_database_size(current_database()) AS size,
                (SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')) AS tables`,
      )
    ).rows[0];
    return {
      version: (row?.version ?? '').split(' ')[0] ?? '',
      // This query's own connection does not count.
      connections: Math.max(0, Number(row?.connections ?? 1) - 1),
      maxConnections: Number(row?.max ?? 0),
      dataSizeBytes: Number(row?.size ?? 0),
      tables: Number(row?.tables ?? 0),
    };
  });
}

/** `pg:reset`: every object of the database goes (the public schema is made again, as a new database has it). */
export function resetPostgres(addon: AddonRecord, extensions: readonly string[]): Promise<void> {
  return withClient(addon, async (client) => {
    const schemas = (
      await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`)
    ).rows.map((r) => r.name);
    for (const schema of schemas) await client.query(`DROP SCHEMA ${client.escapeIdentifier(schema)} CASCADE`);
    // As a new database has it (Postgres 15+): owned by the database's owner, usable by every role, so a credential
    // given CREATE on it can use it after the reset as before.
    await client.query('CREATE SCHEMA public AUTHORIZATION pg_database_owner');
    await client.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
    for (const extension of extensions) await client.query(`CREATE EXTENSION IF NOT EXISTS ${client.escapeIdentifier(extension)}`);
  });
}

/**
 * `pg:credentials:create`: a login role with its own password that may connect to the add-on's database and nothing
 * more (Heroku leaves the grants to the user: `Please define the new grants for the credential within Postgres`).
 */
export function createRole(addon: AddonRecord, username: string, password: string): Promise<void> {
  return withClient(addon, async (client) => {
    const role = client.escapeIdentifier(username);
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD ${client.escapeLiteral(password)}`);
    await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(addon.database)} TO ${role}`);
  });
}

/**
 * `pg:credentials:rotate`: each role gets its new password (run as the default role, whose old password still
 * holds: the caller lists it last) in one transaction, committed only when `beforeCommit` (the store's write) returns;
 * if it throws, the server keeps the old passwords. The roles' sessions then end: all of them (`resetAll`: the default credential,
 * `--force`, `--all`), else those older than 30 minutes, as Heroku says before rotating.
 */
export function rotatePasswords(
  addon: AddonRecord,
  roles: ReadonlyArray<{ username: string; password: string }>,
  resetAll: boolean,
  beforeCommit: () => void,
): Promise<void> {
  return withClient(addon, async (client) => {
    await client.query('BEGIN');
    try {
      for (const role of roles) await client.query(`ALTER ROLE ${client.escapeIdentifier(role.username)} PASSWORD ${client.escapeLiteral(role.password)}`);
      beforeCommit();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await client.query('COMMIT');
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid() AND ($2::boolean OR backend_start < now() - interval '30 minutes')`,
      [roles.map((r) => r.username), resetAll],
    );
  });
}

/**
 * `pg:credentials:destroy`: the role's sessions end, what it owns in the add-on's database goes to the default
 * role (Heroku: `Database objects owned by <name> will be assigned to the default credential`), then the role goes.
 */
export function dropRole(addon: AddonRecord, username: string): Promise<void> {
  return withClient(addon, async (client) => {
    const role = client.escapeIdentifier(username);
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [username]);
    await client.query(`REASSIGN OWNED BY ${role} TO ${client.escapeIdentifier(addon.username)}`);
    await client.query(`DROP OWNED BY ${role}`);
    await client.query(`DROP ROLE ${role}`);
  });
}

/** `INFO` of the Redis server as key → value. */
export function redisInfo(addon: AddonRecord): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: addon.port });
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`AUTH ${addon.password}\r\nINFO\r\nQUIT\r\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('close', () => {
      const info: Record<string, string> = {};
      for (const line of answer.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0 && !line.startsWith('#')) info[line.slice(0, colon)] = line.slice(colon + 1);
      }
      resolve(info);
    });
  });
}
