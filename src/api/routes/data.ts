// The data API behind `pg:*` and `redis:*`, on the same listeners as the Platform API: the CLI sends data calls to
// `HEROKU_DATA_HOST` with the scheme and port of `HEROKU_HOST` (reference heroku-addons-and-data §0, §4). Facts come
// from the add-on's own server; plan limits are the catalogue's (advisory on this machine).
import type { FastifyPluginAsync } from 'fastify';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AddonView } from '../../addons/index.js';
import type { ApiServices } from '../context.js';
import { schemas, type StreamParams } from '../schemas.js';

interface DataParams {
  readonly addon: string;
  readonly credential?: string;
}

interface TransferParams {
  readonly app: string;
  readonly transfer?: string;
}

interface RestoreBody {
  readonly backup_url?: string;
}

interface CredentialBody {
  readonly name?: unknown;
}

interface RotationBody {
  readonly forced?: unknown;
}

interface ResetBody {
  readonly extensions?: readonly string[];
}

/** `2025-01-02 03:04` as pg:info prints `Created`. */
const created = (iso: string) => iso.replace('T', ' ').slice(0, 16);

function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

/** `host`: where dynos reach the add-on servers (the manager's advertise address), as the config vars name it. */
function urlOf(view: AddonView, host: string): string {
  const { addon } = view;
  return `postgres://${addon.username}:${addon.password}@${host}:${addon.port}/${addon.database}`;
}

/** A credential as `/postgres/v0` answers it: one active user, on the add-on's server. */
function credentialShape(view: AddonView, credential: { name: string; username: string; password: string }, host: string) {
  return {
    uuid: view.addon.id,
    name: credential.name,
    state: 'active',
    database: view.addon.database,
    host,
    port: view.addon.port,
    credentials: [{ user: credential.username, password: credential.password, state: 'active', connections: null }],
  };
}

export const dataRoutes: FastifyPluginAsync<ApiServices> = async (api, services) => {
  const { addons } = services;

  api.get<{ Params: DataParams }>('/client/v11/databases/:addon', { schema: schemas.params }, async (request) => {
    const { view, facts } = await addons.postgresInfo(request.params.addon);
    return {
      addon_id: view.addon.id,
      name: view.addon.name,
      plan: view.plan.name,
      resource_url: urlOf(view, addons.serverHost),
      info: [
        { name: 'Plan', values: [view.plan.humanName] },
        { name: 'Status', values: ['Available'] },
        { name: 'Connections', values: [`${facts.connections}/${facts.maxConnections}`] },
        { name: 'PG Version', values: [facts.version] },
        { name: 'Created', values: [created(view.addon.createdAt)] },
        { name: 'Data Size', values: [`${size(facts.dataSizeBytes)} / ${view.plan.storage}`] },
        { name: 'Tables', values: [String(facts.tables)] },
        { name: 'Fork/Follow', values: ['Unsupported'] },
        { name: 'Rollback', values: ['Unsupported'] },
        { name: 'Continuous Protection', values: ['Off'] },
      ],
    };
  });

  // Add-ons are provisioned before the API first answers with them: never waiting.
  api.get<{ Params: DataParams }>('/client/v11/databases/:addon/wait_status', { schema: schemas.params }, async (request) => {
    addons.dataAddon(request.params.addon, 'postgresql');
    return { 'waiting?': false, 'error?': false, message: 'Available' };
  });

  api.put<{ Params: DataParams; Body: ResetBody | undefined }>('/client/v11/databases/:addon/reset', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const extensions = Array.isArray(request.body?.extensions) ? request.body.extensions.filter((e): e is string => typeof e === 'string') : [];
    await addons.reset(request.params.addon, extensions);
    return {};
  });

  // `pg:backups`, `pg:backups:capture`, `pg:backups:restore` (real pg_dump files in the data dir).
  api.get<{ Params: TransferParams }>('/client/v11/apps/:app/transfers', { schema: schemas.params }, async (request) => addons.transfers(request.params.app));
  api.get<{ Params: TransferParams }>('/client/v11/apps/:app/transfers/:transfer', { schema: schemas.params }, async (request) =>
    addons.transfer(request.params.app, request.params.transfer ?? ''),
  );
  api.post<{ Params: DataParams }>('/client/v11/databases/:addon/backups', { schema: schemas.paramsIgnoringBody }, async (request) =>
    addons.captureBackup(request.params.addon),
  );
  api.post<{ Params: DataParams; Body: RestoreBody | undefined }>('/client/v11/databases/:addon/restores', { schema: schemas.paramsIgnoringBody }, async (request) =>
    addons.restoreBackup(request.params.addon, typeof request.body?.backup_url === 'string' ? request.body.backup_url : ''),
  );

  // `pg:backups:url` and `pg:backups:download`: a public URL on the TLS listener (the CLI downloads with https.get
  // only), serving the dump file with no API key until it expires, as Heroku's presigned S3 URL does.
  api.post<{ Params: TransferParams }>('/client/v11/apps/:app/transfers/:transfer/actions/public-url', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const { uuid, secret } = await addons.backupPublicUrl(request.params.app, request.params.transfer ?? '');
    return { url: services.urls.backup(uuid, secret) };
  });
  api.get<{ Params: StreamParams }>('/backups/:id/:secret', { schema: schemas.params, config: { public: true } }, async (request, reply) => {
    const file = await addons.backupFile(request.params.id, request.params.secret);
    const { size: length } = await stat(file);
    return reply.type('application/octet-stream').header('content-length', length).send(createReadStream(file));
  });

  // `pg:credentials`, `pg:credentials:url [--name]` (Basic auth with the API key as password), `pg:credentials:create`.
  api.get<{ Params: DataParams }>('/postgres/v0/databases/:addon/credentials', { schema: schemas.params }, async (request) => {
    const { view, credentials } = addons.credentials(request.params.addon);
    return credentials.map((credential) => credentialShape(view, credential, addons.serverHost));
  });
  api.get<{ Params: DataParams }>('/postgres/v0/databases/:addon/credentials/:credential', { schema: schemas.params }, async (request) => {
    const { view, credential } = addons.credential(request.params.addon, request.params.credential ?? 'default');
    return credentialShape(view, credential, addons.serverHost);
  });
  api.post<{ Params: DataParams; Body: CredentialBody | undefined }>('/postgres/v0/databases/:addon/credentials', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const name = typeof request.body?.name === 'string' ? request.body.name : '';
    const credential = await addons.createCredential(request.params.addon, name);
    return credentialShape(addons.dataAddon(request.params.addon, 'postgresql'), credential, addons.serverHost);
  });

  // `pg:credentials:rotate [--name N] [--force]` and `--all` (body `{"forced": true}` with --force; the CLI reads no
  // answer): new passwords on the server, the attachments' URLs in `Update … by heroku-postgresql` releases.
  api.post<{ Params: DataParams; Body: RotationBody | undefined }>(
    '/postgres/v0/databases/:addon/credentials/:credential/credentials_rotation',
    { schema: schemas.paramsIgnoringBody },
    async (request) => {
      const { view, credentials } = await addons.rotateCredentials(request.params.addon, { name: request.params.credential ?? 'default' }, request.body?.forced === true);
      return credentials.map((credential) => credentialShape(view, credential, addons.serverHost))[0];
    },
  );
  api.post<{ Params: DataParams; Body: RotationBody | undefined }>('/postgres/v0/databases/:addon/credentials_rotation', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const { view, credentials } = await addons.rotateCredentials(request.params.addon, 'all', request.body?.forced === true);
    return credentials.map((credential) => credentialShape(view, credential, addons.serverHost));
  });
  // `pg:credentials:destroy --name N`: the role goes from the server; the CLI prints its own lines.
  api.delete<{ Params: DataParams }>('/postgres/v0/databases/:addon/credentials/:credential', { schema: schemas.paramsIgnoringBody }, async (request) => {
    const view = await addons.destroyCredential(request.params.addon, request.params.credential ?? '');
    return { uuid: view.addon.id, name: request.params.credential, state: 'destroyed' };
  });

  // `redis:wait`: as `pg:wait`, add-ons are provisioned before the API first answers with them.
  api.get<{ Params: DataParams }>('/redis/v0/databases/:addon/wait', { schema: schemas.params }, async (request) => {
    addons.dataAddon(request.params.addon, 'redis');
    return { 'waiting?': false, message: 'available' };
  });

  api.get<{ Params: DataParams }>('/redis/v0/databases/:addon', { schema: schemas.params }, async (request) => {
    const { view, info } = await addons.redisInfo(request.params.addon);
    const { addon } = view;
    return {
      name: addon.name,
      plan: view.plan.name,
      // `redis:cli` connects with TLS to this URL's port.
      prefer_native_tls: true,
      resource_url: `rediss://:${addon.password}@${addons.serverHost}:${addon.port + 1}`,
      info: [
        { name: 'Plan', values: [view.plan.humanName] },
        { name: 'Status', values: ['available'] },
        { name: 'Created', values: [created(addon.createdAt)] },
        { name: 'Version', values: [info['redis_version'] ?? ''] },
        { name: 'Timeout', values: ['300'] },
        { name: 'Maxmemory', values: [`${view.plan.storage} (${info['maxmemory_policy'] ?? 'noeviction'})`] },
        { name: 'Maintenance', values: ['not required'] },
        { name: 'Persistence', values: ['AOF'] },
        { name: 'HA Available', values: ['false'] },
        { name: 'Requires TLS', values: ['false'] },
        { name: 'Keyspace Notifications', values: ['Disabled'] },
      ],
    };
  });
};
