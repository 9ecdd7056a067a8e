// Source blobs: `POST /sources` hands out a PUT URL and a GET URL with a secret in them (Heroku's are S3 URLs);
// the tarball is kept in the data dir. A build's `source_blob.url` may be one of ours, a file:// path, or an
// http(s) URL that is fetched (offline, a clear error).
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { apiTimestamp } from '../clock.js';
import type { SourceRef } from '../contracts/sources.js';
import { berthError, raise } from '../errors.js';
import type { Store } from '../store/index.js';

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
}

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

export class SourcesService {
  readonly #store: Store;
  readonly #options: SourcesOptions;

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
    return blob;
  }

  #check(id: string, secret: string): void {
    const record = this.#store.sources.get(id);
    if (!record || record.secret !== secret) raise('source_not_found');
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
