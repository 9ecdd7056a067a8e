// "Build elsewhere, release a slug" (the path CI scripts and Terraform take): `POST /apps/{app}/slugs` records a slug
// with its process types and answers a `blob` to `PUT` the `.tgz` to (a secret in the URL, as Heroku's presigned
// URLs); the upload is kept as the slug's artifact and unpacked once into the slug image dynos start from; then
// `POST /apps/{app}/releases {slug}` releases it like any other.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { apiTimestamp } from '../clock.js';
import type { AppRecord, ProcessTypes, SlugRecord } from '../contracts/records.js';
import { sameSecret } from '../credentials.js';
import { raise } from '../errors.js';
import { containerName, type Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';

export interface SlugUploadsDeps {
  readonly store: Store;
  readonly runtime: Runtime;
  readonly runImage: string;
  readonly stack: string;
  readonly dataDir: string;
  readonly maxBytes: number;
  /** The public URL a slug's `.tgz` is PUT to. */
  readonly blobUrl: (slugId: string, secret: string) => string;
}

export interface NewSlugRequest {
  readonly processTypes: ProcessTypes;
  readonly commit?: string | null | undefined;
  readonly commitDescription?: string | null | undefined;
  readonly buildpackProvidedDescription?: string | null | undefined;
  readonly checksum?: string | null | undefined;
}

export class SlugUploads {
  readonly #deps: SlugUploadsDeps;

  constructor(deps: SlugUploadsDeps) {
    this.#deps = deps;
  }

  /** Records the slug; answers it with the URL to PUT its `.tgz` to. */
  create(app: AppRecord, request: NewSlugRequest): { slug: SlugRecord; putUrl: string } {
    const { store } = this.#deps;
    const id = randomUUID();
    const secret = randomBytes(24).toString('hex');
    const slug = store.transaction(() => {
      const made = store.builds.insertSlug({
        id,
        appId: app.id,
        createdAt: apiTimestamp(),
        checksum: request.checksum ?? '',
        size: 0,
        processTypes: request.processTypes,
        commit: request.commit ?? null,
        commitDescription: request.commitDescription ?? null,
        stack: this.#deps.stack,
        buildpackProvidedDescription: request.buildpackProvidedDescription ?? null,
        blobPath: join(this.#deps.dataDir, 'slugs', app.id, `${id}.tgz`),
        image: null,
      });
      store.slugUploads.insert(id, secret);
      return made;
    });
    return { slug, putUrl: this.#deps.blobUrl(id, secret) };
  }

  /** The `PUT` of the slug's `.tgz` (Heroku's layout, `./app/...`): kept, checksummed, unpacked into the slug image. */
  async upload(slugId: string, secret: string, body: Readable): Promise<void> {
    const { store, runtime } = this.#deps;
    const expected = store.slugUploads.secretOf(slugId);
    const slug = store.builds.getSlug(slugId);
    if (expected === undefined || slug === undefined || !sameSecret(expected, secret)) raise('slug_not_found');
    const app = store.apps.getById(slug.appId);
    if (app === undefined) raise('slug_not_found');
    await mkdir(join(this.#deps.dataDir, 'slugs', app.id), { recursive: true });
    const hash = createHash('sha256');
    let bytes = 0;
    const max = this.#deps.maxBytes;
    const counting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > max) return done(new Error(`slug larger than ${max} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(body, counting, createWriteStream(slug.blobPath));
    const image = `berth/slug:${slug.id}`;
    const container = await runtime.create({
      image: this.#deps.runImage,
      name: containerName(app.name, `slug-${slug.id.slice(0, 8)}`),
      cmd: ['true'],
      labels: { app: app.id, role: 'build', release: slug.id },
    });
    try {
      await runtime.putArchive(container, '/', createReadStream(slug.blobPath).pipe(createGunzip()));
      const info = await runtime.commit(container, image, {
        changes: ['WORKDIR /app', 'ENV HOME=/app', `LABEL berth.app=${app.id} berth.slug=${slug.id}`],
      });
      const { size } = await stat(slug.blobPath);
      store.slugUploads.uploaded(slug.id, `SHA256:${hash.digest('hex')}`, size, info.ref);
    } catch (error) {
      await rm(slug.blobPath, { force: true });
      // zlib's errors (`Z_DATA_ERROR` and the like): what was PUT is not a gzipped tarball.
      if (String((error as { code?: unknown }).code ?? '').startsWith('Z_')) raise('request_invalid', { reason: 'a slug is a gzipped tar archive (.tgz).' });
      throw error;
    } finally {
      await runtime.remove(container);
    }
  }
}
