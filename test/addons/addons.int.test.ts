// Add-ons on real servers: a deployed app writes a row to its Heroku Postgres add-on and SETs/GETs on its Key-Value
// Store add-on through DATABASE_URL and REDIS_URL; the data survives a killed server and a daemon restart; attachments
// share a database with a second app; a killed server is told in the app's log and its dyno reconnects; destroy leaves
// no container, volume or config var.
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import {
  ApiError,
  api,
  appLogLines,
  buildDirectory,
  containersWithLabels,
  createApp,
  docker,
  fixture,
  volumeExists,
  waitFor,
  type AppJson,
} from '../support/build.js';

interface Addon {
  id: string;
  name: string;
  state: string;
  config_vars: string[];
  plan: { name: string };
  addon_service: { name: string };
  billed_price: { cents: number };
  app: { id: string; name: string };
}

interface Attachment {
  id: string;
  name: string;
  config_vars: string[];
  addon: { id: string; name: string; plan: { name: string } };
  app: { name: string };
}

let daemon: TestDaemon;
let app: AppJson;
let postgres: Addon;
let redis: Addon;

function routerGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: daemon.ports.router, path, headers: { host: `${app.name}.localhost:${daemon.ports.router}` }, timeout: 30_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** The app's answer once a web dyno on the newest release serves it. */
async function appJson<T>(path: string): Promise<T> {
  let last = { status: 0, body: '' };
  await waitFor(`the app to answer ${path}`, async () => {
    last = await routerGet(path).catch(() => ({ status: 0, body: '' }));
    return last.status === 200;
  }, 120_000).catch(() => {
    const lines = appLogLines(daemon, app.id).map((l) => `${l.source}[${l.dyno}]: ${l.message}`);
    throw new Error(`${path} → ${last.status} ${last.body.slice(0, 300)}\n${lines.slice(-40).join('\n')}`);
  });
  return JSON.parse(last.body) as T;
}

async function apiError(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  try {
    await api(daemon, method, path, body);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: JSON.parse(error.body) as unknown };
    throw error;
  }
  throw new Error(`${method} ${path} succeeded`);
}

/** The app's log as `heroku logs` prints the source part: `app[heroku-postgres]: …`. */
const logLines = () => appLogLines(daemon, app.id).map((l) => `${l.source}[${l.dyno}]: ${l.message}`);
const config = (name: string) => api<Record<string, string>>(daemon, 'GET', `/apps/${name}/config-vars`);
const descriptions = async (name: string) => (await api<Array<{ description: string }>>(daemon, 'GET', `/apps/${name}/releases`)).map((r) => r.description);

beforeAll(async () => {
  daemon = await startTestDaemon();
  app = await createApp(daemon, 'addons');
  // Heroku's two request shapes: addons:create sends {name}, apps:create --addons a string.
  postgres = await api<Addon>(daemon, 'POST', `/apps/${app.name}/addons`, { attachment: {}, config: {}, plan: { name: 'heroku-postgresql:essential-0' } });
  redis = await api<Addon>(daemon, 'POST', `/apps/${app.name}/addons`, { plan: 'heroku-redis:mini' });
  const build = await buildDirectory(daemon, app.name, fixture('addons-client'));
  expect(build.build.status, build.output).toBe('succeeded');
}, 600_000);

afterAll(async () => {
  // When a test failed before the last one: the app's destroy takes its add-ons' volumes (dispose removes containers only).
  if (app !== undefined && daemon !== undefined) {
    await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
    await waitFor('the add-on volumes to go', async () => !(await volumeExists(`berth-addon-${postgres?.id ?? '-'}`)) && !(await volumeExists(`berth-addon-${redis?.id ?? '-'}`))).catch(() => undefined);
  }
  await daemon?.dispose();
});

describe('provisioning', () => {
  it('answers provisioned add-ons with Heroku names, plans, prices and config vars', () => {
    expect(postgres).toMatchObject({
      state: 'provisioned',
      config_vars: ['DATABASE_URL'],
      plan: { name: 'heroku-postgresql:essential-0' },
      addon_service: { name: 'heroku-postgresql' },
      billed_price: { cents: 500 },
      app: { name: app.name },
    });
    expect(postgres.name).toMatch(/^postgresql-[a-z]+-\d{5}$/);
    expect(redis).toMatchObject({ state: 'provisioned', config_vars: ['REDIS_URL'], plan: { name: 'heroku-redis:mini' } });
    expect(redis.name).toMatch(/^redis-[a-z]+-\d{5}$/);
  });

  it('sets DATABASE_URL and REDIS_URL in Heroku shapes, each in an Attach release with its app[api] line', async () => {
    const vars = await config(app.name);
    expect(vars['DATABASE_URL']).toMatch(/^postgres:\/\/u[0-9a-f]+:p[0-9a-f]+@127\.0\.0\.1:\d+\/d[0-9a-f]+$/);
    expect(vars['REDIS_URL']).toMatch(/^rediss:\/\/:p[0-9a-f]+@127\.0\.0\.1:\d+$/);
    const released = await descriptions(app.name);
    expect(released).toContain(`Attach DATABASE (@ref:${postgres.name})`);
    expect(released).toContain(`Attach REDIS (@ref:${redis.name})`);
    const lines = appLogLines(daemon, app.id).map((l) => `${l.source}[${l.dyno}]: ${l.message}`);
    expect(lines.filter((l) => l.startsWith(`app[api]: Attach DATABASE (@ref:${postgres.name}) by user `))).toHaveLength(1);
  });

  it('lists, shows and resolves them, and the catalogue knows the services and plans', async () => {
    const listed = await api<Addon[]>(daemon, 'GET', `/apps/${app.name}/addons`);
    expect(listed.map((a) => a.name).sort()).toEqual([postgres.name, redis.name].sort());
    expect((await api<Addon[]>(daemon, 'GET', '/addons')).map((a) => a.id)).toEqual(expect.arrayContaining([postgres.id, redis.id]));
    expect((await api<Addon>(daemon, 'GET', `/apps/${app.id}/addons/${postgres.id}`)).name).toBe(postgres.name);
    const resolved = await api<Addon[]>(daemon, 'POST', '/actions/addons/resolve', { addon: 'DATABASE', app: app.name });
    expect(resolved.map((a) => a.name)).toEqual([postgres.name]);
    const attachments = await api<Attachment[]>(daemon, 'POST', '/actions/addon-attachments/resolve', { addon_attachment: 'DATABASE_URL', app: app.name });
    expect(attachments).toMatchObject([{ name: 'DATABASE', config_vars: ['DATABASE_URL'], addon: { name: postgres.name, plan: { name: 'heroku-postgresql:essential-0' } } }]);
    const plans = await api<Array<{ name: string; price: { cents: number } }>>(daemon, 'GET', '/addon-services/heroku-postgresql/plans');
    expect(plans).toContainEqual(expect.objectContaining({ name: 'heroku-postgresql:essential-0', price: expect.objectContaining({ cents: 500 }) }));
  });

  it("refuses bad input with Heroku's errors", async () => {
    expect(await apiError('POST', `/apps/${app.name}/addons`, { plan: 'heroku-postgresql:gigantic-9' })).toEqual({
      status: 422,
      body: { id: 'invalid_params', message: 'Couldn\'t find either the add-on service or the add-on plan of "heroku-postgresql:gigantic-9".' },
    });
    expect((await apiError('POST', `/apps/${app.name}/addons`, { plan: 'heroku-redis:mini', name: '9-lives' })).body).toMatchObject({ id: 'invalid_params' });
    expect((await apiError('POST', `/apps/${app.name}/addons`, { plan: 'heroku-redis:mini', name: postgres.name })).body).toEqual({ id: 'invalid_params', message: 'Name is already taken' });
    expect((await apiError('POST', `/apps/${app.name}/addons`, { plan: 'heroku-redis:mini', attachment: { name: 'DATABASE' } })).status).toBe(422);
    expect(await apiError('GET', `/apps/${app.name}/addons/postgresql-nope-00000`)).toEqual({
      status: 404,
      body: { id: 'not_found', message: "Couldn't find that add on.", resource: 'add_on' },
    });
    // None of it left a server behind.
    expect(await containersWithLabels({ 'berth.role': 'addon', 'berth.app': app.id })).toHaveLength(2);
  });
});

describe('the servers', () => {
  it('a dyno writes a row to Postgres over TLS and reads it back, and SETs and GETs on Redis over TLS', async () => {
    expect(await appJson('/pg?note=first')).toEqual({ ssl: true, rows: ['first'] });
    expect(await appJson('/redis?key=greeting&value=hello')).toEqual({ value: 'hello' });
  });

  it('answers plain TCP and verified TLS (the local CA) on the same ports', async () => {
    const url = new URL((await config(app.name))['DATABASE_URL'] ?? '');
    const ca = await readFile(join(daemon.dataDir, 'tls', 'ca.pem'), 'utf8');
    for (const ssl of [false, { ca }] as const) {
      const client = new pg.Client({ connectionString: url.toString(), ssl });
      await client.connect();
      const row = await client
        .query<{ ssl: boolean; body: string }>('SELECT s.ssl, (SELECT body FROM notes LIMIT 1) AS body FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()')
        .finally(() => client.end());
      expect(row.rows[0]).toEqual({ ssl: ssl !== false, body: 'first' });
    }
    const tls = new URL((await config(app.name))['REDIS_URL'] ?? '');
    const plain = `redis://:${tls.password}@127.0.0.1:${Number(tls.port) - 1}`;
    const kv = createClient({ url: plain });
    await kv.connect();
    expect(await kv.get('greeting')).toBe('hello');
    await kv.quit();
  });

  it("each database is a copy of the image's template made its own: its role owns it, and no credential is shared", async () => {
    const url = new URL((await config(app.name))['DATABASE_URL'] ?? '');
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const facts = await client
      .query<{ me: string; owner: string; superuser: boolean; databases: string[] }>(
        `SELECT current_user AS me, pg_get_userbyid(d.datdba) AS owner, r.rolsuper AS superuser,
                ARRAY(SELECT datname::text FROM pg_database ORDER BY datname) AS databases
           FROM pg_database d, pg_roles r WHERE d.datname = current_database() AND r.rolname = current_user`,
      )
      .finally(() => client.end());
    expect(facts.rows[0]).toEqual({ me: url.username, owner: url.username, superuser: true, databases: [url.pathname.slice(1), 'postgres', 'template0', 'template1'].sort() });
    // The template's own role has no password: it cannot log in over TCP.
    const template = new pg.Client({ host: '127.0.0.1', port: Number(url.port), user: 'postgres', password: '', database: 'postgres' });
    template.on('error', () => undefined);
    await expect(template.connect()).rejects.toThrow();
    await template.end().catch(() => undefined);

    const other = await api<Addon>(daemon, 'POST', `/apps/${app.name}/addons`, { plan: 'heroku-postgresql:essential-0', attachment: { name: 'SECOND' } });
    try {
      const second = new URL((await config(app.name))['SECOND_URL'] ?? '');
      expect(second.username).not.toBe(url.username);
      expect(second.password).not.toBe(url.password);
      expect(second.pathname).not.toBe(url.pathname);
      // The first add-on's password does not open the second's role, nor the first role its server.
      for (const user of [second.username, url.username]) {
        const wrong = new pg.Client({ host: '127.0.0.1', port: Number(second.port), user, password: url.password, database: second.pathname.slice(1) });
        wrong.on('error', () => undefined);
        await expect(wrong.connect()).rejects.toThrow();
        await wrong.end().catch(() => undefined);
      }
      const own = new pg.Client({ connectionString: second.toString() });
      await own.connect();
      expect((await own.query<{ me: string }>('SELECT current_user AS me').finally(() => own.end())).rows[0]?.me).toBe(second.username);
    } finally {
      await api(daemon, 'DELETE', `/apps/${app.name}/addons/${other.id}`);
    }
  });

  it('keeps the data when a server is killed and the daemon restarts (the server is started again on its volume)', async () => {
    for (const id of await containersWithLabels({ 'berth.addon': postgres.id })) await docker(['kill', id]);
    await daemon.restart();
    expect(await containersWithLabels({ 'berth.addon': postgres.id })).toHaveLength(1);
    expect(await appJson('/pg?note=second')).toEqual({ ssl: true, rows: ['first', 'second'] });
    expect(await appJson('/redis?key=greeting')).toEqual({ value: 'hello' });
  }, 300_000);

  it('a killed server comes back with its data while the daemon runs, and the dyno reconnects', async () => {
    const [killed] = await containersWithLabels({ 'berth.addon': redis.id });
    await docker(['kill', killed ?? '']);
    await waitFor('a new Redis server', async () => {
      const running = await docker(['ps', '-q', '--no-trunc', '--filter', `label=berth.addon=${redis.id}`]);
      return running !== '' && !running.startsWith(killed ?? '-');
    });
    expect(await appJson('/redis?key=greeting')).toEqual({ value: 'hello' });
    await waitFor('the Redis server announced back', async () => logLines().includes(`app[heroku-redis]: source=REDIS addon=${redis.name} The server is available again with its data`));
    expect(logLines()).toContain(`app[heroku-redis]: source=REDIS addon=${redis.name} The server stopped unexpectedly (exit status 137); starting it again on its data`);
  }, 120_000);

  it('a killed Postgres server comes back with its data, the app reads it in its log, and its dyno reconnects', async () => {
    const before = await appJson<{ pid: number; rows: string[] }>('/pool?note=pooled');
    const [killed] = await containersWithLabels({ 'berth.addon': postgres.id });
    await docker(['kill', killed ?? '']);
    const back = `app[heroku-postgres]: source=DATABASE addon=${postgres.name} The server is available again with its data`;
    await waitFor('the Postgres server announced back', async () => logLines().includes(back), 120_000);
    const lines = logLines();
    const stopped = lines.indexOf(`app[heroku-postgres]: source=DATABASE addon=${postgres.name} The server stopped unexpectedly (exit status 137); starting it again on its data`);
    expect(stopped, lines.slice(-20).join('\n')).toBeGreaterThanOrEqual(0);
    expect(stopped).toBeLessThan(lines.indexOf(back));
    // The same dyno process (its pool dropped the dead connection and opened another), with every row still there.
    const after = await appJson<{ pid: number; rows: string[] }>('/pool?note=after-kill');
    expect(after).toEqual({ pid: before.pid, rows: [...before.rows, 'after-kill'] });
  }, 180_000);
});

describe('plan change', () => {
  it("PATCH to another plan restarts the server with that plan's max_connections, on its data, in an Update release", async () => {
    const changed = await api<Addon>(daemon, 'PATCH', `/apps/${app.name}/addons/${postgres.name}`, { plan: 'heroku-postgresql:standard-0' });
    expect(changed.plan.name).toBe('heroku-postgresql:standard-0');
    const client = new pg.Client({ connectionString: (await config(app.name))['DATABASE_URL'] });
    await client.connect();
    const row = await client
      .query<{ max: string; notes: string }>("SELECT current_setting('max_connections') AS max, (SELECT count(*) FROM notes) AS notes")
      .finally(() => client.end());
    expect(row.rows[0]?.max).toBe('120');
    expect(Number(row.rows[0]?.notes)).toBeGreaterThan(0);
    expect(await descriptions(app.name)).toContain('Update DATABASE by heroku-postgresql');
    expect(logLines()).toContain(
      `app[heroku-postgres]: source=DATABASE addon=${postgres.name} Plan changed from essential-0 to standard-0: the server restarts with a limit of 120 connections`,
    );
  }, 120_000);
});

describe('attachments', () => {
  it('shares the database with another app under another name, and detaches it', async () => {
    const other = await createApp(daemon, 'addons-b');
    const attached = await api<Attachment>(daemon, 'POST', '/addon-attachments', { addon: { name: postgres.name }, app: { name: other.name }, name: 'SHARED' });
    expect(attached).toMatchObject({ name: 'SHARED', config_vars: ['SHARED_URL'], app: { name: other.name }, addon: { name: postgres.name } });
    expect((await config(other.name))['SHARED_URL']).toBe((await config(app.name))['DATABASE_URL']);
    expect(await descriptions(other.name)).toContain(`Attach SHARED (@ref:${postgres.name})`);
    expect((await apiError('POST', '/addon-attachments', { addon: { name: postgres.name }, app: { name: other.name }, name: 'SHARED' })).status).toBe(422);
    // The app's first database attachment is its DATABASE; a later one gets a colour.
    const second = await api<Attachment>(daemon, 'POST', '/addon-attachments', { addon: { name: postgres.name }, app: { name: other.name } });
    expect(second.name).toBe('DATABASE');
    const third = await api<Attachment>(daemon, 'POST', '/addon-attachments', { addon: { name: postgres.name }, app: { name: other.name } });
    expect(third.name).toMatch(/^HEROKU_POSTGRESQL_[A-Z]+$/);

    await api(daemon, 'DELETE', `/addon-attachments/${attached.id}`);
    expect((await config(other.name))['SHARED_URL']).toBeUndefined();
    expect(await descriptions(other.name)).toContain(`Detach SHARED (@ref:${postgres.name})`);
    // Destroying the other app removes its attachment, not the add-on.
    await api(daemon, 'DELETE', `/apps/${other.name}`);
    await waitFor('the attachments of the destroyed app to go', async () => (await api<Attachment[]>(daemon, 'GET', `/addons/${postgres.id}/addon-attachments`)).length === 1);
  });
});

describe('destroy', () => {
  it('DELETE (the CLI sends UUIDs and a body) takes the server, its volume and the config var', async () => {
    const response = await fetch(`${daemon.apiUrl}/apps/${app.id}/addons/${postgres.id}`, {
      method: 'DELETE',
      headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${daemon.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ force: false }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: postgres.name, state: 'deprovisioned' });
    expect(await containersWithLabels({ 'berth.addon': postgres.id })).toEqual([]);
    expect(await volumeExists(`berth-addon-${postgres.id}`)).toBe(false);
    expect((await config(app.name))['DATABASE_URL']).toBeUndefined();
    expect(await descriptions(app.name)).toContain(`Detach DATABASE (@ref:${postgres.name})`);
  });

  it("destroying the app destroys its add-ons' servers and data", async () => {
    await api(daemon, 'DELETE', `/apps/${app.name}`);
    await waitFor('the Redis server to go', async () => (await containersWithLabels({ 'berth.addon': redis.id })).length === 0);
    await waitFor('the Redis volume to go', async () => !(await volumeExists(`berth-addon-${redis.id}`)));
    expect(await api<Addon[]>(daemon, 'GET', '/addons')).toEqual([]);
  });
});
