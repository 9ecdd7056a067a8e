import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { extract, pack, type Header } from 'tar-stream';
import { inspectSource, repackSource, SourceArchiveError } from '../../src/sources/index.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Entry = Partial<Header> & { name: string; body?: string };
let counter = 0;

async function tarball(entries: Entry[], gzip = true): Promise<string> {
  const p = pack();
  for (const { body, ...header } of entries) {
    p.entry({ type: 'file', ...header, ...(body === undefined ? {} : { size: Buffer.byteLength(body) }) }, body ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(Buffer.from(chunk as Uint8Array));
  const file = join(dir, `t${counter++}.tgz`);
  writeFileSync(file, gzip ? gzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks));
  return file;
}

async function listRepacked(file: string, prefix = 'build_x'): Promise<Record<string, string>> {
  const limits = { maxBytes: 1e9, maxEntries: 1e5 };
  const inspection = await inspectSource(file, limits);
  const out: Record<string, string> = {};
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void chunks.push(Buffer.from(c as Uint8Array)));
    stream.on('end', () => {
      out[header.name] = header.type === 'symlink' || header.type === 'link' ? `-> ${header.linkname}` : header.type === 'directory' ? '<dir>' : Buffer.concat(chunks).toString();
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  repackSource(file, { prefix, inspection, limits }).pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

const limits = { maxBytes: 1024 * 1024, maxEntries: 1000 };

describe('source archives', () => {
  it('repacks a plain app under the build directory, keeping safe links', async () => {
    const file = await tarball([
      { name: 'package.json', body: '{}' },
      { name: 'lib/', type: 'directory' },
      { name: 'lib/a.js', body: 'a' },
      { name: 'lib/link.js', type: 'symlink', linkname: 'a.js' },
      { name: 'hard.js', type: 'link', linkname: 'lib/a.js' },
    ]);
    expect(await listRepacked(file)).toEqual({
      'build_x/': '<dir>',
      'build_x/package.json': '{}',
      'build_x/lib/': '<dir>',
      'build_x/lib/a.js': 'a',
      'build_x/lib/link.js': '-> a.js',
      'build_x/hard.js': '-> build_x/lib/a.js',
    });
  });

  it('accepts an uncompressed tar too', async () => {
    const file = await tarball([{ name: 'index.js', body: 'x' }], false);
    expect(await listRepacked(file)).toEqual({ 'build_x/': '<dir>', 'build_x/index.js': 'x' });
  });

  it("strips a single top-level directory, as in GitHub's archives", async () => {
    const file = await tarball([
      { name: 'repo-abc123/', type: 'directory' },
      { name: 'repo-abc123/Procfile', body: 'web: x' },
      { name: 'repo-abc123/src/app.js', body: 'y' },
    ]);
    expect(await listRepacked(file)).toEqual({ 'build_x/': '<dir>', 'build_x/Procfile': 'web: x', 'build_x/src/app.js': 'y' });
  });

  it('applies .slugignore before compile', async () => {
    const file = await tarball([
      { name: '.slugignore', body: '*.psd\n/docs\ntmp/\n' },
      { name: 'app.js', body: 'a' },
      { name: 'art.psd', body: 'big' },
      { name: 'sub/other.psd', body: 'big' },
      { name: 'docs/', type: 'directory' },
      { name: 'docs/readme.md', body: 'doc' },
      { name: 'tmp/', type: 'directory' },
      { name: 'tmp/x', body: 'x' },
    ]);
    expect(Object.keys(await listRepacked(file)).sort()).toEqual(['build_x/', 'build_x/.slugignore', 'build_x/app.js']);
  });

  it.each<[string, Entry[], string]>([
    ['a ../ path', [{ name: '../evil', body: 'x' }], 'leaves the app directory'],
    ['a nested ../ path', [{ name: 'a/../../evil', body: 'x' }], 'leaves the app directory'],
    ['an absolute path', [{ name: '/etc/passwd', body: 'x' }], 'absolute path'],
    ['a symlink out of the tree', [{ name: 'out', type: 'symlink', linkname: '../../etc' }], 'points outside'],
    ['an absolute symlink', [{ name: 'out', type: 'symlink', linkname: '/etc/passwd' }], 'absolute path'],
    ['a hardlink out of the tree', [{ name: 'out', type: 'link', linkname: '../x' }], 'points outside'],
    ['a character device', [{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }], 'character-device entry'],
    ['a block device', [{ name: 'dev', type: 'block-device' }], 'block-device entry'],
    ['a FIFO', [{ name: 'pipe', type: 'fifo' }], 'fifo entry'],
  ])('rejects %s with a clear error', async (_what, entries, message) => {
    const file = await tarball([{ name: 'ok.txt', body: 'ok' }, ...entries]);
    await expect(inspectSource(file, limits)).rejects.toThrow(message);
    await expect(inspectSource(file, limits)).rejects.toBeInstanceOf(SourceArchiveError);
  });

  it('stops a gzip bomb at the size limit', async () => {
    const file = await tarball([{ name: 'zeros', body: '\0'.repeat(2 * 1024 * 1024) }]);
    await expect(inspectSource(file, limits)).rejects.toThrow('larger than 1.0M uncompressed');
  });

  it('stops at the entry limit', async () => {
    const file = await tarball(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, body: '' })));
    await expect(inspectSource(file, { maxBytes: 1e6, maxEntries: 10 })).rejects.toThrow('more than 10 entries');
  });

  it('rejects an empty archive and a file that is not a tarball', async () => {
    const empty = await tarball([]);
    await expect(inspectSource(empty, limits)).rejects.toThrow('empty');
    const junk = join(dir, 'junk.tgz');
    writeFileSync(junk, gzipSync(Buffer.from('this is not a tar archive at all, just text '.repeat(20))));
    await expect(inspectSource(junk, limits)).rejects.toThrow();
  });
});
