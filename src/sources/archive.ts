// Source tarballs are untrusted. Before a byte reaches a build container, every entry is checked: no absolute
// paths, no `..`, no links that leave the tree, no device files or FIFOs, and a bounded total size and entry
// count (a gzip bomb stops at the limit, not at the end of the disk). The checked entries are then packed again
// under the build directory's name, with `.slugignore` applied, for the engine to unpack.
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import ignore, { type Ignore } from 'ignore';
import { extract, pack, type Header } from 'tar-stream';

// tar-stream's streams are streamx streams: the same events and pipe protocol as Node's, typed apart.
const asNode = (stream: unknown): Readable => stream as Readable;

export class SourceArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceArchiveError';
  }
}

export interface SourceLimits {
  /** Uncompressed bytes of all entries together. */
  readonly maxBytes: number;
  readonly maxEntries: number;
}

export interface SourceInspection {
  /** A single top-level directory that every entry sits in (GitHub's archives), stripped when packing. */
  readonly root: string | undefined;
  readonly slugignore: string | undefined;
  /** The text of `app.json` at the tree's root (app setups read it before building). */
  readonly appJson: string | undefined;
  /** The text of `heroku.yml` at the tree's root (app setups of the container stack read its `setup`). */
  readonly herokuYml: string | undefined;
  readonly entries: number;
  readonly bytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Opens a tarball, gunzipping it when it starts with gzip's magic bytes. */
async function openTar(file: string): Promise<Readable> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = createReadStream(file, { start: 0, end: 1 });
    stream.on('data', (c) => chunks.push(Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
  const raw = createReadStream(file);
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    const gunzip = createGunzip();
    raw.on('error', (e) => gunzip.destroy(e));
    return raw.pipe(gunzip);
  }
  return raw;
}

/** The entry's path inside the tree, or an error for anything that could land outside it. */
export function safeEntryPath(name: string): string {
  if (name.includes('\0')) throw new SourceArchiveError(`Source archive has an entry with a NUL byte in its name`);
  if (name.startsWith('/')) throw new SourceArchiveError(`Source archive has an absolute path: ${name}`);
  const normalized = posix.normalize(name).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../') || name.split('/').includes('..')) {
    throw new SourceArchiveError(`Source archive has a path that leaves the app directory: ${name}`);
  }
  return normalized === '.' ? '' : normalized.replace(/^\.\//, '');
}

/** A link target, resolved from the link's own directory, must stay inside the tree. */
function checkLinkTarget(entryPath: string, target: string, kind: 'symlink' | 'hardlink'): string {
  if (target.startsWith('/')) {
    throw new SourceArchiveError(`Source archive has a ${kind} to an absolute path: ${entryPath} -> ${target}`);
  }
  const base = kind === 'symlink' ? posix.dirname(entryPath) : '.';
  const resolved = posix.normalize(posix.join(base, target));
  if (resolved === '..' || resolved.startsWith('../')) {
    throw new SourceArchiveError(`Source archive has a ${kind} that points outside the app directory: ${entryPath} -> ${target}`);
  }
  return resolved;
}

/**
 * What a tar stream may hold beyond its entries' bytes: each entry's 512-byte header and up to 511 bytes of padding,
 * plus a pax or GNU long-name header. Long headers are not entries to tar-stream (they are read into memory, at most
 * 4 MiB each), so they are counted here, in raw bytes, against the archive's byte limit.
 */
const TAR_OVERHEAD_PER_ENTRY = 2048;
/** Read-ahead the extractor may hold before it has counted the entries in it, and one long header. */
const TAR_READ_AHEAD = 8 * 1024 * 1024;

interface EntryVisitor {
  (header: Header, path: string, body: Readable): Promise<void>;
}

async function walk(file: string, limits: SourceLimits, visit: EntryVisitor, signal?: AbortSignal): Promise<{ entries: number; bytes: number }> {
  const source = await openTar(file);
  const tar = extract();
  let entries = 0;
  let bytes = 0;
  let raw = 0;
  const tooLarge = () => new SourceArchiveError(`Source archive is larger than ${formatBytes(limits.maxBytes)} uncompressed`);
  // Every byte of the tar stream counts, headers included: a flood of pax headers is not free.
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      // The build's timeout covers inspection too: a slow archive stops with it.
      if (signal?.aborted) return done(new SourceArchiveError('Source archive inspection was stopped: the build timed out or was cancelled'));
      raw += chunk.length;
      if (raw > limits.maxBytes + (entries + 1) * TAR_OVERHEAD_PER_ENTRY + TAR_READ_AHEAD) return done(tooLarge());
      done(null, chunk);
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, source, next) => {
      const body = asNode(source);
      entries += 1;
      bytes += header.size ?? 0;
      const fail = (error: unknown) => {
        // Destroying the extractor destroys this entry's stream with the same error; the caller gets it once.
        body.on('error', () => undefined);
        body.resume();
        tar.destroy(error instanceof Error ? error : new Error(String(error)));
      };
      if (entries > limits.maxEntries) return fail(new SourceArchiveError(`Source archive has more than ${limits.maxEntries} entries`));
      if (bytes > limits.maxBytes) return fail(tooLarge());
      let path: string;
      try {
        path = safeEntryPath(header.name);
        if (header.type === 'symlink') checkLinkTarget(path, header.linkname ?? '', 'symlink');
        else if (header.type === 'link') checkLinkTarget(path, header.linkname ?? '', 'hardlink');
        else if (header.type !== 'file' && header.type !== 'directory' && header.type !== 'contiguous-file') {
          throw new SourceArchiveError(`Source archive has a ${header.type ?? 'special'} entry, which apps cannot contain: ${header.name}`);
        }
      } catch (error) {
        return fail(error);
      }
      visit(header, path, body).then(() => next(), fail);
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    source.on('error', (e) => reject(new SourceArchiveError(`Source archive could not be read: ${e.message}`)));
    meter.on('error', (e) => {
      tar.destroy(e);
      reject(e);
    });
  });
  source.pipe(meter).pipe(tar as unknown as NodeJS.WritableStream);
  await done;
  return { entries, bytes };
}

function drain(body: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    body.on('end', resolve);
    body.on('error', reject);
    body.resume();
  });
}

function readText(body: Readable, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    body.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    body.on('error', reject);
  });
}

/** More than any real app.json; a bigger one is cut here and then fails to parse. */
const APP_JSON_MAX_BYTES = 1024 * 1024;

/** First pass: checks every entry and finds the common root and `.slugignore`. Throws SourceArchiveError. */
/** `signal` (the build's timeout) stops the inspection. */
export async function inspectSource(file: string, limits: SourceLimits, signal?: AbortSignal): Promise<SourceInspection> {
  const tops = new Set<string>();
  let hasRootFile = false;
  const slugignores = new Map<string, string>();
  const appJsons = new Map<string, string>();
  const herokuYmls = new Map<string, string>();
  const links = new LinkCheck();
  const counts = await walk(file, limits, async (header, path, body) => {
    links.add(header, path);
    if (path === '') return drain(body);
    const [top, ...rest] = path.split('/');
    tops.add(top as string);
    if (rest.length === 0 && header.type !== 'directory') hasRootFile = true;
    const base = posix.basename(path);
    if (base === '.slugignore' && header.type === 'file' && rest.length <= 1) {
      slugignores.set(path, await readText(body, 64 * 1024));
      return;
    }
    if (base === 'app.json' && header.type === 'file' && rest.length <= 1) {
      appJsons.set(path, await readText(body, APP_JSON_MAX_BYTES));
      return;
    }
    if (base === 'heroku.yml' && header.type === 'file' && rest.length <= 1) {
      herokuYmls.set(path, await readText(body, APP_JSON_MAX_BYTES));
      return;
    }
    return drain(body);
  }, signal);
  if (counts.entries === 0) throw new SourceArchiveError('Source archive is empty');
  const onlyTop = tops.size === 1 ? [...tops][0] : undefined;
  const root = onlyTop !== undefined && !hasRootFile ? onlyTop : undefined;
  const slugignore = slugignores.get(root === undefined ? '.slugignore' : `${root}/.slugignore`);
  const appJson = appJsons.get(root === undefined ? 'app.json' : `${root}/app.json`);
  const herokuYml = herokuYmls.get(root === undefined ? 'heroku.yml' : `${root}/heroku.yml`);
  links.verify(root);
  return { root, slugignore, appJson, herokuYml, entries: counts.entries, bytes: counts.bytes };
}

/**
 * Links checked as tar will create them, not only lexically: after the top directory is stripped, following every
 * symlink in the archive (chains included, in any order), no symlink may resolve outside the tree, no entry may be
 * written through a symlinked directory, and no hardlink may name a path outside the tree or through a symlink.
 */
class LinkCheck {
  /** Every path that was a symlink at some point in the archive, with its target. */
  readonly #symlinks = new Map<string, string>();
  readonly #hardlinks: Array<{ path: string; target: string }> = [];
  readonly #paths: string[] = [];

  add(header: Header, path: string): void {
    if (path === '') return;
    this.#paths.push(path);
    if (header.type === 'symlink') {
      const target = header.linkname ?? '';
      const earlier = this.#symlinks.get(path);
      if (earlier !== undefined && earlier !== target) {
        throw new SourceArchiveError(`Source archive has a symlink that is replaced by another: ${path}`);
      }
      this.#symlinks.set(path, target);
    } else if (header.type === 'link') {
      this.#hardlinks.push({ path, target: safeEntryPath(header.linkname ?? '') });
    }
  }

  verify(root: string | undefined): void {
    const strip = (path: string): string | undefined => {
      if (root === undefined) return path;
      if (path === root) return '';
      return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : undefined;
    };
    const symlinks = new Map<string, string>();
    for (const [path, target] of this.#symlinks) {
      const rel = strip(path);
      if (rel !== undefined && rel !== '') symlinks.set(rel, target);
    }
    const throughSymlink = (rel: string): string | undefined => {
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i += 1) {
        const prefix = parts.slice(0, i).join('/');
        if (symlinks.has(prefix)) return prefix;
      }
      return undefined;
    };
    for (const path of this.#paths) {
      const rel = strip(path);
      if (rel === undefined || rel === '') continue;
      const link = throughSymlink(rel);
      if (link !== undefined) throw new SourceArchiveError(`Source archive has an entry inside a symlinked directory: ${path} (through ${link})`);
    }
    for (const [rel, target] of symlinks) {
      const dir = rel.split('/').slice(0, -1);
      if (resolveInTree(dir, target, symlinks) === undefined) {
        throw new SourceArchiveError(`Source archive has a symlink that points outside the app directory: ${rel} -> ${target}`);
      }
    }
    for (const { path, target } of this.#hardlinks) {
      const rel = strip(target);
      if (rel === undefined || rel === '' || throughSymlink(`${rel}/x`) !== undefined) {
        throw new SourceArchiveError(`Source archive has a hardlink that points outside the app directory: ${path} -> ${target}`);
      }
    }
  }
}

/** Follows `target` from the directory `dir` (path parts), through the archive's symlinks; undefined if it leaves. */
function resolveInTree(dir: readonly string[], target: string, symlinks: ReadonlyMap<string, string>, hops = 0): string[] | undefined {
  if (target.startsWith('/') || hops > 40) return undefined;
  let parts = [...dir];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(part);
    const link = symlinks.get(parts.join('/'));
    if (link !== undefined) {
      const resolved = resolveInTree(parts.slice(0, -1), link, symlinks, hops + 1);
      if (resolved === undefined) return undefined;
      parts = resolved;
    }
  }
  return parts;
}

export interface RepackOptions {
  /** Directory name every entry is placed under (e.g. `build_<id>`), unpacked by the engine into `/tmp`. */
  readonly prefix: string;
  readonly inspection: SourceInspection;
  readonly limits: SourceLimits;
}

/** Second pass: the checked entries under `prefix`, minus what `.slugignore` names, as a plain tar stream. */
export function repackSource(file: string, options: RepackOptions): Readable {
  const { prefix, inspection } = options;
  const ignored: Ignore | undefined = inspection.slugignore === undefined ? undefined : ignore().add(inspection.slugignore);
  const out = pack();
  const strip = inspection.root === undefined ? '' : `${inspection.root}/`;
  const dropped = new Set<string>();
  const relative = (path: string) => (strip !== '' && path.startsWith(strip) ? path.slice(strip.length) : path === inspection.root ? '' : path);
  const isIgnored = (rel: string, isDir: boolean): boolean => {
    if (ignored === undefined || rel === '') return false;
    // A path under a dropped directory goes with it.
    for (let dir = posix.dirname(rel); dir !== '.'; dir = posix.dirname(dir)) if (dropped.has(dir)) return true;
    return ignored.ignores(isDir ? `${rel}/` : rel);
  };
  out.entry({ name: `${prefix}/`, type: 'directory', mode: 0o755 });
  walk(file, options.limits, async (header, path, body) => {
    const rel = relative(path);
    const isDir = header.type === 'directory';
    if (rel === '' || isIgnored(rel, isDir)) {
      if (isDir && rel !== '') dropped.add(rel);
      return drain(body);
    }
    const target = `${prefix}/${rel}`;
    const base: Partial<Header> & { name: string } = {
      name: target,
      mode: (header.mode ?? (isDir ? 0o755 : 0o644)) & 0o7777 & ~0o6000,
      mtime: header.mtime ?? new Date(0),
      type: header.type === 'contiguous-file' ? 'file' : header.type,
    };
    if (header.type === 'symlink') {
      out.entry({ ...base, linkname: header.linkname ?? '' });
      return drain(body);
    }
    if (header.type === 'link') {
      const linked = relative(safeEntryPath(header.linkname ?? ''));
      out.entry({ ...base, linkname: `${prefix}/${linked}` });
      return drain(body);
    }
    if (isDir) {
      out.entry({ ...base, name: `${target}/` });
      return drain(body);
    }
    const sink = out.entry({ ...base, size: header.size ?? 0 });
    await pipeline(body, sink as unknown as NodeJS.WritableStream);
  }).then(
    () => out.finalize(),
    (error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(out);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)}G`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)}M`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)}K`;
  return `${bytes}B`;
}

