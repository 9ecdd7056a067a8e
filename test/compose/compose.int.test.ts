// docker-compose.yml (issue 13): Debian's docker-compose builds the daemon image from this checkout on the build stack
// image, offline, and runs it on the host network with the engine's socket; that Berth answers the API, git and the
// router like `npm start`'s. The real heroku CLI provisions Postgres, a `git push` deploys addons-client (a dyno writing
// to the add-on over TLS with node-postgres from the loopback npm registry), pg:psql and pg:backups:capture work (the dump lands in the data dir the host shares with the
// container), and `apps:destroy` + `docker-compose down -v --rmi all` leave no container, volume or image behind.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRepo, remoteLines, runGit } from '../git/helpers.js';
import { containersWithLabels, docker, imageExists, volumeExists, waitFor } from '../support/build.js';
import { egressGuard, type EgressGuard } from '../support/egress.js';
import { BERTH_MAIN, runHeroku, sandboxedCliEnv, type CliEnv, type HerokuResult } from '../support/daemon.js';
import { startComposeBerth, type ComposeBerth } from './compose-berth.js';

let berth: ComposeBerth;
let env: CliEnv;
let guard: EgressGuard;
const APP = `compose-${process.pid.toString(36)}`;
let addonId = '';

function heroku(args: string[]): Promise<HerokuResult> {
  return runHeroku(args, env, { timeoutMs: 180_000 });
}

function expectCode(result: HerokuResult, code: number): void {
  expect(result.code, `exit code\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

/** GET / through the router with the app's Host header. */
function viaRouter(path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: berth.ports.router, path, headers: { host: `${APP}.localhost:${berth.ports.router}` }, timeout: 30_000 },
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

const instance = () => createHash('sha256').update(berth.dataDir).digest('hex').slice(0, 12);

beforeAll(async () => {
  berth = await startComposeBerth();
  guard = egressGuard(mkdtempSync(join(berth.rootDir, 'egress-')));
  env = sandboxedCliEnv(berth, guard.env);
}, 600_000);

afterAll(async () => {
  // When a test failed before the last one: the app's destroy takes its add-on's volume (`down` does not know it).
  if (berth !== undefined) {
    await heroku(['apps:destroy', APP, '--confirm', APP]).catch(() => undefined);
    if (addonId !== '') await waitFor('the add-on volume to go', async () => !(await volumeExists(`berth-addon-${addonId}`))).catch(() => undefined);
  }
  await berth?.dispose();
}, 300_000);

describe('docker-compose.yml', () => {
  it('runs the daemon from an image built on the build stack image, on the host network, with the engine socket and the data dir at its host path', async () => {
    const [id = ''] = await containersWithLabels({ 'com.docker.compose.project': berth.project, 'com.docker.compose.service': 'berth' });
    const container = JSON.parse(await docker(['inspect', id])) as Array<{
      Config: { Image: string; Env: string[] };
      HostConfig: { NetworkMode: string };
      Mounts: Array<{ Source: string; Destination: string }>;
    }>;
    const [inspected] = container;
    expect(inspected?.Config.Image).toBe(berth.image);
    expect(inspected?.HostConfig.NetworkMode).toBe('host');
    expect(inspected?.Mounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' }),
        expect.objectContaining({ Source: berth.dataDir, Destination: berth.dataDir }),
      ]),
    );
    // Built FROM the local build stack image: its layers are the first layers of the daemon image.
    const layers = async (ref: string) => JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])) as string[];
    const stack = await layers('berth/heroku-24:build');
    expect((await layers(berth.image)).slice(0, stack.length)).toEqual(stack);
    // `berth env` on the host reads the key the containerised daemon made, and the API takes it over HTTP and HTTPS.
    expect(berth.env['HEROKU_HOST']).toBe(`https://127.0.0.1:${berth.ports.apiTls}`);
    const account = await fetch(`${berth.apiUrl}/account`, { headers: { Authorization: `Bearer ${berth.apiKey}`, Accept: 'application/vnd.heroku+json; version=3' } });
    expect(account.status).toBe(200);
    const whoami = await heroku(['auth:whoami']);
    expectCode(whoami, 0);
    expect(whoami.stdout.trim()).toBe('developer@berth.localhost');
  });

  it('the heroku CLI creates an app and provisions Heroku Postgres on a server the daemon starts on the engine', async () => {
    expectCode(await heroku(['apps:create', APP]), 0);
    const created = await heroku(['addons:create', 'heroku-postgresql:essential-0', '-a', APP]);
    expectCode(created, 0);
    const name = /Created (postgresql-[a-z]+-\d{5}) as DATABASE_URL/.exec(created.stdout)?.[1] ?? '';
    expect(name, created.stdout).not.toBe('');
    const info = await fetch(`${berth.apiUrl}/apps/${APP}/addons/${name}`, { headers: { Authorization: `Bearer ${berth.apiKey}`, Accept: 'application/vnd.heroku+json; version=3' } });
    addonId = ((await info.json()) as { id: string }).id;
    expect(await containersWithLabels({ 'berth.addon': addonId, 'berth.instance': instance() })).toHaveLength(1);
    expect(await volumeExists(`berth-addon-${addonId}`)).toBe(true);
  });

  it('git push deploys addons-client; the router serves it and its dyno writes to Postgres over TLS', async () => {
    const repo = await fixtureRepo(berth, 'addons-client', env);
    const remote = spawnSync(process.execPath, [BERTH_MAIN, 'git:remote', '-a', APP], { cwd: repo, env: { ...env, ...berth.berthEnv }, encoding: 'utf8', timeout: 60_000 });
    expect(remote.status, remote.stderr).toBe(0);
    const push = await runGit(['push', 'local', 'main'], env, repo, 600_000);
    expect(push.code, push.stderr).toBe(0);
    expect(remoteLines(push)).toContain('Verifying deploy... done.');

    let last = { status: 0, body: '' };
    await waitFor('the app to answer through the router', async () => {
      last = await viaRouter().catch((error: unknown) => ({ status: 0, body: String(error) }));
      return last.status === 200;
    }, 120_000).catch(() => {
      throw new Error(`GET / → ${last.status} ${last.body}\n${berth.output().slice(-4000)}`);
    });
    expect(JSON.parse(last.body)).toMatchObject({ database: true });
    expect(JSON.parse((await viaRouter('/pg?note=one')).body)).toEqual({ ssl: true, rows: ['one'] });
    expect(JSON.parse((await viaRouter('/pg?note=two')).body)).toEqual({ ssl: true, rows: ['one', 'two'] });
  }, 900_000);

  it('pg:psql -c reads the rows; pg:backups:capture writes its dump into the data dir the host shares with the container', async () => {
    const psql = await heroku(['pg:psql', '-a', APP, '-c', 'SELECT count(*) AS notes FROM notes']);
    expectCode(psql, 0);
    expect(psql.stdout).toMatch(/notes\s*\n-+\s*\n\s*2\s*\n/);

    const capture = await heroku(['pg:backups:capture', '-a', APP, '--wait-interval', '3']);
    expectCode(capture, 0);
    expect(capture.stderr).toContain('Backing up DATABASE to b001... done');
    const dir = join(berth.dataDir, 'addons', 'backups');
    const dumps = readdirSync(dir).filter((file) => file.endsWith('.dump'));
    expect(dumps).toHaveLength(1);
    // pg_dump's custom format starts with its magic; the engine wrote it where the daemon reads it.
    expect(readFileSync(join(dir, dumps[0] ?? '')).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    const backups = await heroku(['pg:backups', '-a', APP]);
    expectCode(backups, 0);
    expect(backups.stdout).toMatch(/b001\s+.*Completed/);
  });

  it('docker-compose restart: the daemon comes back on its data dir and adopts the running dyno and add-on server', async () => {
    const scope = { 'berth.instance': instance() };
    const before = (await containersWithLabels(scope)).sort();
    expect(before.length).toBeGreaterThanOrEqual(2);
    const [daemon = ''] = await containersWithLabels({ 'com.docker.compose.project': berth.project });
    const started = await docker(['inspect', '--format', '{{.State.StartedAt}}', daemon]);
    await berth.restart();
    expect(await docker(['inspect', '--format', '{{.State.StartedAt}}', daemon])).not.toBe(started);
    expect((await containersWithLabels(scope)).sort()).toEqual(before);
    const answer = await viaRouter('/pg?note=three');
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ssl: true, rows: ['one', 'two', 'three'] });
  });

  it('apps:destroy, then docker-compose down -v --rmi all, leave no container, volume or image behind', async () => {
    expectCode(await heroku(['apps:destroy', APP, '--confirm', APP]), 0);
    await waitFor('the add-on volume to go', async () => !(await volumeExists(`berth-addon-${addonId}`)));
    // Nothing the CLI or git did tried to leave the machine.
    expect(guard.attempts()).toBe('');
    await berth.compose(['down', '--volumes', '--rmi', 'all', '--timeout', '60']);
    const scope = `berth.instance=${instance()}`;
    expect(await containersWithLabels({ 'com.docker.compose.project': berth.project })).toEqual([]);
    expect(await docker(['ps', '-aq', '--filter', `label=${scope}`])).toBe('');
    expect(await docker(['images', '-q', '--filter', `label=${scope}`])).toBe('');
    expect(await docker(['volume', 'ls', '-q', '--filter', `label=${scope}`])).toBe('');
    expect(await docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${berth.project}`])).toBe('');
    expect(await imageExists(berth.image)).toBe(false);
  }, 300_000);
});
