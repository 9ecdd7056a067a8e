// Source blobs: `POST /sources` hands out a PUT URL and a GET URL with a secret in them (Heroku's are S3 URLs);
// the tarball is kept in the data dir. A build's `source_blob.url` may be one of ours, a file:// path, or an
// http(s) URL that is fetched (offline, a clear error). A blob lives while builds use it: a short grace after its
// last build, at once when that build's app is destroyed, and never more than an hour unused (Heroku's source URLs
// expire after an hour too).
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { apiTimestamp } from '../clock.js';
import type { SourceRef } from '../contracts/sources.js';
import { sameSecret } from '../credentials.js';
import { berthError, raise } from '../errors.js';
import type { Store } from '../store/index.js';
import { inspectSource, type SourceLimits } from './archive.js';

export interface SourceBlob {
  readonly id: string;
  readonly secret: string;
}

export class SourceFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceFetchError';
  }
}

export interface SourcesOptions {
  readonly dataDir: string;
  readonly maxBytes: number;
  /** URL prefixes under which this daemon serves blobs (`http://127.0.0.1:5100/sources/`, the HTTPS one). */
  readonly ownPrefixes: () => readonly string[];
  /** How long a blob is kept after the last build that used it ended (a retry may still want it). */
  readonly graceSeconds: number;
}

/** A blob no build has claimed is deleted this long after it was uploaded (Heroku's source URLs last an hour). */
const UNUSED_MAX_AGE_SECONDS = 60 * 60;
/** Sweeps for such blobs run at most this often, when a new blob is made. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/** Counts bytes through a stream and fails it past a limit, so an upload or download can't fill the disk. */
function limit(maxBytes: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) return done(berthError('source_too_large', { what, limit: maxBytes }));
      done(null, chunk);
    },
  });
}

interface Claim {
  readonly appId: string;
  builds: number;
  expiry: NodeJS.Timeout | undefined;
}

export class SourcesService {
  readonly #store: Store;
  readonly #options: SourcesOptions;
  /** Our own blobs that builds use, by blob id. */
  readonly #claims = new Map<string, Claim>();
  #lastSweep = 0;

  constructor(store: Store, options: SourcesOptions) {
    this.#store = store;
    this.#options = options;
  }

  #dir(): string {
    return join(this.#options.dataDir, 'sources');
  }

  path(id: string): string {
    return join(this.#dir(), `${id}.tgz`);
  }

  create(): SourceBlob {
    const blob = { id: randomUUID(), secret: randomBytes(24).toString('hex') };
    this.#store.sources.insert({ ...blob, createdAt: apiTimestamp() });
    if (Date.now() - this.#lastSweep > SWEEP_EVERY_MS) void this.sweep();
    return blob;
  }

  #check(id: string, secret: string): void {
    const record = this.#store.sources.get(id);
    if (!record || !sameSecret(record.secret, secret)) raise('source_not_found');
  }

  /** A build of `appId` will read this source: it is kept until that build is done. */
  claim(source: SourceRef, appId: string): void {
    if (source.kind !== 'blob') return;
    const id = source.id;
    const claim = this.#claims.get(id) ?? { appId, builds: 0, expiry: undefined };
    clearTimeout(claim.expiry);
    claim.expiry = undefined;
    claim.builds += 1;
    this.#claims.set(id, claim);
  }

  /** A build is done with this source: the blob goes after the grace, unless another build claims it first. */
  retire(source: SourceRef): void {
    if (source.kind !== 'blob') return;
    const id = source.id;
    const claim = this.#claims.get(id);
    if (claim === undefined) return;
    claim.builds = Math.max(0, claim.builds - 1);
    if (claim.builds > 0) return;
    clearTimeout(claim.expiry);
    claim.expiry = setTimeout(() => void this.#delete(id), this.#options.graceSeconds * 1000);
    claim.expiry.unref();
  }

  /** app.destroyed: the blobs its builds used go now. */
  async removeApp(appId: string): Promise<void> {
    for (const [id, claim] of [...this.#claims]) if (claim.appId === appId) await this.#delete(id);
  }

  /** Deletes blobs older than an hour that no build holds (abandoned uploads; blobs a restarted daemon forgot). */
  async sweep(maxAgeSeconds = UNUSED_MAX_AGE_SECONDS): Promise<void> {
    this.#lastSweep = Date.now();
    const names = await readdir(this.#dir()).catch(() => [] as string[]);
    for (const name of names) {
      const id = name.replace(/\.tgz$/, '');
      if (!name.endsWith('.tgz') || this.#claims.has(id)) continue;
      const info = await stat(join(this.#dir(), name)).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > maxAgeSeconds * 1000) await this.#delete(id);
    }
  }

  async #delete(id: string): Promise<void> {
    const claim = this.#claims.get(id);
    clearTimeout(claim?.expiry);
    this.#claims.delete(id);
    this.#store.sources.delete(id);
    await rm(this.path(id), { force: true });
  }

  /** Stores an upload whole or not at all: a temp file renamed into place. */
  async upload(id: string, secret: string, body: Readable): Promise<number> {
    this.#check(id, secret);
    await mkdir(this.#dir(), { recursive: true });
    const temp = `${this.path(id)}.${randomBytes(4).toString('hex')}.part`;
    try {
      await pipeline(body, limit(this.#options.maxBytes, 'Source upload'), createWriteStream(temp));
      const { size } = await stat(temp);
      await rename(temp, this.path(id));
      this.#store.sources.markUploaded(id, size);
      return size;
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** The file of an uploaded blob, for `GET <get_url>`. */
  async file(id: string, secret: string): Promise<string> {
    this.#check(id, secret);
    const record = this.#store.sources.get(id);
    if (record?.size === null || record?.size === undefined) raise('source_not_found');
    return this.path(id);
  }

  /** What a build's `source_blob.url` names: one of our blobs, a file:// path, or a URL to download. */
  reference(url: string): SourceRef {
    for (const prefix of this.#options.ownPrefixes()) {
      if (url.startsWith(prefix)) {
        const [id = '', secret = ''] = url.slice(prefix.length).split(/[/?#]/);
        return { kind: 'blob', id, secret, url };
      }
    }
    if (url.startsWith('file:')) {
      try {
        return { kind: 'file', path: fileURLToPath(new URL(url)), url };
      } catch {
        return { kind: 'url', url };
      }
    }
    return { kind: 'url', url };
  }

  /**
   * The `app.json` at the root of the tarball `url` names (undefined when it has none), for app setups, which read
   * the manifest before anything is made. The tarball is checked as a build checks it. Throws SourceFetchError or
   * SourceArchiveError.
   */
  async readManifests(url: string, limits: SourceLimits): Promise<{ readonly appJson: string | undefined; readonly herokuYml: string | undefined }> {
    await mkdir(join(this.#dir(), 'tmp'), { recursive: true });
    const file = join(this.#dir(), 'tmp', `appjson-${randomUUID()}.tgz`);
    try {
      await this.fetchTo(this.reference(url), file);
      const { appJson, herokuYml } = await inspectSource(file, limits);
      return { appJson, herokuYml };
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * Puts the tarball a build names into `dest`: our own blob (no network), a file:// path, or an http(s) URL.
   * Throws SourceFetchError with a message fit for the build output.
   */
  async fetchTo(source: SourceRef, dest: string): Promise<void> {
    const url = source.url;
    if (source.kind === 'blob') {
      try {
        const file = await this.file(source.id, source.secret);
        await pipeline(createReadStream(file), createWriteStream(dest));
        return;
      } catch {
        throw new SourceFetchError(`The source blob ${url} does not exist or was never uploaded.`);
      }
    }
    if (source.kind === 'file') {
      try {
        await pipeline(createReadStream(source.path), limit(this.#options.maxBytes, 'Source'), createWriteStream(dest));
      } catch (error) {
        throw new SourceFetchError(`The source file ${source.path} could not be read: ${(error as Error).message}`);
      }
      return;
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SourceFetchError(`The source URL is not a valid URL: ${url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SourceFetchError(`Unsupported source URL scheme ${parsed.protocol} (use http, https or file).`);
    }
    let response: Response;
    try {
      response = await fetch(parsed, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new SourceFetchError(
        `The source ${url} could not be downloaded: ${cause?.code ?? cause?.message ?? (error as Error).message}. Is the machine offline?`,
      );
    }
    if (!response.ok || response.body === null) {
      throw new SourceFetchError(`The source ${url} could not be downloaded: HTTP ${response.status}.`);
    }
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream), limit(this.#options.maxBytes, 'Source'), createWriteStream(dest));
    } catch (error) {
      throw new SourceFetchError(`The source ${url} could not be downloaded: ${(error as Error).message}`);
    }
  }
}
