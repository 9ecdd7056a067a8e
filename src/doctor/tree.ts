// What the checks read: an app's files as pushed (paths, and the text of the small ones). Two ways in: a directory
// on this machine (`berth doctor [dir]`, which honours the root .gitignore as a push would) and a source tarball (the
// push's own source, before the build container sees it). The checks themselves never touch the filesystem.
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import ignore from 'ignore';
import { extract } from 'tar-stream';

/** An app's source as the checks see it. */
export interface SourceTree {
  /** Every file's path from the app's root, `/`-separated, without a leading `./`. */
  readonly paths: readonly string[];
  /** A file's text; undefined for a file that is absent, larger than TEXT_MAX_BYTES, or beyond the tree's text budget. */
  text(path: string): string | undefined;
}

/** Source files worth reading are small; a larger one (a bundle, a data file) is listed but not read. */
const TEXT_MAX_BYTES = 512 * 1024;
/** The most text one tree holds in memory, whatever the app's size. */
const TREE_MAX_TEXT_BYTES = 32 * 1024 * 1024;
/** The most paths one tree lists (a push of 100,000 files is still checked, on its first files). */
const TREE_MAX_PATHS = 50_000;
/** Never pushed in practice (installed or generated on the build), and huge: skipped without a look. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

/** A tree made from known files, for tests and for callers that already hold the text. */
export function treeOf(files: Readonly<Record<string, string>>): SourceTree {
  const texts = new Map(Object.entries(files));
  return { paths: [...texts.keys()].sort(), text: (path) => texts.get(path) };
}

class TreeBuilder {
  readonly #paths: string[] = [];
  readonly #texts = new Map<string, string>();
  #textBytes = 0;

  get full(): boolean {
    return this.#paths.length >= TREE_MAX_PATHS;
  }

  /** Whether the file's text is wanted: small enough, and room left in the budget. */
  wants(size: number): boolean {
    return size <= TEXT_MAX_BYTES && this.#textBytes + size <= TREE_MAX_TEXT_BYTES;
  }

  add(path: string, text?: Buffer): void {
    if (this.full) return;
    this.#paths.push(path);
    if (text !== undefined && this.wants(text.length)) {
      this.#texts.set(path, text.toString('utf8'));
      this.#textBytes += text.length;
    }
  }

  tree(): SourceTree {
    const texts = this.#texts;
    return { paths: [...this.#paths].sort(), text: (path) => texts.get(path) };
  }
}

/** A directory on this machine, as `git push` would send it: files the root .gitignore names are left out. */
export async function treeFromDirectory(dir: string): Promise<SourceTree> {
  const builder = new TreeBuilder();
  const gitignore = await readFile(join(dir, '.gitignore'), 'utf8').catch(() => '');
  const ignored = ignore().add(gitignore);
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (builder.full) return;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || ignored.ignores(`${path}/`)) continue;
        await walk(path);
      } else if (entry.isFile() && !ignored.ignores(path)) {
        const { size } = await stat(join(dir, path));
        builder.add(path, builder.wants(size) ? await readFile(join(dir, path)) : undefined);
      }
    }
  };
  await walk('');
  return builder.tree();
}

/**
 * A source tarball (gzipped or not), as a push or `POST /sources` sends it. A single top directory holding every
 * entry (GitHub's archives) is the app's root, as the slug compiler strips it too.
 */
export async function treeFromTarball(file: string): Promise<SourceTree> {
  const entries: Array<{ path: string; text?: Buffer }> = [];
  const builder = new TreeBuilder();
  // What this read holds in memory so far: the builder counts only what it was given, after the whole read.
  let buffered = 0;
  const unpack = extract();
  const done = new Promise<void>((resolve, reject) => {
    unpack.on('entry', (header, body, next) => {
      const path = posix.normalize(header.name).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      const skipped = path === '.' || path.startsWith('../') || path.split('/').some((part) => SKIPPED_DIRS.has(part));
      if (header.type !== 'file' || skipped || entries.length >= TREE_MAX_PATHS) {
        body.on('end', () => next());
        body.resume();
        return;
      }
      const size = header.size ?? 0;
      if (size > TEXT_MAX_BYTES || buffered + size > TREE_MAX_TEXT_BYTES) {
        entries.push({ path });
        body.on('end', () => next());
        body.resume();
        return;
      }
      buffered += size;
      const chunks: Buffer[] = [];
      body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      body.on('end', () => {
        entries.push({ path, text: Buffer.concat(chunks) });
        next();
      });
    });
    unpack.on('finish', resolve);
    unpack.on('error', reject);
  });
  const raw = createReadStream(file);
  const head = await firstBytes(file);
  const input: Readable = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  input.on('error', (error: Error) => unpack.destroy(error));
  input.pipe(unpack as unknown as NodeJS.WritableStream);
  await done;
  const tops = new Set(entries.map((entry) => entry.path.split('/')[0]));
  const onlyTop = tops.size === 1 ? [...tops][0] : undefined;
  const root = onlyTop !== undefined && entries.every((entry) => entry.path.startsWith(`${onlyTop}/`)) ? `${onlyTop}/` : '';
  for (const entry of entries) builder.add(entry.path.slice(root.length), entry.text);
  return builder.tree();
}

async function firstBytes(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file, { start: 0, end: 1 })) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
