// A container's or image's filesystem, in memory: files, directories and symlinks by absolute path. Archives go
// in and out as real tar streams (tar-stream), so slug and build code exercise the same bytes they send to Docker.
import { posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';

export type FileEntry =
  | { readonly kind: 'file'; readonly data: Buffer; readonly mode: number }
  | { readonly kind: 'directory'; readonly mode: number }
  | { readonly kind: 'symlink'; readonly target: string };

export class MemoryFiles {
  readonly #entries = new Map<string, FileEntry>([['/', { kind: 'directory', mode: 0o755 }]]);
  /** Volumes mounted into this tree, by target path: what is under a target lives in the volume, not here. */
  readonly #mounts = new Map<string, MemoryFiles>();

  /** What a fresh image has: `/` and `/tmp`, where builds unpack their sources. */
  static skeleton(): MemoryFiles {
    const files = new MemoryFiles();
    files.mkdir('/tmp', 0o1777);
    return files;
  }

  static copyOf(other: MemoryFiles): MemoryFiles {
    const copy = new MemoryFiles();
    for (const [path, entry] of other.#entries) copy.#entries.set(path, entry);
    return copy;
  }

  get sizeBytes(): number {
    let size = 0;
    for (const entry of this.#entries.values()) if (entry.kind === 'file') size += entry.data.length;
    return size;
  }

  /** Mounts `volume` at `target` (a container's bind of a named volume). */
  mount(target: string, volume: MemoryFiles): void {
    this.mkdir(target);
    this.#mounts.set(normal(target), volume);
  }

  /** The tree that holds `path` (a mounted volume, or this one) and the path inside it. */
  #resolve(path: string): { files: MemoryFiles; at: string } {
    const at = normal(path);
    for (const [target, volume] of this.#mounts) {
      if (at === target) return { files: volume, at: '/' };
      if (at.startsWith(`${target}/`)) return { files: volume, at: at.slice(target.length) };
    }
    return { files: this, at };
  }

  entry(path: string): FileEntry | undefined {
    const { files, at } = this.#resolve(path);
    return files.#entries.get(at);
  }

  read(path: string): Buffer | undefined {
    const entry = this.entry(path);
    return entry?.kind === 'file' ? entry.data : undefined;
  }

  /** Writes a file, creating its parent directories. */
  write(path: string, data: string | Buffer, mode = 0o644): void {
    const { files, at } = this.#resolve(path);
    if (files !== this) return files.write(at, data, mode);
    this.mkdir(posix.dirname(at));
    this.#entries.set(at, { kind: 'file', data: Buffer.from(data), mode });
  }

  /** `mkdir -p`. */
  mkdir(path: string, mode = 0o755): void {
    const { files, at } = this.#resolve(path);
    if (files !== this) return files.mkdir(at, mode);
    if (this.#entries.get(at)?.kind === 'directory') return;
    if (at !== '/') this.mkdir(posix.dirname(at));
    this.#entries.set(at, { kind: 'directory', mode });
  }

  /**
   * What this tree changed against `base` (a container's against its image's, as `docker diff` tells it): paths added,
   * replaced (a write makes a new entry) or deleted, and the directories above each, as changed.
   */
  diff(base: MemoryFiles): Array<{ path: string; kind: 'added' | 'changed' | 'deleted' }> {
    const found = new Map<string, 'added' | 'changed' | 'deleted'>();
    for (const [path, entry] of this.#entries) {
      const before = base.#entries.get(path);
      if (before === undefined) found.set(path, 'added');
      else if (before !== entry && !(before.kind === 'directory' && entry.kind === 'directory')) found.set(path, 'changed');
    }
    for (const path of base.#entries.keys()) if (!this.#entries.has(path)) found.set(path, 'deleted');
    for (const path of [...found.keys()]) {
      for (let dir = posix.dirname(path); dir !== '/' && !found.has(dir); dir = posix.dirname(dir)) found.set(dir, 'changed');
    }
    return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([path, kind]) => ({ path, kind }));
  }

  /** Paths at and under `path` in this tree (not in volumes mounted below it), shortest first. */
  under(path: string): string[] {
    const at = normal(path);
    const prefix = at === '/' ? '/' : `${at}/`;
    return [...this.#entries.keys()].filter((p) => p === at || p.startsWith(prefix)).sort();
  }

  /** Unpacks a tar stream at `path`, as `docker cp`/putArchive does. */
  async unpack(path: string, tar: Readable): Promise<void> {
    const base = normal(path);
    // Entries go through write/mkdir, which find the volume an entry lands in.
    const reader = extract();
    const done = new Promise<void>((resolve, reject) => {
      reader.on('entry', (header, source, next) => {
        const body = source as unknown as Readable;
        const chunks: Buffer[] = [];
        body.on('data', (chunk: Buffer) => chunks.push(chunk));
        body.on('error', reject);
        body.on('end', () => {
          const at = posix.join(base, header.name);
          if (header.type === 'directory') this.mkdir(at, header.mode);
          else if (header.type === 'symlink') {
            this.mkdir(posix.dirname(at));
            const inside = this.#resolve(at);
            inside.files.#entries.set(inside.at, { kind: 'symlink', target: header.linkname });
          } else if (header.type === 'link') this.write(at, this.read(posix.join(base, header.linkname)) ?? Buffer.alloc(0));
          else this.write(at, Buffer.concat(chunks), header.mode);
          next();
        });
      });
      reader.on('finish', () => resolve());
      reader.on('error', reject);
    });
    tar.on('error', (err: Error) => reader.destroy(err));
    tar.pipe(reader as unknown as NodeJS.WritableStream);
    await done;
  }

  /** A tar stream of `path`, entries named after its last segment (Docker's getArchive). Undefined when missing. */
  pack(path: string): Readable | undefined {
    const inside = this.#resolve(path);
    if (inside.files !== this) return inside.files.#packAs(inside.at, posix.basename(normal(path)));
    return this.#packAs(normal(path), undefined);
  }

  #packAs(at: string, rootName: string | undefined): Readable | undefined {
    if (!this.#entries.has(at)) return undefined;
    const name = rootName ?? (at === '/' ? '.' : posix.basename(at));
    const out = pack();
    for (const p of this.under(at)) {
      const entry = this.#entries.get(p);
      if (entry === undefined) continue;
      const rel = p === at ? name : `${name}/${p.slice(at === '/' ? 1 : at.length + 1)}`;
      if (entry.kind === 'directory') out.entry({ name: `${rel}/`, type: 'directory', mode: entry.mode });
      else if (entry.kind === 'symlink') out.entry({ name: rel, type: 'symlink', linkname: entry.target });
      else out.entry({ name: rel, mode: entry.mode }, entry.data);
    }
    out.finalize();
    // A Node stream for callers (streamx streams pipe to one destination and are typed apart).
    const node = new PassThrough();
    (out as unknown as Readable).pipe(node);
    return node;
  }
}

function normal(path: string): string {
  const p = posix.normalize(posix.join('/', path));
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
