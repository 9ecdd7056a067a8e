// Phase 4: the slug. The compiled build directory leaves the container once as a tar stream, renamed to Heroku's
// slug layout (`./app/...`, without `.git`), and goes two ways at once: gzipped into the `.tgz` artifact (with its
// SHA256), and unpacked into a container of the run image that is committed as the slug image dynos start from.
// Neither side waits for the other to finish, and the tgz is never gunzipped again.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { containerName, type Runtime } from '../runtime/index.js';

export interface SlugArtifact {
  readonly checksum: string;
  readonly size: number;
  readonly image: string;
}

export interface SlugSpec {
  readonly runtime: Runtime;
  readonly buildDirTar: Readable;
  readonly blobPath: string;
  readonly runImage: string;
  readonly image: string;
  readonly appId: string;
  readonly appName: string;
  readonly slugId: string;
  readonly compressionLevel: number;
}

/** Renames `build_<id>/x` to `./app/x` and drops the top-level `.git`. */
function toSlugLayout(source: Readable): Readable {
  const input = extract();
  const output = pack();
  input.on('entry', (header, body, next) => {
    const slash = header.name.indexOf('/');
    const rest = slash === -1 ? '' : header.name.slice(slash + 1);
    if (rest === '.git' || rest.startsWith('.git/')) {
      body.on('end', () => next());
      body.resume();
      return;
    }
    const name = rest === '' ? './app/' : `./app/${rest}`;
    const linkname = header.type === 'link' && header.linkname ? `./app/${header.linkname.slice(header.linkname.indexOf('/') + 1)}` : header.linkname;
    const sink = output.entry({ ...header, name, linkname, uid: 0, gid: 0, uname: 'root', gname: 'root' }, (error) => {
      if (error) input.destroy(error);
      else next();
    });
    (body as unknown as Readable).pipe(sink as unknown as NodeJS.WritableStream);
  });
  input.on('finish', () => output.finalize());
  input.on('error', (error: Error) => output.destroy(error));
  source.on('error', (error) => input.destroy(error));
  source.pipe(input as unknown as NodeJS.WritableStream);
  // tar-stream's packs are streamx streams, which pipe to one destination only; a Node stream can feed two.
  return Readable.from(output);
}

export async function makeSlug(spec: SlugSpec): Promise<SlugArtifact> {
  try {
    return await writeSlug(spec);
  } catch (error) {
    // An unread archive stream from the engine would keep the build container busy.
    spec.buildDirTar.destroy();
    throw error;
  }
}

async function writeSlug(spec: SlugSpec): Promise<SlugArtifact> {
  const tar = toSlugLayout(spec.buildDirTar);
  const toBlob = new PassThrough({ highWaterMark: 1 << 20 });
  const toImage = new PassThrough({ highWaterMark: 1 << 20 });
  tar.pipe(toBlob);
  tar.pipe(toImage);
  tar.on('error', (error) => {
    toBlob.destroy(error);
    toImage.destroy(error);
  });

  await mkdir(dirname(spec.blobPath), { recursive: true });
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const blob = pipeline(toBlob, createGzip({ level: spec.compressionLevel }), hashing, createWriteStream(spec.blobPath));

  const container = await spec.runtime.create({
    image: spec.runImage,
    name: containerName(spec.appName, `slug-${spec.slugId.slice(0, 8)}`),
    cmd: ['true'],
    labels: { app: spec.appId, role: 'build', release: spec.slugId },
  });
  try {
    const unpacked = spec.runtime.putArchive(container, '/', toImage);
    await Promise.all([blob, unpacked]);
    const info = await spec.runtime.commit(container, spec.image, {
      changes: ['WORKDIR /app', 'ENV HOME=/app', `LABEL berth.app=${spec.appId} berth.slug=${spec.slugId}`],
    });
    const { size } = await stat(spec.blobPath);
    return { checksum: `SHA256:${hash.digest('hex')}`, size, image: info.ref };
  } catch (error) {
    await rm(spec.blobPath, { force: true });
    await spec.runtime.removeImage(spec.image).catch(() => undefined);
    throw error;
  } finally {
    await spec.runtime.remove(container);
  }
}

/** `Done: 12.3M`, as Heroku prints the compressed slug size. */
export function slugSizeText(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)}M`;
}
