// `npm run bench -- test/bench/addons.bench.ts`: Heroku Postgres and Key-Value Store add-ons on their real servers.
// Targets (issue 13): `addons:create heroku-postgresql` to `pg:wait` returning ≤ 3 s; idle memory ≤ 40 MB per add-on.
// Also: app restart (`heroku restart`) to the first query a dyno answers, and a killed server to the first query.
// Timed through the API calls the CLI makes (POST /apps/{app}/addons, then GET …/wait_status), without the CLI's own
// start-up. The app is the node-basic shape with `pg` vendored from the repo's node_modules (no install from any
// registry; Node.js itself from the loopback registry and the host-wide download cache, as the push bench does).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { bench, describe } from 'vitest';
import { api, buildDirectory, containersWithLabels, createApp, docker, waitFor } from '../support/build.js';
import { REPO_ROOT, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { startLoopbackRegistry } from '../support/npm-registry.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const ROUNDS = Number(process.env['BERTH_BENCH_ADDON_ROUNDS'] ?? 3);

interface Addon {
  readonly id: string;
  readonly name: string;
}

const SERVER = `// A dyno that answers each request with a query on DATABASE_URL through one pool kept for its life, and with
// the moment it started, so a restarted dyno is told from the old one.
const http = require('http');
const started = String(Date.now()) + '-' + process.pid;
const { Pool } = require('./lib/node_modules/pg');
const pool = new Pool({ connectionString: process.env.DATABASE_URL, ssl: { rejectUnauthorized: false }, max: 2 });
pool.on('error', () => undefined);
http.createServer(async (req, res) => {
  try {
    const row = (await pool.query('SELECT 6 * 7 AS answer')).rows[0];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...row, started }));
  } catch (error) {
    res.writeHead(500);
    res.end(String(error));
  }
}).listen(Number(process.env.PORT), () => console.log('listening'));
`;

/** `pg` and everything it requires, copied from the repo's node_modules into `<dir>/lib/node_modules`. */
function vendorPg(dir: string): void {
  const seen = new Set<string>();
  const copy = (name: string): void => {
    if (seen.has(name)) return;
    const from = join(REPO_ROOT, 'node_modules', name);
    if (!existsSync(from)) return; // optional (pg-cloudflare, pg-native)
    seen.add(name);
    mkdirSync(dirname(join(dir, 'lib', 'node_modules', name)), { recursive: true });
    cpSync(from, join(dir, 'lib', 'node_modules', name), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) copy(dependency);
  };
  copy('pg');
}

function appSource(root: string): string {
  const dir = mkdtempSync(join(root, 'pg-app-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pg-bench', version: '1.0.0', private: true, engines: { node: '24.x' }, scripts: { start: 'node server.js' } }));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'pg-bench', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'pg-bench', version: '1.0.0' } } }),
  );
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n');
  writeFileSync(join(dir, 'server.js'), SERVER);
  vendorPg(dir);
  return dir;
}

/** The dyno's answer through the router: its status and the dyno's start marker (empty when it did not answer). */
function routerGet(daemon: TestDaemon, app: string): Promise<{ status: number; started: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: daemon.ports.router, path: '/', headers: { host: `${app}.localhost` }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        let started = '';
        try {
          started = (JSON.parse(body) as { started?: string }).started ?? '';
        } catch {
          // not the app's JSON (a router error page)
        }
        resolve({ status: res.statusCode ?? 0, started });
      });
    });
    req.on('error', () => resolve({ status: 0, started: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** ms until `ready` holds, polling every 25 ms. */
async function until(ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  const start = performance.now();
  while (!(await ready())) {
    if (performance.now() - start > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return performance.now() - start;
}

/** The container's memory as `docker stats` counts it (usage less the inactive file cache), in MB. */
async function idleMemory(addon: Addon): Promise<number> {
  const [id] = await containersWithLabels({ 'berth.addon': addon.id });
  const usage = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', id ?? '']);
  const match = /^([\d.]+)\s*([KMG]i?B)/.exec(usage.trim());
  const scale: Record<string, number> = { KiB: 1 / 1024, KB: 1 / 1000, MiB: 1, MB: 1, GiB: 1024, GB: 1000 };
  return Number(match?.[1] ?? NaN) * (scale[match?.[2] ?? ''] ?? NaN);
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const ms = (value: number): string => `${Math.round(value)} ms`;
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

describe('add-ons', () => {
  bench(
    `provision to ready, restart to first query, idle memory (${ROUNDS} rounds)`,
    async () => {
      const registry = await startLoopbackRegistry();
      const daemon = await startTestDaemon();
      const rows: Array<Record<string, string>> = [];
      try {
        const app = await createApp(daemon, 'addbench');
        const provision: Record<'postgres' | 'redis', number[]> = { postgres: [], redis: [] };
        let postgres: Addon | undefined;
        let redis: Addon | undefined;
        for (let round = 0; round < ROUNDS; round++) {
          // addons:create, then pg:wait (its first wait_status call answers not waiting).
          let start = performance.now();
          const db = await api<Addon>(daemon, 'POST', `/apps/${app.name}/addons`, { plan: { name: 'heroku-postgresql:essential-0' }, attachment: {} });
          await api(daemon, 'GET', `/client/v11/databases/${db.id}/wait_status`);
          provision.postgres.push(performance.now() - start);
          start = performance.now();
          const kv = await api<Addon>(daemon, 'POST', `/apps/${app.name}/addons`, { plan: { name: 'heroku-redis:mini' }, attachment: {} });
          provision.redis.push(performance.now() - start);
          if (round === 0) [postgres, redis] = [db, kv];
          else {
            await api(daemon, 'DELETE', `/apps/${app.name}/addons/${db.id}`);
            await api(daemon, 'DELETE', `/apps/${app.name}/addons/${kv.id}`);
          }
        }
        rows.push({ what: 'addons:create heroku-postgresql:essential-0 → pg:wait returns', median: ms(median(provision.postgres)), all: provision.postgres.map(ms).join(', ') });
        rows.push({ what: 'addons:create heroku-redis:mini → provisioned', median: ms(median(provision.redis)), all: provision.redis.map(ms).join(', ') });

        // Idle: nothing connected for a while.
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        rows.push({ what: 'idle memory, one Postgres add-on', median: `${(await idleMemory(postgres as Addon)).toFixed(1)} MB`, all: '' });
        rows.push({ what: 'idle memory, one Redis add-on', median: `${(await idleMemory(redis as Addon)).toFixed(1)} MB`, all: '' });

        // The app: built once, then `heroku restart` (DELETE /apps/{app}/dynos) to the first query it answers.
        await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { NPM_CONFIG_REGISTRY: registry.url });
        const build = await buildDirectory(daemon, app.name, appSource(daemon.rootDir));
        if (build.build.status !== 'succeeded') throw new Error(`build failed:\n${build.output}`);
        let previous = '';
        await until(async () => (previous = (await routerGet(daemon, app.name)).started) !== '');
        const restarts: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const start = performance.now();
          await api(daemon, 'DELETE', `/apps/${app.name}/dynos`);
          // The first query a dyno started after the restart answers (the old one may answer until it stops).
          await until(async () => {
            const answer = await routerGet(daemon, app.name);
            if (answer.status !== 200 || answer.started === '' || answer.started === previous) return false;
            previous = answer.started;
            return true;
          });
          restarts.push(performance.now() - start);
        }
        rows.push({ what: 'heroku restart → first query answered', median: ms(median(restarts)), all: restarts.map(ms).join(', ') });

        // A killed server: Berth notices, starts it on its volume; the time to the first query from the host.
        const url = (await api<Record<string, string>>(daemon, 'GET', `/apps/${app.name}/config-vars`))['DATABASE_URL'] ?? '';
        const kills: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const [id] = await containersWithLabels({ 'berth.addon': postgres?.id ?? '-' });
          const start = performance.now();
          await docker(['kill', id ?? '']);
          await waitFor('the old server gone', async () => !(await containersWithLabels({ 'berth.addon': postgres?.id ?? '-' })).includes(id ?? ''), 60_000).catch(() => undefined);
          await until(async () => {
            const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
            client.on('error', () => undefined);
            try {
              await client.connect();
              await client.query('SELECT 1');
              return true;
            } catch {
              return false;
            } finally {
              await client.end().catch(() => undefined);
            }
          });
          kills.push(performance.now() - start);
        }
        rows.push({ what: 'docker kill of the Postgres server → first query', median: ms(median(kills)), all: kills.map(ms).join(', ') });
        await api(daemon, 'DELETE', `/apps/${app.name}`);
        await waitFor('the add-on servers to go', async () => (await containersWithLabels({ 'berth.role': 'addon', 'berth.app': app.id })).length === 0, 60_000).catch(() => undefined);
      } finally {
        console.log(`add-ons (load average ${loadAverage()} on ${readFileSync('/proc/cpuinfo', 'utf8').split('\nprocessor').length} cores):`);
        console.table(rows);
        await daemon.dispose();
        await registry.close();
      }
    },
    once,
  );
});
