// The real `heroku` CLI (v11) against Berth's add-ons and data API: addons, addons:create/info/attach/detach/destroy,
// addons:attach --credential, config, pg:info, pg:credentials (with :create, :url, :rotate and :destroy), pg:psql (the
// local psql binary), pg:backups (with :url and :download), redis:info, redis:cli and redis:wait, with the data host from `berth env`
// (HEROKU_DATA_HOST). Expected output as reference heroku-addons-and-data §3 quotes it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { volumeExists, waitFor } from '../support/build.js';
import { egressGuard } from '../support/egress.js';
import { HEROKU_BIN, runHeroku, sandboxedCliEnv, startTestDaemon, type CliEnv, type HerokuResult, type TestDaemon } from '../support/daemon.js';

let daemon: TestDaemon;
let env: CliEnv;
const APP = `addcli-${process.pid.toString(36)}`;
const OTHER = `addcli2-${process.pid.toString(36)}`;
let database = '';
let kv = '';
const THIRD = `addcli3-${process.pid.toString(36)}`;

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env, { timeoutMs: 180_000 });
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  env = sandboxedCliEnv(daemon, egressGuard(mkdtempSync(join(daemon.rootDir, 'egress-'))).env);
  expect(env['HEROKU_DATA_HOST']).toBe('127.0.0.1');
  expectCode(await heroku(['apps:create', APP]), 0);
  expectCode(await heroku(['apps:create', OTHER]), 0);
}, 120_000);

afterAll(async () => {
  // Destroying the apps takes their add-ons' volumes too (disposing the daemon removes only containers).
  if (daemon !== undefined) {
    const headers = { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${daemon.apiKey}` };
    const addons = (await (await fetch(`${daemon.apiUrl}/addons`, { headers })).json()) as Array<{ id: string }>;
    for (const app of [APP, OTHER, THIRD]) await fetch(`${daemon.apiUrl}/apps/${app}`, { method: 'DELETE', headers });
    await waitFor('the add-on volumes to go', async () => {
      for (const { id } of addons) if (await volumeExists(`berth-addon-${id}`)) return false;
      return true;
    }).catch(() => undefined);
  }
  await daemon?.dispose();
});

describe('heroku addons', () => {
  it('addons:create provisions a database and prints Heroku lines', async () => {
    const created = await heroku(['addons:create', 'heroku-postgresql:essential-0', '-a', APP]);
    expectCode(created, 0);
    expect(created.stderr).toContain(`Creating heroku-postgresql:essential-0 on ${APP}... ~$0.007/hour (max $5/month)`);
    const name = /Created (postgresql-[a-z]+-\d{5}) as DATABASE_URL/.exec(created.stdout)?.[1];
    expect(name, created.stdout).toBeDefined();
    database = name ?? '';
    expect(created.stdout).toContain('Run heroku addons:docs heroku-postgresql to view documentation.');
    // apps:create --addons sends the plan as a string.
    const redis = await heroku(['addons:create', 'heroku-redis:mini', '-a', APP]);
    expectCode(redis, 0);
    kv = /Created (redis-[a-z]+-\d{5}) as REDIS_URL/.exec(redis.stdout)?.[1] ?? '';
    expect(kv, redis.stdout).not.toBe('');
  });

  it('addons lists them with their attachments; addons:info shows one; config shows the URL', async () => {
    const listed = await heroku(['addons', '-a', APP]);
    expectCode(listed, 0);
    expect(listed.stdout).toMatch(new RegExp(`heroku-postgresql \\(${database}\\)\\s+essential-0\\s+~\\$0\\.007/hour\\s+\\$5/month\\s+created`));
    expect(listed.stdout).toContain('└─ as DATABASE');
    expect(listed.stdout).toContain(`The table above shows add-ons and the attachments to the current app (${APP}) or other apps.`);

    const info = await heroku(['addons:info', database, '-a', APP]);
    expectCode(info, 0);
    expect(info.stdout).toContain(`=== ${database}`);
    expect(info.stdout).toMatch(/Plan:\s+heroku-postgresql:essential-0/);
    expect(info.stdout).toMatch(new RegExp(`Attachments:\\s+${APP}::DATABASE`));
    expect(info.stdout).toMatch(/State:\s+created/);

    const config = await heroku(['config', '-a', APP]);
    expectCode(config, 0);
    expect(config.stdout).toMatch(/DATABASE_URL:\s+postgres:\/\/u[0-9a-f]+:p[0-9a-f]+@127\.0\.0\.1:\d+\/d[0-9a-f]+/);
    expect(config.stdout).toMatch(/REDIS_URL:\s+rediss:\/\//);
  });

  it('addons:attach shares the database with another app, addons:detach takes it back', async () => {
    const attached = await heroku(['addons:attach', database, '--as', 'MYDB', '-a', OTHER]);
    expectCode(attached, 0);
    expect(attached.stderr).toContain(`Attaching ${database} as MYDB to ${OTHER}... done`);
    expect(attached.stderr).toMatch(new RegExp(`Setting MYDB config vars and restarting ${OTHER}\\.\\.\\. done, v\\d+`));
    expect((await heroku(['config:get', 'MYDB_URL', '-a', OTHER])).stdout).toMatch(/^postgres:\/\//);

    const detached = await heroku(['addons:detach', 'MYDB', '-a', OTHER]);
    expectCode(detached, 0);
    expect(detached.stderr).toContain(`Detaching MYDB to ${database} from ${OTHER}... done`);
    expect(detached.stderr).toMatch(new RegExp(`Unsetting MYDB config vars and restarting ${OTHER}\\.\\.\\. done, v\\d+`));
  });
});

describe('heroku pg and redis (the data API)', () => {
  it('pg:info shows the plan, its limits and the add-on', async () => {
    const info = await heroku(['pg:info', '-a', APP]);
    expectCode(info, 0);
    expect(info.stdout).toContain('=== DATABASE_URL');
    expect(info.stdout).toMatch(/Plan:\s+Essential 0/);
    expect(info.stdout).toMatch(/Connections:\s+\d+\/20/);
    expect(info.stdout).toMatch(/PG Version:\s+\d+/);
    expect(info.stdout).toMatch(new RegExp(`Add-on:\\s+${database}`));
  });

  it('pg:credentials:url prints the URL; pg:psql -c runs SQL through the local psql over TLS', async () => {
    const credentials = await heroku(['pg:credentials:url', '-a', APP]);
    expectCode(credentials, 0);
    expect(credentials.stdout).toContain('Connection information for default credential.');
    expect(credentials.stdout).toMatch(/postgres:\/\/u[0-9a-f]+:p[0-9a-f]+@127\.0\.0\.1:\d+\/d[0-9a-f]+/);

    const psql = await heroku(['pg:psql', '-a', APP, '-c', 'SELECT ssl AS over_tls, 6 * 7 AS answer FROM pg_stat_ssl WHERE pid = pg_backend_pid()']);
    expectCode(psql, 0);
    expect(psql.stderr).toContain(`--> Connecting to ${database}`);
    expect(psql.stdout).toMatch(/over_tls \| answer/);
    expect(psql.stdout).toMatch(/t\s+\|\s+42/);
  });

  it('redis:cli talks to the server over TLS', async () => {
    const child = spawn(HEROKU_BIN, ['redis:cli', '-a', APP], { env: { FORCE_COLOR: '0', NO_COLOR: '1', ...env }, cwd: env['HOME'] ?? daemon.rootDir });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stdin.end('SET berth-key berth-value\nGET berth-key\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toContain(`Connecting to ${kv} (REDIS_URL):`);
    expect(out).toContain('berth-value');
    expect(out).toContain('Disconnected from instance.');
  });

  it('redis:wait returns at once, printing nothing (the store is provisioned before the API answers with it)', async () => {
    for (const args of [['redis:wait', '-a', APP], ['redis:wait', kv, '-a', APP, '--wait-interval', '1']]) {
      const waited = await heroku(args);
      expectCode(waited, 0);
      expect(waited.stdout).toBe('');
      expect(waited.stderr).not.toContain('Waiting for database');
    }
  });

  it('redis:info shows the Key-Value Store add-on', async () => {
    const info = await heroku(['redis:info', '-a', APP]);
    expectCode(info, 0);
    expect(info.stdout).toContain(`=== ${kv} (REDIS_URL)`);
    expect(info.stdout).toMatch(/Plan:\s+Mini/);
    expect(info.stdout).toMatch(/Version:\s+\d+\.\d+/);
  });
});

describe('heroku apps:create --addons, addons:upgrade, addons:wait, pg:wait, pg:backups, pg:reset', () => {
  it('apps:create --addons provisions while it creates the app', async () => {
    const created = await heroku(['apps:create', THIRD, '--addons', 'heroku-redis:mini']);
    expectCode(created, 0);
    expect(created.stderr).toContain('Adding heroku-redis:mini... done');
    expect((await heroku(['config:get', 'REDIS_URL', '-a', THIRD])).stdout).toMatch(/^rediss:\/\//);
  });

  it('addons:upgrade changes the plan; addons:wait and pg:wait return at once (nothing is provisioning)', async () => {
    const upgraded = await heroku(['addons:upgrade', database, 'heroku-postgresql:essential-1', '-a', APP]);
    expectCode(upgraded, 0);
    expect(upgraded.stderr).toContain(`Changing ${database} on ${APP} from heroku-postgresql:essential-0 to heroku-postgresql:essential-1... done, ~$0.013/hour (max $9/month)`);
    const waited = await heroku(['addons:wait', '-a', APP]);
    expectCode(waited, 0);
    expect(waited.stdout).toBe('');
    expectCode(await heroku(['pg:wait', '-a', APP]), 0);
  });

  it('pg:backups:capture, pg:reset, pg:backups:restore: the row comes back', async () => {
    expectCode(await heroku(['pg:psql', '-a', APP, '-c', "CREATE TABLE keep (note text); INSERT INTO keep VALUES ('kept')"]), 0);
    const captured = await heroku(['pg:backups:capture', '-a', APP, '--wait-interval', '3']);
    expectCode(captured, 0);
    expect(captured.stderr).toContain(`Starting backup of ${database}... done`);
    expect(captured.stderr).toContain('Backing up DATABASE to b001... done');
    const listed = await heroku(['pg:backups', '-a', APP]);
    expectCode(listed, 0);
    expect(listed.stdout).toContain('=== Backups');
    expect(listed.stdout).toMatch(/b001\s+.*Completed/);

    // pg:backups:url prints a public https URL that needs no API key; pg:backups:download fetches it (https.get only).
    const url = await heroku(['pg:backups:url', 'b001', '-a', APP]);
    expectCode(url, 0);
    expect(url.stdout.trim()).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/backups\/[0-9a-f-]{36}\/\d+-[0-9a-f]{64}$/);
    const anonymous = await fetch(url.stdout.trim().replace(/^https:\/\/[^/]+/, daemon.apiUrl));
    expect(anonymous.status).toBe(200);
    expect(Buffer.from(await anonymous.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    const output = join(daemon.rootDir, 'b001.dump');
    const downloaded = await heroku(['pg:backups:download', '-a', APP, '-o', output]);
    expectCode(downloaded, 0);
    expect(downloaded.stderr).toContain(`Getting backup from ${APP}... done, #1`);
    expect(readFileSync(output).subarray(0, 5).toString('latin1')).toBe('PGDMP');

    const reset = await heroku(['pg:reset', '-a', APP, '--confirm', APP]);
    expectCode(reset, 0);
    expect(reset.stderr).toContain(`Resetting ${database}... done`);
    const gone = await heroku(['pg:psql', '-a', APP, '-c', "SELECT count(*) AS tables FROM information_schema.tables WHERE table_schema = 'public'"]);
    expect(gone.stdout).toMatch(/tables\s*\n-+\n\s*0\n/);

    const restored = await heroku(['pg:backups:restore', 'b001', '-a', APP, '--confirm', APP, '--wait-interval', '3']);
    expectCode(restored, 0);
    expect(restored.stderr).toContain(`Starting restore of b001 to ${database}... done`);
    const back = await heroku(['pg:psql', '-a', APP, '-c', 'SELECT note FROM keep']);
    expect(back.stdout).toContain('kept');
  });
});

describe('heroku pg:credentials and addons:attach --credential', () => {
  it("addons:attach with an unknown credential fails with Heroku's error; with the default one it attaches", async () => {
    const unknown = await heroku(['addons:attach', database, '--credential', 'nope', '-a', OTHER]);
    expect(unknown.code).not.toBe(0);
    // The CLI wraps its error to the terminal's width.
    expect(unknown.stderr.replace(/\s+/g, ' ')).toContain(`Could not find credential nope for database ${database}`);
    const byDefault = await heroku(['addons:attach', database, '--credential', 'default', '--as', 'VIA_DEFAULT', '-a', OTHER]);
    expectCode(byDefault, 0);
    expect(byDefault.stderr).toContain(`Attaching default of ${database} as VIA_DEFAULT to ${OTHER}... done`);
    expect((await heroku(['config:get', 'VIA_DEFAULT_URL', '-a', OTHER])).stdout).toBe((await heroku(['config:get', 'DATABASE_URL', '-a', APP])).stdout);
    expectCode(await heroku(['addons:detach', 'VIA_DEFAULT', '-a', OTHER]), 0);
  });

  it('pg:credentials:create makes a real role; addons:attach --credential puts it in the URL the other app connects with', async () => {
    expectCode(await heroku(['addons:upgrade', database, 'heroku-postgresql:standard-0', '-a', APP]), 0);
    const created = await heroku(['pg:credentials:create', database, '--name', 'analyst', '-a', APP]);
    expectCode(created, 0);
    expect(created.stderr).toContain('Creating credential analyst... done');
    expect(created.stdout).toContain(`heroku addons:attach ${database} --credential analyst -a ${APP}`);

    const attached = await heroku(['addons:attach', database, '--credential', 'analyst', '--as', 'ANALYST', '-a', OTHER]);
    expectCode(attached, 0);
    expect(attached.stderr).toContain(`Attaching analyst of ${database} as ANALYST to ${OTHER}... done`);
    const listed = await heroku(['pg:credentials', database, '-a', APP]);
    expectCode(listed, 0);
    expect(listed.stdout).toMatch(/default\s/);
    expect(listed.stdout).toMatch(/analyst\s/);
    expect(listed.stdout).toContain(`└─ as ANALYST on ${OTHER} app`);

    const who = await heroku(['pg:psql', 'ANALYST', '-a', OTHER, '-c', 'SELECT current_user AS who']);
    expectCode(who, 0);
    expect(who.stdout).toMatch(/who\s*\n-+\n\s*analyst\n/);
    const url = await heroku(['pg:credentials:url', database, '--name', 'analyst', '-a', APP]);
    expectCode(url, 0);
    expect(url.stdout).toContain('Connection information for analyst credential.');
    expect(url.stdout).toContain('user=analyst');
    expectCode(await heroku(['addons:detach', 'ANALYST', '-a', OTHER]), 0);
  });
});

/** A session held open on a URL, and whether the server has ended it. */
async function session(url: string): Promise<{ alive: () => Promise<boolean>; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return {
    alive: () => client.query('SELECT 1').then(() => true, () => false),
    close: () => client.end().catch(() => undefined),
  };
}

/** Whether a new connection on the URL is let in. */
async function logsIn(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const configVar = async (name: string, app: string) => (await heroku(['config:get', name, '-a', app])).stdout.trim();
const releaseDescriptions = async (app: string) => {
  const listed = await heroku(['releases', '-a', app, '--json']);
  expectCode(listed, 0);
  return (JSON.parse(listed.stdout) as Array<{ description: string }>).map((r) => r.description);
};

describe('heroku pg:credentials:rotate and pg:credentials:destroy', () => {
  it('rotates the default credential: a new password in DATABASE_URL, an Update DATABASE release, old sessions end', async () => {
    const before = await configVar('DATABASE_URL', APP);
    const open = await session(before);
    const rotated = await heroku(['pg:credentials:rotate', '-a', APP, '--confirm', APP]);
    expectCode(rotated, 0);
    expect(rotated.stderr).toContain(`Rotating default on ${database}... done`);
    const after = await configVar('DATABASE_URL', APP);
    const [was, now] = [new URL(before), new URL(after)];
    expect([now.username, now.host, now.pathname]).toEqual([was.username, was.host, was.pathname]);
    expect(now.password).toMatch(/^p[0-9a-f]{64}$/);
    expect(now.password).not.toBe(was.password);
    expect(await releaseDescriptions(APP)).toContain('Update DATABASE by heroku-postgresql');
    expect(await open.alive()).toBe(false);
    await open.close();
    expect(await logsIn(before)).toBe(false);
    expect(await logsIn(after)).toBe(true);
    const psql = await heroku(['pg:psql', '-a', APP, '-c', 'SELECT 6 * 7 AS answer']);
    expectCode(psql, 0);
    expect(psql.stdout).toMatch(/answer\s*\n-+\n\s*42\n/);
  });

  it('rotates a named credential in the URL of the app it is attached to; without --force younger sessions stay, with it they end', async () => {
    expectCode(await heroku(['addons:attach', database, '--credential', 'analyst', '--as', 'ANALYST', '-a', OTHER]), 0);
    const defaultUrl = await configVar('DATABASE_URL', APP);
    const first = await configVar('ANALYST_URL', OTHER);
    const young = await session(first);
    const gently = await heroku(['pg:credentials:rotate', database, '--name', 'analyst', '-a', APP, '--confirm', APP]);
    expectCode(gently, 0);
    expect(gently.stderr).toContain(`Rotating analyst on ${database}... done`);
    const second = await configVar('ANALYST_URL', OTHER);
    expect(new URL(second).username).toBe('analyst');
    expect(second).not.toBe(first);
    expect(await young.alive()).toBe(true);
    expect(await logsIn(first)).toBe(false);
    expect(await releaseDescriptions(OTHER)).toContain('Update ANALYST by heroku-postgresql');
    // The default credential is not touched.
    expect(await configVar('DATABASE_URL', APP)).toBe(defaultUrl);

    const forced = await heroku(['pg:credentials:rotate', database, '--name', 'analyst', '--force', '-a', APP, '--confirm', APP]);
    expectCode(forced, 0);
    expect(await young.alive()).toBe(false);
    await young.close();
    const third = await configVar('ANALYST_URL', OTHER);
    expect(third).not.toBe(second);
    expect(await logsIn(third)).toBe(true);

    const all = await heroku(['pg:credentials:rotate', database, '--all', '-a', APP, '--confirm', APP]);
    expectCode(all, 0);
    expect(all.stderr).toContain(`Rotating all credentials on ${database}... done`);
    expect(await configVar('ANALYST_URL', OTHER)).not.toBe(third);
    expect(await configVar('DATABASE_URL', APP)).not.toBe(defaultUrl);
    expect(await logsIn(await configVar('DATABASE_URL', APP))).toBe(true);
    expect(await logsIn(await configVar('ANALYST_URL', OTHER))).toBe(true);
  });

  it('destroys a named credential once detached; what it owned passes to the default credential', async () => {
    const attached = await heroku(['pg:credentials:destroy', database, '--name', 'analyst', '-a', APP, '--confirm', APP]);
    expect(attached.code).not.toBe(0);
    expect(attached.stderr.replace(/\s+/g, ' ')).toContain(`Credential analyst must be detached from the app ${OTHER} before destroying.`);
    // The API refuses it too, for a client that does not check first.
    const headers = { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${daemon.apiKey}` };
    const refused = await fetch(`${daemon.apiUrl}/postgres/v0/databases/${database}/credentials/analyst`, { method: 'DELETE', headers });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ id: 'invalid_params', message: `Credential analyst must be detached from the app ${OTHER} before destroying.` });

    // Only CREATE: the public schema pg:reset made again above is usable by every role, as a new database's is.
    expectCode(await heroku(['pg:psql', '-a', APP, '-c', 'GRANT CREATE ON SCHEMA public TO analyst']), 0);
    expectCode(await heroku(['pg:psql', 'ANALYST', '-a', OTHER, '-c', 'CREATE TABLE analyst_notes (note text)']), 0);
    const analystUrl = await configVar('ANALYST_URL', OTHER);
    expectCode(await heroku(['addons:detach', 'ANALYST', '-a', OTHER]), 0);

    const destroyed = await heroku(['pg:credentials:destroy', database, '--name', 'analyst', '-a', APP, '--confirm', APP]);
    expectCode(destroyed, 0);
    expect(destroyed.stderr).toContain('Destroying credential analyst... done');
    expect(destroyed.stdout).toContain(`The credential has been destroyed within ${database}.`);
    expect(destroyed.stdout).toContain('Database objects owned by analyst will be assigned to the default credential.');
    expect(await logsIn(analystUrl)).toBe(false);
    const listed = await heroku(['pg:credentials', database, '-a', APP]);
    expectCode(listed, 0);
    expect(listed.stdout).not.toMatch(/analyst/);
    const owner = await heroku(['pg:psql', '-a', APP, '-c', "SELECT tableowner = current_user AS mine FROM pg_tables WHERE tablename = 'analyst_notes'"]);
    expect(owner.stdout).toMatch(/mine\s*\n-+\n\s*t\n/);
  });
});

describe('heroku addons:destroy', () => {
  it('destroys the add-on and unsets its config var', async () => {
    const destroyed = await heroku(['addons:destroy', database, '-a', APP, '--confirm', APP]);
    expectCode(destroyed, 0);
    expect(destroyed.stderr).toContain(`Destroying ${database} on ${APP}... done`);
    const listed = await heroku(['addons', '-a', APP]);
    expect(listed.stdout).not.toContain(database);
    expect((await heroku(['config', '-a', APP])).stdout).not.toContain('DATABASE_URL');
  });
});
