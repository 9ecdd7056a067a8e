// Buildpack references to directories on this machine. `heroku/nodejs` and `heroku/python` (and Heroku's own URLs
// for them) are the bundled ones, so apps that name the official buildpacks build offline. Local paths and file://
// are used in place; https tarballs and git URLs are fetched once into the data dir and reused.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
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
}

export async function resolveBuildpack(ref: string, options: ResolveOptions): Promise<ResolvedBuildpack> {
  const trimmed = ref.trim();
  for (const [pattern, bundled] of BUNDLED) {
    if (pattern.test(trimmed)) {
      const dir = join(BUNDLED_DIR, bundled);
      await checkBuildpackDir(dir, trimmed);
      return { url: trimmed, name: `heroku/${bundled}`, dir };
    }
  }
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
    await fetchBuildpack(trimmed, dir, options.inspectArchive);
  }
  await checkBuildpackDir(dir, trimmed);
  return { url: trimmed, name: trimmed, dir };
}

async function fetchBuildpack(url: string, dir: string, inspectArchive: ResolveOptions['inspectArchive']): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const temp = `${dir}.${process.pid}.tmp`;
  await rm(temp, { recursive: true, force: true });
  const [base = url, ref] = url.split('#');
  try {
    if (/\.(tgz|tar\.gz|tar)$/.test(base)) {
      await mkdir(temp, { recursive: true });
      const response = await fetch(base, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const archive = `${temp}.tgz`;
      await writeFile(archive, Buffer.from(await response.arrayBuffer()));
      try {
        const inspection = await inspectArchive(archive);
        const strip = inspection.root === undefined ? 0 : 1;
        await run('tar', ['-xf', archive, '-C', temp, '--no-same-owner', '--no-same-permissions', `--strip-components=${strip}`]);
      } finally {
        await rm(archive, { force: true });
      }
    } else {
      const args = ['clone', '--depth', '1', ...(ref ? ['--branch', ref] : []), '--', base, temp];
      await run('git', args, { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, timeout: 120_000 });
    }
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    const detail = (error as { stderr?: string }).stderr?.trim().split('\n').pop() ?? (error as Error).message;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new BuildpackError(`Could not fetch buildpack ${url}: ${cause ?? detail}. Is the machine offline?`);
  }
}
