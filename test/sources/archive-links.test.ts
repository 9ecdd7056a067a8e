// Source tarballs (issue 11, low): links checked as tar creates them (symlink chains, in any order; links that
// escape once the top directory is stripped; entries written through a symlinked directory), and pax/GNU long
// headers counted against the byte limit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { pack, type Header } from 'tar-stream';
import { inspectSource, SourceArchiveError } from '../../src/sources/index.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-source-links-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Entry = Partial<Header> & { name: string; body?: string };
let counter = 0;

async function tarBytes(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  for (const { body, ...header } of entries) {
    p.entry({ type: 'file', ...header, ...(body === undefined ? {} : { size: Buffer.byteLength(body) }) }, body ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function save(bytes: Buffer): string {
  const file = join(dir, `t${counter++}.tgz`);
  writeFileSync(file, gzipSync(bytes));
  return file;
}

const limits = { maxBytes: 1024 * 1024, maxEntries: 1000 };

async function rejected(entries: Entry[]): Promise<string> {
  const error = await inspectSource(save(await tarBytes(entries)), limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceArchiveError);
  return (error as Error).message;
}

describe('links resolved as tar creates them', () => {
  it('a symlink chain that escapes is refused, whatever the order of its links', async () => {
    // x/y -> .. is the top; x/z -> y/.. is then the top's parent.
    const chain: Entry[] = [
      { name: 'x/', type: 'directory' },
      { name: 'x/y', type: 'symlink', linkname: '..' },
      { name: 'x/z', type: 'symlink', linkname: 'y/..' },
      { name: 'package.json', body: '{}' },
    ];
    expect(await rejected(chain)).toMatch(/symlink that points outside the app directory: x\/z -> y\/\.\./);
    const reversed = [chain[0], chain[2], chain[1], chain[3]] as Entry[];
    expect(await rejected(reversed)).toMatch(/symlink that points outside/);
  });

  it('an entry written through a symlinked directory is refused', async () => {
    expect(
      await rejected([
        { name: 'up', type: 'symlink', linkname: '.' },
        { name: 'up/package.json', body: '{}' },
      ]),
    ).toMatch(/entry inside a symlinked directory: up\/package\.json/);
  });

  it('a link that stays inside only while the top directory is there is refused once it is stripped', async () => {
    expect(
      await rejected([
        { name: 'app/', type: 'directory' },
        { name: 'app/package.json', body: '{}' },
        { name: 'app/secret', type: 'symlink', linkname: '../outside' },
      ]),
    ).toMatch(/symlink that points outside the app directory: secret -> \.\.\/outside/);
    expect(
      await rejected([
        { name: 'app/', type: 'directory' },
        { name: 'app/package.json', body: '{}' },
        { name: 'app/hard', type: 'link', linkname: 'other/file' },
      ]),
    ).toMatch(/hardlink that points outside the app directory/);
  });

  it('ordinary links, chains included, still pass', async () => {
    const inspection = await inspectSource(
      save(
        await tarBytes([
          { name: 'app/', type: 'directory' },
          { name: 'app/lib/', type: 'directory' },
          { name: 'app/lib/a.js', body: 'a' },
          { name: 'app/current', type: 'symlink', linkname: 'lib' },
          { name: 'app/entry.js', type: 'symlink', linkname: 'current/a.js' },
          { name: 'app/lib/up', type: 'symlink', linkname: '..' },
          { name: 'app/hard.js', type: 'link', linkname: 'app/lib/a.js' },
        ]),
      ),
      limits,
    );
    expect(inspection.root).toBe('app');
  });
});

describe('long headers and the byte limit', () => {
  it('a flood of pax headers counts against the byte limit', async () => {
    // 40 pax extended headers of ~1 MiB each (a comment record), then one tiny file: 40 MiB of tar for 2 bytes.
    const headers: Buffer[] = [];
    for (let i = 0; i < 40; i += 1) headers.push(paxHeader(`comment=${'x'.repeat(1024 * 1024)}`));
    const file = save(Buffer.concat([...headers, await tarBytes([{ name: 'a.txt', body: 'hi' }])]));
    const error = await inspectSource(file, limits).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceArchiveError);
    expect((error as Error).message).toMatch(/larger than 1\.0M uncompressed/);
  });
});

/** One pax extended header (typeflag `x`) holding `record`, padded to 512 bytes. */
function paxHeader(record: string): Buffer {
  let line = '';
  for (let length = record.length + 3; ; length += 1) {
    line = `${length} ${record}\n`;
    if (Buffer.byteLength(line) === length) break;
  }
  const body = Buffer.from(line);
  const header = Buffer.alloc(512, 0);
  header.write('PaxHeader/a.txt', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('x', 156);
  header.write('ustar\x0000', 257);
  header.write('        ', 148);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512, 0);
  return Buffer.concat([header, body, padding]);
}

describe('inspection and the build timeout', () => {
  it('stops when the build is aborted', async () => {
    const file = save(await tarBytes([{ name: 'package.json', body: '{}' }]));
    const controller = new AbortController();
    controller.abort('25 minutes');
    await expect(inspectSource(file, limits, controller.signal)).rejects.toThrow(/inspection was stopped/);
    // Without a signal the same archive passes.
    expect((await inspectSource(file, limits)).entries).toBe(1);
  });
});
