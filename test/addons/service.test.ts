// Add-ons on the in-memory engine: the API's shapes, names, attachments and their releases, destroy and recovery.
// The servers themselves are real only in the integration tier (addons.int.test.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { platform, type Platform } from '../support/platform.js';

let p: Platform;

beforeEach(async () => {
  p = await platform();
  await p.createApp('shop');
  await p.createApp('admin');
});

afterEach(async () => {
  await p.close();
});

interface AddonJson {
  id: string;
  name: string;
  state: string;
  config_vars: string[];
  app: { name: string };
}

async function create(app: string, body: unknown): Promise<AddonJson> {
  const res = await p.request('POST', `/apps/${app}/addons`, body);
  expect(res.status, res.text).toBe(201);
  return res.body as AddonJson;
}

const releases = async (app: string) => ((await p.request('GET', `/apps/${app}/releases`)).body as Array<{ description: string; addon_plan_names: string[] }>);

describe('provisioning', () => {
  it('starts one server container per add-on with a volume, sets the URL in an Attach release', async () => {
    const db = await create('shop', { plan: { name: 'heroku-postgresql:essential-0' }, attachment: {}, config: { version: '17', fork: true } });
    expect(db).toMatchObject({ state: 'provisioned', config_vars: ['DATABASE_URL'], app: { name: 'shop' } });
    expect(db.name).toMatch(/^postgresql-[a-z]+-\d{5}$/);
    const servers = await p.engine.listByLabel({ role: 'addon' });
    expect(servers.map((c) => c.labels.dyno)).toEqual([db.name]);
    expect(await p.engine.listVolumes([`berth.addon=${db.id}`])).toEqual([`berth-addon-${db.id}`]);
    expect(p.app('shop').config['DATABASE_URL']).toMatch(/^postgres:\/\/u[0-9a-f]{14}:p[0-9a-f]{64}@127\.0\.0\.1:\d+\/d[0-9a-f]{14}$/);
    const [latest] = await releases('shop').then((r) => r.slice(-1));
    expect(latest).toMatchObject({ description: `Attach DATABASE (@ref:${db.name})`, addon_plan_names: ['heroku-postgresql:essential-0'] });
    expect(p.lines(p.app('shop'))).toContain(`app[api]: Attach DATABASE (@ref:${db.name}) by user dev@example.test`);
  });

  it('names a second database of the app with a colour, and honours --name and --as', async () => {
    await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const second = await create('shop', { plan: 'heroku-postgresql:essential-1' });
    expect(second.config_vars[0]).toMatch(/^HEROKU_POSTGRESQL_[A-Z]+_URL$/);
    const named = await create('shop', { plan: 'heroku-redis:mini', name: 'my-cache', attachment: { name: 'cache' } });
    expect(named).toMatchObject({ name: 'my-cache', config_vars: ['CACHE_URL'] });
    expect(p.app('shop').config['CACHE_URL']).toMatch(/^rediss:\/\/:p[0-9a-f]+@127\.0\.0\.1:\d+$/);
  });

  it("answers bad input with Heroku's errors and starts nothing", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ plan: 'heroku-postgresql:huge' }, 422, 'Couldn\'t find either the add-on service or the add-on plan of "heroku-postgresql:huge".'],
      [{ plan: 'heroku-redis:mini', name: '-x' }, 422, 'Name -x is invalid: it must start with a letter and contain only letters, digits, underscores and dashes.'],
      [{ plan: 'heroku-redis:mini', attachment: { name: '9LIVES' } }, 422, 'Attachment name 9LIVES is invalid: it must start with a letter and contain only letters, digits and underscores.'],
    ];
    for (const [body, status, message] of cases) {
      const res = await p.request('POST', '/apps/shop/addons', body);
      expect([res.status, (res.body as { message: string }).message]).toEqual([status, message]);
    }
    await p.request('PATCH', '/apps/shop/config-vars', { REDIS_URL: 'redis://elsewhere' });
    const taken = await p.request('POST', '/apps/shop/addons', { plan: 'heroku-redis:mini', attachment: { name: 'REDIS' } });
    expect(taken.body).toEqual({ id: 'invalid_params', message: 'Name REDIS is already used by another attachment or config var of this app.' });
    expect(await p.engine.listByLabel({ role: 'addon' })).toEqual([]);
    expect((await p.request('GET', '/addons/nope')).body).toEqual({ id: 'not_found', message: "Couldn't find that add on.", resource: 'add_on' });
    expect((await p.request('GET', '/addon-services/nope')).status).toBe(404);
  });
});

describe('attachments and destroy', () => {
  it('attaches to another app, resolves by attachment name, and destroying detaches everywhere', async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const attach = await p.request('POST', '/addon-attachments', { addon: { name: db.name }, app: { name: 'admin' }, name: 'MAIN_DATABASE' });
    expect(attach.status).toBe(201);
    expect(p.app('admin').config['MAIN_DATABASE_URL']).toBe(p.app('shop').config['DATABASE_URL']);
    const resolved = await p.request('POST', '/actions/addon-attachments/resolve', { addon_attachment: 'MAIN_DATABASE_URL', app: 'admin' });
    expect(resolved.body).toMatchObject([{ name: 'MAIN_DATABASE', config_vars: ['MAIN_DATABASE_URL'], addon: { name: db.name, plan: { name: 'heroku-postgresql:essential-0' } } }]);
    expect((await p.request('POST', '/actions/addons/resolve', { addon: 'admin::MAIN_DATABASE' })).body).toMatchObject([{ name: db.name }]);
    expect((await p.request('GET', '/apps/admin/addons')).body).toMatchObject([{ name: db.name, app: { name: 'shop' } }]);
    // Only the owner destroys it.
    expect((await p.request('DELETE', `/apps/admin/addons/${db.name}`)).status).toBe(422);

    const shop = p.app('shop');
    const gone = await p.request('DELETE', `/apps/${shop.id}/addons/${db.id}`, { force: false });
    expect(gone.body).toMatchObject({ name: db.name, state: 'deprovisioned' });
    expect(p.app('shop').config['DATABASE_URL']).toBeUndefined();
    expect(p.app('admin').config['MAIN_DATABASE_URL']).toBeUndefined();
    expect((await releases('admin')).map((r) => r.description)).toContain(`Detach MAIN_DATABASE (@ref:${db.name})`);
    expect(await p.engine.listByLabel({ role: 'addon' })).toEqual([]);
    expect(await p.engine.listVolumes([`berth.addon=${db.id}`])).toEqual([]);
  });

  it("destroying the app destroys its add-ons' servers and volumes", async () => {
    const kv = await create('shop', { plan: 'heroku-redis:mini' });
    await p.request('DELETE', '/apps/shop');
    await p.services.events.settled();
    expect(await p.engine.listByLabel({ role: 'addon' })).toEqual([]);
    expect(await p.engine.listVolumes([`berth.addon=${kv.id}`])).toEqual([]);
    expect((await p.request('GET', '/addons')).body).toEqual([]);
  });

  it('recovery starts a stopped server again on its volume and removes servers no add-on knows', async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const [server] = await p.engine.listByLabel({ role: 'addon' });
    // As after a daemon restart: nobody watches the old server any more.
    p.services.addons.detachAll();
    await p.engine.remove(server?.id ?? '');
    await p.services.addons.recover();
    const after = await p.engine.listByLabel({ role: 'addon' });
    expect(after.map((c) => c.labels.dyno)).toEqual([db.name]);
    expect(after[0]?.state).toBe('running');
  });

  it('a server that stops on its own is started again on its volume while the daemon runs', async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const [server] = await p.engine.listByLabel({ role: 'addon' });
    await p.engine.process(server?.id ?? '')?.exit(137);
    let after: Awaited<ReturnType<typeof p.engine.listByLabel>> = [];
    for (let i = 0; i < 100 && !(after.length === 1 && after[0]?.id !== server?.id && after[0]?.state === 'running'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = (await p.engine.listByLabel({ role: 'addon' })).filter((c) => c.state === 'running');
    }
    expect(after.map((c) => c.labels.dyno)).toEqual([db.name]);
    expect(after[0]?.id).not.toBe(server?.id);
    expect(p.store.addons.get(db.id)?.containerId).toBe(after[0]?.id);
    // The app reads it in its log: the stop Berth noticed, then the server back.
    expect(p.lines(p.app('shop')).filter((l) => l.startsWith('app[heroku-postgres]: '))).toEqual([
      `app[heroku-postgres]: source=DATABASE addon=${db.name} The server stopped unexpectedly (exit status 137); starting it again on its data`,
      `app[heroku-postgres]: source=DATABASE addon=${db.name} The server is available again with its data`,
    ]);
  });
});

describe('addons:upgrade', () => {
  it("restarts the server with the new plan's connection limit and releases an Update on each attached app", async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    await p.request('POST', '/addon-attachments', { addon: { name: db.name }, app: { name: 'admin' }, name: 'SHARED' });
    const [before] = await p.engine.listByLabel({ role: 'addon' });
    expect(p.engine.process(before?.id ?? '')?.env['BERTH_CONNECTIONS']).toBe('20');

    const changed = await p.request('PATCH', `/apps/shop/addons/${db.id}`, { plan: { name: 'heroku-postgresql:standard-0' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ name: db.name, plan: { name: 'heroku-postgresql:standard-0' }, state: 'provisioned' });
    const servers = (await p.engine.listByLabel({ role: 'addon' })).filter((c) => c.state === 'running');
    expect(servers).toHaveLength(1);
    expect(servers[0]?.id).not.toBe(before?.id);
    expect(p.engine.process(servers[0]?.id ?? '')?.env['BERTH_CONNECTIONS']).toBe('120');

    const shop = (await p.request('GET', '/apps/shop/releases')).body as Array<{ description: string; addon_plan_names: string[] }>;
    expect(shop.at(-1)).toMatchObject({ description: 'Update DATABASE by heroku-postgresql', addon_plan_names: ['heroku-postgresql:standard-0'] });
    expect((await releases('admin')).at(-1)?.description).toBe('Update SHARED by heroku-postgresql');
    expect(p.lines(p.app('admin'))).toContain(
      `app[heroku-postgres]: source=SHARED addon=${db.name} Plan changed from essential-0 to standard-0: the server restarts with a limit of 120 connections`,
    );
    // The old server's stop was Berth's own: no line says it stopped unexpectedly, and it is not restarted again.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(p.lines(p.app('shop')).some((l) => l.includes('stopped unexpectedly'))).toBe(false);
    expect((await p.engine.listByLabel({ role: 'addon' })).filter((c) => c.state === 'running').map((c) => c.id)).toEqual([servers[0]?.id]);
  });

  it("answers another service's plan with Heroku's error and keeps the server", async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const [before] = await p.engine.listByLabel({ role: 'addon' });
    const refused = await p.request('PATCH', `/apps/shop/addons/${db.name}`, { plan: 'heroku-redis:premium-0' });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({ id: 'invalid_params', message: 'Couldn\'t find either the add-on service or the add-on plan of "heroku-redis:premium-0".' });
    expect((await p.engine.listByLabel({ role: 'addon' })).map((c) => c.id)).toEqual([before?.id]);
  });
});

describe('pg:backups:url', () => {
  /** A finished backup as backups.ts keeps it (the memory engine runs no pg_dump): its transfer and its dump file. */
  async function backedUp(app: string): Promise<{ uuid: string; num: number }> {
    const uuid = '0b5d5d5a-6c0e-4a51-9d39-2f6a0a4f0c11';
    const dir = join(p.dataDir, 'addons');
    await mkdir(join(dir, 'transfers'), { recursive: true });
    await mkdir(join(dir, 'backups'), { recursive: true });
    const at = '2026-01-02T03:04:05Z';
    const transfer = {
      uuid, num: 1, from_type: 'pg_dump', to_type: 'gof3r', from_name: 'DATABASE', to_name: 'BACKUP', from_url: '', to_url: `berth-backup://${uuid}`,
      created_at: at, updated_at: at, started_at: at, finished_at: at, canceled_at: null, succeeded: true,
      processed_bytes: 19, source_bytes: 19, warnings: 0, schedule: null, logs: [],
    };
    await writeFile(join(dir, 'transfers', `${p.app(app).id}.json`), JSON.stringify([transfer]));
    await writeFile(join(dir, 'backups', `${uuid}.dump`), 'PGDMP-custom-format');
    return { uuid, num: 1 };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a signed https URL that serves the dump with no API key, until it expires', async () => {
    await create('shop', { plan: 'heroku-postgresql' });
    const backup = await backedUp('shop');

    const answer = await p.request('POST', `/client/v11/apps/shop/transfers/${backup.num}/actions/public-url`);
    expect(answer.status, answer.text).toBe(200);
    const url = new URL((answer.body as { url: string }).url);
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toMatch(new RegExp(`^/backups/${backup.uuid}/\\d+-[0-9a-f]{64}$`));

    const got = await p.api.inject({ method: 'GET', url: url.pathname });
    expect(got.statusCode).toBe(200);
    expect(got.body).toBe('PGDMP-custom-format');
    expect(got.headers['content-length']).toBe('19');

    // A changed signature or another backup's id is not served.
    const tampered = url.pathname.replace(/[0-9a-f]$/, (c) => (c === '0' ? '1' : '0'));
    expect((await p.api.inject({ method: 'GET', url: tampered })).statusCode).toBe(404);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * 60 * 60 * 1000 });
    const late = await p.api.inject({ method: 'GET', url: url.pathname });
    expect(late.statusCode).toBe(403);
    expect(JSON.parse(late.body)).toMatchObject({ id: 'forbidden', message: 'Request has expired: get a new URL with heroku pg:backups:url.' });
  });

  it('answers 404 for a backup that does not exist', async () => {
    await create('shop', { plan: 'heroku-postgresql' });
    const answer = await p.request('POST', '/client/v11/apps/shop/transfers/7/actions/public-url');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ id: 'not_found', message: "Couldn't find that backup." });
  });
});

describe('credentials', () => {
  it('attaches with the default credential; an unknown credential is an empty config and a 404 on attach', async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:standard-0' });
    const config = await p.request('GET', `/addons/${db.name}/config`);
    expect(config.body).toEqual([{ name: 'URL', value: expect.stringMatching(/^postgres:\/\/u[0-9a-f]+:/) }]);
    // addons:attach --credential asks for the credential's config first and stops at an empty list.
    expect((await p.request('GET', `/addons/${db.name}/config/credential:analyst`)).body).toEqual([]);
    expect((await p.request('GET', `/addons/${db.name}/config/credential:default`)).body).toEqual(config.body);

    const refused = await p.request('POST', '/addon-attachments', { addon: { name: db.name }, app: { name: 'admin' }, namespace: 'credential:analyst' });
    expect(refused.status).toBe(404);
    expect(refused.body).toEqual({ id: 'not_found', message: "Couldn't find that credential.", resource: 'credential' });
    expect((await p.request('GET', '/apps/admin/addon-attachments')).body).toEqual([]);

    const attached = await p.request('POST', '/addon-attachments', { addon: { name: db.name }, app: { name: 'admin' }, namespace: 'credential:default' });
    expect(attached.status, attached.text).toBe(201);
    expect(attached.body).toMatchObject({ name: 'DATABASE', namespace: null });
    const shop = (await p.request('GET', '/apps/shop/config-vars')).body as Record<string, string>;
    const admin = (await p.request('GET', '/apps/admin/config-vars')).body as Record<string, string>;
    expect(admin['DATABASE_URL']).toBe(shop['DATABASE_URL']);
  });

  it("refuses a credential on an Essential plan, a bad name and 'default' with Heroku's errors", async () => {
    const essential = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const onEssential = await p.request('POST', `/postgres/v0/databases/${essential.name}/credentials`, { name: 'analyst' });
    expect(onEssential.status).toBe(422);
    expect(onEssential.body).toEqual({ id: 'invalid_params', message: "You can't create a custom credential on Essential-tier databases." });
    const standard = await create('shop', { plan: 'heroku-postgresql:standard-0' });
    const bad = await p.request('POST', `/postgres/v0/databases/${standard.name}/credentials`, { name: 'Robert"; DROP' });
    expect(bad.status).toBe(422);
    expect((bad.body as { message: string }).message).toMatch(/^Name Robert"; DROP is invalid/);
    expect((await p.request('POST', `/postgres/v0/databases/${standard.name}/credentials`, { name: 'pg_monitor' })).status).toBe(422);
    const taken = await p.request('POST', `/postgres/v0/databases/${standard.name}/credentials`, { name: 'default' });
    expect(taken.body).toEqual({ id: 'invalid_params', message: `Credential default already exists on ${standard.name}.` });
    // The server's own roles are taken too: Postgres would refuse them with a raw error.
    const postgres = await p.request('POST', `/postgres/v0/databases/${standard.name}/credentials`, { name: 'postgres' });
    expect(postgres.body).toEqual({ id: 'invalid_params', message: `Credential postgres already exists on ${standard.name}.` });
    const listed = (await p.request('GET', `/postgres/v0/databases/${standard.name}/credentials`)).body as Array<{ name: string; state: string }>;
    expect(listed.map((c) => [c.name, c.state])).toEqual([['default', 'active']]);
    expect((await p.request('GET', `/postgres/v0/databases/${standard.name}/credentials/analyst`)).status).toBe(404);
  });
});

describe('the advertise address (dynos on other nodes)', () => {
  const scriptOf = (name: string): string => p.engine.process({ role: 'addon', dyno: name })?.spec.cmd.join(' ') ?? '';

  it('by default the servers listen on 127.0.0.1 alone and the URLs name it', async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const cache = await create('shop', { plan: 'heroku-redis:mini' });
    expect(scriptOf(db.name)).toContain(' -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp ');
    expect(scriptOf(db.name)).not.toContain('pg_hba.conf');
    expect(scriptOf(cache.name)).toContain(' redis-server --bind 127.0.0.1 --port ');
    expect(p.app('shop').config['REDIS_URL']).toMatch(/@127\.0\.0\.1:\d+$/);
  });

  it('BERTH_ADVERTISE_ADDRESS: config vars, pg:info and pg:credentials name it; the servers listen there too', async () => {
    await p.close();
    p = await platform({ BERTH_ADVERTISE_ADDRESS: '127.0.0.9' });
    await p.createApp('shop');
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const cache = await create('shop', { plan: 'heroku-redis:mini' });
    expect(p.app('shop').config['DATABASE_URL']).toMatch(/^postgres:\/\/u[0-9a-f]{14}:p[0-9a-f]{64}@127\.0\.0\.9:\d+\/d[0-9a-f]{14}$/);
    expect(p.app('shop').config['REDIS_URL']).toMatch(/^rediss:\/\/:p[0-9a-f]+@127\.0\.0\.9:\d+$/);
    expect(scriptOf(db.name)).toContain(' -c listen_addresses=127.0.0.1,127.0.0.9 -c ');
    // pg_hba lets remote nodes log in with the password, once however often the server starts.
    expect(scriptOf(db.name)).toContain(
      `grep -qxF 'host all all 0.0.0.0/0 scram-sha-256' "$D/pg_hba.conf" || echo 'host all all 0.0.0.0/0 scram-sha-256' >> "$D/pg_hba.conf"\nexec runuser`,
    );
    expect(scriptOf(cache.name)).toContain(' redis-server --bind 127.0.0.1 127.0.0.9 --port ');
    const credentials = (await p.request('GET', `/postgres/v0/databases/${db.name}/credentials`)).body as Array<{ host: string }>;
    expect(credentials.map((c) => c.host)).toEqual(['127.0.0.9']);
    const config = (await p.request('GET', `/addons/${db.name}/config`)).body as Array<{ name: string; value: string }>;
    expect(config).toEqual([{ name: 'URL', value: p.app('shop').config['DATABASE_URL'] }]);
  });
});

describe('credential rotation and destroy (refusals; the servers are real in test/compat/addons-cli.int.test.ts)', () => {
  it('rotating or destroying an unknown credential is a 404, and nothing changes', async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:standard-0' });
    const before = (await p.request('GET', '/apps/shop/config-vars')).body as Record<string, string>;
    const rotated = await p.request('POST', `/postgres/v0/databases/${db.name}/credentials/analyst/credentials_rotation`, { forced: true });
    expect(rotated.status).toBe(404);
    expect(rotated.body).toEqual({ id: 'not_found', message: "Couldn't find that credential.", resource: 'credential' });
    expect((await p.request('DELETE', `/postgres/v0/databases/${db.name}/credentials/analyst`)).status).toBe(404);
    expect((await p.request('GET', '/apps/shop/config-vars')).body).toEqual(before);
    expect((await p.request('POST', '/postgres/v0/databases/postgresql-nope-00000/credentials/default/credentials_rotation', {})).status).toBe(404);
  });

  it("refuses to destroy the default credential with the CLI's words", async () => {
    const db = await create('shop', { plan: 'heroku-postgresql:standard-0' });
    const refused = await p.request('DELETE', `/postgres/v0/databases/${db.name}/credentials/default`);
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({ id: 'invalid_params', message: 'Default credential cannot be destroyed.' });
  });

  it('a Key-Value Store is never waiting (redis:wait); a Postgres add-on or an unknown name is a 404', async () => {
    const kv = await create('shop', { plan: 'heroku-redis:mini' });
    const db = await create('shop', { plan: 'heroku-postgresql:essential-0' });
    const wait = await p.request('GET', `/redis/v0/databases/${kv.name}/wait`);
    expect(wait.status).toBe(200);
    expect(wait.body).toEqual({ 'waiting?': false, message: 'available' });
    expect((await p.request('GET', `/redis/v0/databases/${db.name}/wait`)).status).toBe(404);
    expect((await p.request('GET', '/redis/v0/databases/redis-nope-00000/wait')).status).toBe(404);
  });
});
