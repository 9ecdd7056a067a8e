// Buildpack references to directories on this machine. `heroku/nodejs` and `heroku/python` (and Heroku's own URLs
// for them) are the bundled ones, so apps that name the official buildpacks build offline. Local paths and file://
// are used in place; https tarballs and git URLs are fetched once into the data dir and reused.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class BuildpackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildpackError';
  }
}

export interface ResolvedBuildpack {
  /** The reference as the user wrote it (`heroku/nodejs`, a URL, a path). */
  readonly url: string;
  /** Heroku's name for it: `heroku/nodejs` for the bundled ones, the URL otherwise. */
  readonly name: string;
  readonly dir: string;
}

/** The repository's top-level `buildpacks/` folder (dist/buildpacks/resolve.js and src/buildpacks/resolve.ts alike). */
export const BUNDLED_DIR = resolvePath(dirname(fileURLToPath(import.meta.url)), '..', '..', 'buildpacks');

/** Official names and URLs that mean a bundled buildpack. */
const BUNDLED: ReadonlyArray<[RegExp, string]> = [
  [/^(heroku\/)?node(js)?$/, 'nodejs'],
  [/^(heroku\/)?python$/, 'python'],
  [/^https:\/\/github\.com\/heroku\/heroku-buildpack-nodejs(\.git)?(#.*)?$/, 'nodejs'],
  [/^https:\/\/github\.com\/heroku\/heroku-buildpack-python(\.git)?(#.*)?$/, 'python'],
  [/^https:\/\/buildpack-registry\.s3\.amazonaws\.com\/buildpacks\/heroku\/nodejs\.tgz$/, 'nodejs'],
  [/^https:\/\/buildpack-registry\.s3\.amazonaws\.com\/buildpacks\/heroku\/python\.tgz$/, 'python'],
];

/** The bundled buildpacks in auto-detect order. */
export function bundledBuildpacks(): ResolvedBuildpack[] {
  return [
    { url: 'heroku/nodejs', name: 'heroku/nodejs', dir: join(BUNDLED_DIR, 'nodejs') },
    { url: 'heroku/python', name: 'heroku/python', dir: join(BUNDLED_DIR, 'python') },
  ];
}

/**
 * The buildpack registry's blob URL for a registry name (`heroku/nodejs`), for the bundled buildpacks only: Heroku's own
 * URL, which resolves back to the bundled copy above, so `heroku buildpacks:add heroku/nodejs` pins it offline.
 */
export function registryBlobUrl(slug: string): string | undefined {
  const bundled = bundledBuildpacks().find((buildpack) => buildpack.name === slug);
  return bundled && `https://buildpack-registry.s3.amazonaws.com/buildpacks/${bundled.name}.tgz`;
}

/** Checks the classic API's shape: bin/detect and bin/compile must be there and executable. */
export async function checkBuildpackDir(dir: string, ref: string): Promise<void> {
  for (const script of ['bin/compile', 'bin/detect']) {
    const path = join(dir, script);
    try {
      await stat(path);
    } catch {
      throw new BuildpackError(`Buildpack ${ref} has no ${script}; it is not a classic Heroku buildpack.`);
    }
    try {
      await access(path, constants.X_OK);
    } catch {
      throw new BuildpackError(`Buildpack ${ref}: ${script} is not executable (chmod +x ${script}).`);
    }
  }
}

export interface ResolveOptions {
  /** Where fetched buildpacks are kept between builds. */
  readonly cacheDir: string;
  /**
   * Checks every entry of a fetched tarball before tar unpacks it (untrusted, like any source) and says whether all
   * entries sit in one top-level directory. The build passes the source checker in; this room needs no other.
   */
  readonly inspectArchive: (file: string) => Promise<{ readonly root: string | undefined }>;
  /**
   * The reference comes from the app's source (`.buildpacks`), which anyone who can push writes: it may name only
   * bundled buildpacks and remote URLs, never a path on this machine, `file://` or a loopback address.
   */
  readonly fromSource?: boolean;
  /** The most bytes a buildpack tarball download may have; more fails the fetch. */
  readonly maxDownloadBytes?: number;
}

/** A classic buildpack is a few MiB; a download this large is not one. */
export const MAX_BUILDPACK_DOWNLOAD_BYTES = 100 * 1024 * 1024;

export async function resolveBuildpack(ref: string, options: ResolveOptions): Promise<ResolvedBuildpack> {
  const trimmed = ref.trim();
  for (const [pattern, bundled] of BUNDLED) {
    if (pattern.test(trimmed)) {
      const dir = join(BUNDLED_DIR, bundled);
      await checkBuildpackDir(dir, trimmed);
      return { url: trimmed, name: `heroku/${bundled}`, dir };
    }
  }
  if (options.fromSource === true) checkSourceReference(trimmed);
  if (trimmed.startsWith('/') || trimmed.startsWith('file://')) {
    const dir = trimmed.startsWith('file://') ? fileURLToPath(trimmed) : trimmed;
    await checkBuildpackDir(dir, trimmed);
    return { url: trimmed, name: trimmed, dir };
  }
  if (!/^https?:\/\//.test(trimmed)) {
    throw new BuildpackError(
      `Buildpack ${trimmed} is not known here: use heroku/nodejs, heroku/python, a local path, or an https tarball or git URL.`,
    );
  }
  const dir = join(options.cacheDir, createHash('sha256').update(trimmed).digest('hex').slice(0, 24));
  try {
    await stat(join(dir, 'bin'));
  } catch {
    await fetchBuildpack(trimmed, dir, options.inspectArchive, options.maxDownloadBytes ?? MAX_BUILDPACK_DOWNLOAD_BYTES);
  }
  await checkBuildpackDir(dir, trimmed);
  return { url: trimmed, name: trimmed, dir };
}

/** `.buildpacks` entries: bundled names (handled before this) and remote http(s) URLs only. */
function checkSourceReference(ref: string): void {
  const refuse = (why: string): never => {
    throw new BuildpackError(`Buildpack ${ref} in .buildpacks is not allowed: ${why}. Name heroku/nodejs, heroku/python or a remote URL.`);
  };
  if (!/^https?:\/\//.test(ref)) refuse('a source may not name a path or file:// URL on this machine');
  let host: string;
  try {
    host = new URL(ref).hostname;
  } catch {
    return refuse('it is not a URL');
  }
  if (isLoopbackHost(host)) refuse('it names this machine');
}

/** localhost, *.localhost, 127.0.0.0/8, 0.0.0.0, ::1, :: and their IPv4-mapped forms. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = host.replace(/^::ffff:/, '');
  if (/^127\.\d+\.\d+\.\d+$/.test(v4) || v4 === '0.0.0.0' || v4 === '0') return true;
  // WHATWG URL parsing already turned 0x7f.1, 2130706433 and the like into dotted quads.
  return host === '::1' || host === '::' || host === '0:0:0:0:0:0:0:1' || host === '::ffff:7f00:1';
}

class DownloadTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
  }
}

/** Fails once more than `limit` bytes went through. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new DownloadTooLarge(limit));
      else callback(null, chunk);
    },
  });
}

function mebibytes(bytes: number): string {
  return String(Math.round((bytes / (1024 * 1024)) * 100) / 100);
}

/** Streams the body to `file` through the byte limit: the daemon never holds a download in memory. */
async function download(url: string, file: string, limit: number): Promise<void> {
  const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > limit) {
    await response.body.cancel();
    throw new DownloadTooLarge(limit);
  }
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), byteLimit(limit), createWriteStream(file));
}

async function fetchBuildpack(
  url: string,
  dir: string,
  inspectArchive: ResolveOptions['inspectArchive'],
  maxDownloadBytes: number,
): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  // Unique per fetch: two builds fetching the same URL at once must not unpack into (or delete) each other's files.
  const temp = `${dir}.${randomUUID()}.tmp`;
  const [base = url, ref] = url.split('#');
  try {
    if (/\.(tgz|tar\.gz|tar)$/.test(base)) {
      await mkdir(temp, { recursive: true });
      const archive = `${temp}.tgz`;
      try {
        await download(base, archive, maxDownloadBytes);
        // Untrusted like any source: every entry is checked before tar unpacks it. An archive that is refused is not a
        // network problem: say what is wrong with it, without the offline hint.
        const inspection = await inspectArchive(archive).catch((error: unknown) => {
          throw new BuildpackError(`Could not use buildpack ${url}: ${(error as Error).message}`);
        });
        const strip = inspection.root === undefined ? 0 : 1;
        await run('tar', ['-xf', archive, '-C', temp, '--no-same-owner', '--no-same-permissions', `--strip-components=${strip}`]);
      } finally {
        await rm(archive, { force: true });
      }
    } else {
      const args = ['clone', '--depth', '1', ...(ref ? ['--branch', ref] : []), '--', base, temp];
      await run('git', args, { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, timeout: 120_000 });
    }
    await rename(temp, dir).catch(async (error: unknown) => {
      // Another fetch of the same URL finished first: its copy is as good as this one.
      const code = (error as { code?: string }).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(temp, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof DownloadTooLarge) {
      throw new BuildpackError(`Buildpack ${url} is too large: a buildpack download may have at most ${mebibytes(error.limit)} MiB.`);
    }
    if (error instanceof BuildpackError) throw error;
    const detail = (error as { stderr?: string }).stderr?.trim().split('\n').pop() ?? (error as Error).message;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new BuildpackError(`Could not fetch buildpack ${url}: ${cause ?? detail}. Is the machine offline?`);
  }
}
