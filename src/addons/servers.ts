// The add-on servers: one container per add-on, from the add-on image, on the host network bound to 127.0.0.1 (and the
// manager's advertise address, when dynos on other nodes must reach it) on the port Berth allocated, data in a named volume (DESIGN.md "Add-on servers"). The container runs as root only long
// enough to own its volume and write the TLS key, then execs the server as the package's own user.
import { connect } from 'node:net';
import type { ContainerSpec } from '../runtime/index.js';
import { POSTGRES_TEMPLATE_DATABASE, POSTGRES_TEMPLATE_DIR } from '../stack/index.js';
import type { AddonRecord } from '../store/index.js';
import type { AddonPlan, ServiceKind } from './catalogue.js';

/** A certificate from the local CA for 127.0.0.1, the advertise address and localhost. */
export interface ServerCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

const DATA = '/var/lib/berth-addon';

export const volumeName = (addon: Pick<AddonRecord, 'id'>): string => `berth-addon-${addon.id}`;

// First start on an empty volume: a copy of the image's template cluster (stack/addon-image.ts), made the add-on's
// own in single-user mode: its role (a superuser, as initdb's owner was) with its scram password, and the template's
// database renamed to its database and given to it. The template's "postgres" role has no password, so it cannot
// log in over TCP. An image without the template (BERTH_ADDON_IMAGE) runs initdb with the add-on's role as owner.
// The copy is made beside the data directory and moved into place once it is the add-on's, so a server killed half
// way copies again on its next start. A volume that has a cluster already starts it as it is.
// Every start: the certificate is written again (the CA may have been renewed) and the server is tuned small.
// initdb and the template allow 127.0.0.1/32 and ::1 alone; a server that also listens on another address (the
// advertise address, for dynos on other nodes) lets password logins in from anywhere it is reached (remoteHba).
const postgresScript = (listen: readonly string[]): string => `set -e
D=${DATA}/data B=/usr/local/lib/postgresql-bin T=${POSTGRES_TEMPLATE_DIR}
mkdir -p "$D"; chown -R postgres:postgres ${DATA}; chmod 700 "$D"
if [ ! -s "$D/PG_VERSION" ] && [ -s "$T/PG_VERSION" ]; then
  rm -rf ${DATA}/copy; cp -a "$T" ${DATA}/copy
  printf '%s\\n' "CREATE ROLE \\"$BERTH_USER\\" SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS LOGIN PASSWORD '$BERTH_PASSWORD';" \\
    "ALTER DATABASE ${POSTGRES_TEMPLATE_DATABASE} RENAME TO \\"$BERTH_DATABASE\\";" "ALTER DATABASE \\"$BERTH_DATABASE\\" OWNER TO \\"$BERTH_USER\\";" \\
    | runuser -u postgres -- "$B/postgres" --single -F -D ${DATA}/copy postgres >/dev/null
  rm -rf "$D"; mv ${DATA}/copy "$D"
elif [ ! -s "$D/PG_VERSION" ]; then
  printf '%s' "$BERTH_PASSWORD" > /tmp/pw; chown postgres /tmp/pw
  runuser -u postgres -- "$B/initdb" -D "$D" -U "$BERTH_USER" --pwfile=/tmp/pw --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  rm -f /tmp/pw
  echo "CREATE DATABASE \\"$BERTH_DATABASE\\" OWNER \\"$BERTH_USER\\";" | runuser -u postgres -- "$B/postgres" --single -F -D "$D" postgres >/dev/null
fi
printf '%s\\n' "$BERTH_TLS_CERT" > "$D/server.crt"; printf '%s\\n' "$BERTH_TLS_KEY" > "$D/server.key"
chown postgres:postgres "$D/server.crt" "$D/server.key"; chmod 600 "$D/server.key"
${remoteHba(listen)}exec runuser -u postgres -- "$B/postgres" -D "$D" -p "$BERTH_PORT" -c listen_addresses=${listen.join(',')} -c unix_socket_directories=/tmp \\
  -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key -c max_connections="$BERTH_CONNECTIONS" \\
  -c shared_buffers=16MB -c jit=off -c huge_pages=off -c max_wal_size=256MB -c log_destination=stderr
`;

// Idempotent: the line is appended on the first start that listens beyond 127.0.0.1, once. Nothing when it does not,
// so the default script is unchanged. Even 127.0.0.2 needs it: Linux routes all of 127/8 to loopback, but pg_hba's
// 127.0.0.1/32 refuses a client bound to another of its addresses.
const remoteHba = (listen: readonly string[]): string =>
  listen
    .filter((address) => address !== '127.0.0.1' && address !== '::1')
    .map((address) => (address.includes(':') ? '::/0' : '0.0.0.0/0'))
    .filter((network, index, all) => all.indexOf(network) === index)
    .map((network) => `grep -qxF 'host all all ${network} scram-sha-256' "$D/pg_hba.conf" || echo 'host all all ${network} scram-sha-256' >> "$D/pg_hba.conf"\n`)
    .join('');

// Plain TCP on the add-on's port and TLS on the next one (the `redis:cli` convention for port+1); append-only file
// so a write survives a kill.
const redisScript = (listen: readonly string[]): string => `set -e
mkdir -p ${DATA}/tls; printf '%s\\n' "$BERTH_TLS_CERT" > ${DATA}/tls/server.crt; printf '%s\\n' "$BERTH_TLS_KEY" > ${DATA}/tls/server.key
chown -R redis:redis ${DATA}; chmod 600 ${DATA}/tls/server.key
exec runuser -u redis -- redis-server --bind ${listen.join(' ')} --port "$BERTH_PORT" --tls-port "$((BERTH_PORT + 1))" \\
  --tls-cert-file ${DATA}/tls/server.crt --tls-key-file ${DATA}/tls/server.key --tls-auth-clients no \\
  --requirepass "$BERTH_PASSWORD" --maxclients "$BERTH_CONNECTIONS" --dir ${DATA} --appendonly yes --save '' --daemonize no
`;

export interface ServerSpecInput {
  readonly addon: AddonRecord;
  readonly kind: ServiceKind;
  readonly plan: AddonPlan;
  readonly image: string;
  readonly certificate: ServerCertificate;
  readonly containerName: string;
  /** The addresses the server listens on: 127.0.0.1, then the advertise address when it differs. */
  readonly listen: readonly string[];
}

export function serverSpec(input: ServerSpecInput): ContainerSpec {
  const { addon } = input;
  return {
    image: input.image,
    cmd: ['bash', '-c', input.kind === 'postgresql' ? postgresScript(input.listen) : redisScript(input.listen)],
    user: 'root',
    name: input.containerName,
    labels: { app: addon.appId, role: 'addon', dyno: addon.name },
    extraLabels: { 'berth.addon': addon.id },
    binds: [`${volumeName(addon)}:${DATA}`],
    env: {
      BERTH_PORT: String(addon.port),
      BERTH_USER: addon.username,
      BERTH_PASSWORD: addon.password,
      BERTH_DATABASE: addon.database,
      BERTH_CONNECTIONS: String(input.plan.connections),
      BERTH_TLS_CERT: input.certificate.certPem,
      BERTH_TLS_KEY: input.certificate.keyPem,
    },
  };
}

/** Resolves once the server answers an authenticated query (Postgres) or `PING` (Redis); rejects after `timeoutMs`. */
export async function waitReady(addon: AddonRecord, kind: ServiceKind, timeoutMs: number, isRunning: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (kind === 'postgresql') await pingPostgres(addon);
      else await pingRedis(addon);
      return;
    } catch (error) {
      lastError = error;
    }
    if (!(await isRunning())) throw new Error(`the ${kind} server of ${addon.name} exited while starting`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the ${kind} server of ${addon.name} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

async function pingPostgres(addon: AddonRecord): Promise<void> {
  // Loaded on first use, as in inspect.ts: most daemons never start a Postgres add-on.
  const { Client } = (await import('pg')).default;
  const client = new Client({ host: '127.0.0.1', port: addon.port, user: addon.username, password: addon.password, database: addon.database, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One RESP exchange over plain TCP: `AUTH` then `PING`, answered `+OK` and `+PONG`. */
function pingRedis(addon: AddonRecord): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: addon.port });
    let answer = '';
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(2000, () => fail(new Error('timed out')));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(`AUTH ${addon.password}\r\nPING\r\n`));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (answer.includes('+PONG')) {
        socket.end();
        resolve();
      } else if (answer.startsWith('-')) fail(new Error(answer.trim()));
    });
  });
}
