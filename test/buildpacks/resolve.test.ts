// Fetching buildpacks (issue 11): downloads stream to disk through a byte limit, concurrent fetches of one URL do
// not trip over each other, and `.buildpacks` from a source may name only bundled buildpacks and remote URLs.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBuildpack } from '../../src/buildpacks/index.js';
import { inspectSource } from '../../src/sources/index.js';

const run = promisify(execFile);
/** What the build passes in: the source checker, with the build's limits for a buildpack tarball. */
const inspectArchive = (file: string) => inspectSource(file, { maxBytes: 512 * 1024 * 1024, maxEntries: 100_000 });
let root: string;
let server: Server;
let base: string;
let bigTarball: Buffer;
let smallTarball: Buffer;

/** A classic buildpack (bin/detect, bin/compile) as a .tgz with one top directory, plus `padding` random bytes. */
async function buildpackTarball(name: string, padding: number): Promise<Buffer> {
  const dir = join(root, 'src', name, 'bp');
  await mkdir(join(dir, 'bin'), { recursive: true });
  for (const script of ['detect', 'compile']) {
    await writeFile(join(dir, 'bin', script), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, 'bin', script), 0o755);
  }
  if (padding > 0) await writeFile(join(dir, 'padding.bin'), randomBytes(padding));
  const file = join(root, `${name}.tgz`);
  await run('tar', ['-czf', file, '-C', join(root, 'src', name), 'bp']);
  return readFile(file);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-resolve-'));
  bigTarball = await buildpackTarball('big', 3 * 1024 * 1024);
  smallTarball = await buildpackTarball('small', 0);
  server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url.startsWith('/big-chunked')) {
      // No Content-Length: only counting the streamed bytes can stop it.
      response.writeHead(200, { 'Content-Type': 'application/gzip' });
      response.end(bigTarball);
    } else if (url.startsWith('/big')) {
      response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': String(bigTarball.length) });
      response.end(bigTarball);
    } else {
      // Slow enough that two fetches overlap.
      setTimeout(() => {
        response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': String(smallTarball.length) });
        response.end(smallTarball);
      }, 100);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe('buildpack downloads', () => {
  it('a download larger than the limit fails the fetch with a clear message (Content-Length or streamed)', async () => {
    const cacheDir = join(root, 'cache-big');
    const limits = { inspectArchive, cacheDir, maxDownloadBytes: 1024 * 1024 };
    await expect(resolveBuildpack(`${base}/big.tgz`, limits)).rejects.toThrow(/is too large: a buildpack download may have at most 1 MiB/);
    await expect(resolveBuildpack(`${base}/big-chunked.tgz`, limits)).rejects.toThrow(/is too large/);
    // Nothing half-fetched is left behind.
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('the same download under the limit is fetched', async () => {
    const resolved = await resolveBuildpack(`${base}/big.tgz`, { inspectArchive, cacheDir: join(root, 'cache-ok'), maxDownloadBytes: 10 * 1024 * 1024 });
    expect(await readdir(join(resolved.dir, 'bin'))).toEqual(['compile', 'detect']);
  });

  it('two builds fetching one URL at once both get the buildpack', async () => {
    const cacheDir = join(root, 'cache-race');
    const url = `${base}/small.tgz`;
    const results = await Promise.allSettled([resolveBuildpack(url, { inspectArchive, cacheDir }), resolveBuildpack(url, { inspectArchive, cacheDir }), resolveBuildpack(url, { inspectArchive, cacheDir })]);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : String(r.reason)))).toEqual(['ok', 'ok', 'ok']);
    expect((await readdir(cacheDir)).filter((name) => name.endsWith('.tmp') || name.endsWith('.tgz'))).toEqual([]);
  });
});

describe('.buildpacks from the source', () => {
  it('may not name paths, file:// or loopback URLs on this machine', async () => {
    const local = join(root, 'src', 'small', 'bp');
    const options = { inspectArchive, cacheDir: join(root, 'cache-source'), fromSource: true };
    for (const ref of [local, `file://${local}`, `${base}/small.tgz`, 'http://localhost:1/bp.tgz', 'https://app.localhost/bp.tgz', 'http://[::1]:1/bp.tgz', 'http://2130706433/bp.tgz']) {
      await expect(resolveBuildpack(ref, options), ref).rejects.toThrow(/in \.buildpacks is not allowed/);
    }
  });

  it('may name bundled buildpacks; the API and config vars may still name local paths', async () => {
    const options = { inspectArchive, cacheDir: join(root, 'cache-source'), fromSource: true };
    expect((await resolveBuildpack('heroku/python', options)).name).toBe('heroku/python');
    const local = join(root, 'src', 'small', 'bp');
    expect((await resolveBuildpack(local, { inspectArchive, cacheDir: options.cacheDir })).dir).toBe(local);
  });
});
