// Buildpack references as a build names them: Heroku's official names and URLs mean the bundled buildpacks, local
// paths are used in place, https tarballs are fetched once and kept; anything else fails the build in clear words.
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pack } from 'tar-stream';
import { gzipSync } from 'node:zlib';
import { BUNDLED_DIR, resolveBuildpack } from '../../src/buildpacks/resolve.js';
import { inspectSource } from '../../src/sources/index.js';

const dir = await mkdtemp(join(tmpdir(), 'berth-resolve-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const options = { cacheDir: join(dir, 'cache'), inspectArchive: (file: string) => inspectSource(file, { maxBytes: 1e8, maxEntries: 1e4 }) };

async function buildpackDir(name: string, scripts: Record<string, number>): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, 'bin'), { recursive: true });
  for (const [script, mode] of Object.entries(scripts)) {
    await writeFile(join(path, 'bin', script), '#!/bin/sh\n');
    await chmod(join(path, 'bin', script), mode);
  }
  return path;
}

function tgz(entries: Array<{ name: string; body?: string; mode?: number; type?: 'directory' }>): Promise<Buffer> {
  const tar = pack();
  for (const { body, ...header } of entries) tar.entry(header, body ?? '');
  tar.finalize();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    tar.on('end', () => resolve(gzipSync(Buffer.concat(chunks))));
  });
}

describe('resolving buildpack references', () => {
  it.each([
    ['heroku/nodejs', 'heroku/nodejs', 'nodejs'],
    ['nodejs', 'heroku/nodejs', 'nodejs'],
    ['https://github.com/heroku/heroku-buildpack-nodejs.git', 'heroku/nodejs', 'nodejs'],
    ['https://buildpack-registry.s3.amazonaws.com/buildpacks/heroku/python.tgz', 'heroku/python', 'python'],
    ['  heroku/python  ', 'heroku/python', 'python'],
  ])('%j is the bundled %s, offline', async (reference, name, folder) => {
    const resolved = await resolveBuildpack(reference, options);
    expect(resolved).toEqual({ url: reference.trim(), name, dir: join(BUNDLED_DIR, folder) });
  });

  it('a local path is used in place, named by its path', async () => {
    const path = await buildpackDir('ok', { detect: 0o755, compile: 0o755 });
    expect(await resolveBuildpack(path, options)).toEqual({ url: path, name: path, dir: path });
    expect((await resolveBuildpack(`file://${path}`, options)).dir).toBe(path);
  });

  it('a directory without bin/compile is not a classic buildpack', async () => {
    const path = await buildpackDir('no-compile', { detect: 0o755 });
    await expect(resolveBuildpack(path, options)).rejects.toThrow(`Buildpack ${path} has no bin/compile; it is not a classic Heroku buildpack.`);
  });

  it('a bin/detect that is not executable says how to fix it', async () => {
    const path = await buildpackDir('not-exec', { detect: 0o644, compile: 0o755 });
    await expect(resolveBuildpack(path, options)).rejects.toThrow(`Buildpack ${path}: bin/detect is not executable (chmod +x bin/detect).`);
  });

  it('a name Berth does not know lists what it does', async () => {
    await expect(resolveBuildpack('heroku/ruby', options)).rejects.toThrow(
      'Buildpack heroku/ruby is not known here: use heroku/nodejs, heroku/python, a local path, or an https tarball or git URL.',
    );
  });

  it('a tarball URL nobody answers: Could not fetch buildpack …, Is the machine offline?', async () => {
    await expect(resolveBuildpack('http://127.0.0.1:1/bp.tgz', options)).rejects.toThrow(/^Could not fetch buildpack http:\/\/127\.0\.0\.1:1\/bp\.tgz: .*\. Is the machine offline\?$/);
  });

  it('a tarball URL is fetched once (its top directory stripped) and then reused from the cache', async () => {
    const archive = await tgz([
      { name: 'bp-main/', type: 'directory' },
      { name: 'bp-main/bin/detect', body: '#!/bin/sh\n', mode: 0o755 },
      { name: 'bp-main/bin/compile', body: '#!/bin/sh\n', mode: 0o755 },
    ]);
    let requests = 0;
    const server: Server = createServer((_req, res) => {
      requests += 1;
      res.end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const url = `http://127.0.0.1:${port}/bp.tgz`;
      const first = await resolveBuildpack(url, options);
      expect(first.name).toBe(url);
      const second = await resolveBuildpack(url, options);
      expect(second.dir).toBe(first.dir);
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('a fetched tarball that escapes its directory is refused before it is unpacked, saying why (no offline hint)', async () => {
    const archive = await tgz([{ name: '../evil', body: 'x' }]);
    const server: Server = createServer((_req, res) => res.end(archive));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      await expect(resolveBuildpack(`http://127.0.0.1:${port}/evil.tgz`, options)).rejects.toThrow(
        `Could not use buildpack http://127.0.0.1:${port}/evil.tgz: Source archive has a path that leaves the app directory: ../evil`,
      );
    } finally {
      server.close();
    }
  });
});
