// The image builder of the container stack: a source tarball with a heroku.yml becomes one image per process type,
// built by the local engine from the Dockerfiles the manifest names (heroku-containers.md §1-2). The source gets the
// slug compiler's tarball checks; each Dockerfile's directory is its build context. The engine cannot pull, so every
// FROM is settled before a build starts: heroku/heroku:24 and :24-build are Berth's stack images, an image the
// engine has is used as it is, and anything else fails at once, saying how to make it available.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ignore from 'ignore';
import { extract as extractDir, pack as packDir } from 'tar-fs';
import type { ProcessImage } from '../contracts/records.js';
import { ImageBuildError, type ImageInfo, type Runtime } from '../runtime/index.js';
import { inspectSource, repackSource, SourceArchiveError, type SourceLimits } from '../sources/index.js';
import { CONTAINER_LINES } from './container-lines.js';
import { dockerfileNeeds } from './dockerfile-needs.js';
import { BuildFailure } from './failure.js';
import { ManifestError, parseHerokuYml, type DockerBuild, type HerokuManifest } from './heroku-yml.js';

export interface ImageBuilderOptions {
  readonly runtime: Runtime;
  /** What `FROM heroku/heroku:24` and `FROM heroku/heroku:24-build` stand for when the engine has neither. */
  readonly stackImages: Readonly<Record<string, string>>;
  readonly sourceLimits: SourceLimits;
  /** The memory each build step may use (BERTH_BUILD_MEMORY_MB, as for the slug compiler's build containers). */
  readonly memoryBytes?: number;
}

export interface ImageBuildJob {
  readonly appId: string;
  readonly buildId: string;
  readonly sourceFile: string;
  /** A scratch directory for the unpacked source; removed afterwards. */
  readonly workDir: string;
  readonly signal: AbortSignal;
  /** What to build instead of the source's heroku.yml (`berth container:push`: one Dockerfile, one process type). */
  readonly manifest?: HerokuManifest;
}

export interface BuiltImages {
  readonly imageId: string;
  readonly processes: Readonly<Record<string, ProcessImage>>;
}

const MANIFEST = 'heroku.yml';
/** The label Berth's stack images carry (stack/images.ts). */
const STACK_LABEL = 'berth.stack';
/** Docker's words for a RUN step whose process was killed by SIGKILL, which is how the kernel's OOM killer ends it. */
const OOM_KILLED = /returned a non-zero code: 137\b/;

/** The image of one build.docker entry: Heroku names its temporary tags with 40 hex digits. */
function imageRef(buildId: string, build: DockerBuild): string {
  return `berth/image:${createHash('sha1').update(`${buildId}\0${build.dockerfile}\0${build.target ?? ''}`).digest('hex')}`;
}

/** A CMD as the command text a shell runs: a shell-form CMD is its text; an exec form is quoted word by word. */
export function commandText(cmd: readonly string[] | null | undefined): string | undefined {
  if (!cmd || cmd.length === 0) return undefined;
  if (cmd.length === 3 && cmd[0] === '/bin/sh' && cmd[1] === '-c') return cmd[2];
  return cmd.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Docker's human size (`543.7kB`): decimal units, four significant digits. */
function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${Number(value.toPrecision(4))}${units[unit]}`;
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

export class ImageBuilder {
  readonly #options: ImageBuilderOptions;

  constructor(options: ImageBuilderOptions) {
    this.#options = options;
  }

  /** Throws BuildFailure (its lines are for the user) or, on a platform fault, any other error. */
  async build(job: ImageBuildJob, out: Writable): Promise<BuiltImages> {
    const { sourceLimits } = this.#options;
    const inspection = await inspectSource(job.sourceFile, sourceLimits, job.signal).catch((error: unknown) => {
      if (error instanceof SourceArchiveError) throw new BuildFailure([error.message]);
      throw error;
    });
    // A container push names its Dockerfile itself: there is no app code to fetch a heroku.yml from.
    if (job.manifest === undefined) out.write(`${CONTAINER_LINES.fetching}\n\n`);
    const imageId = randomUUID();
    const root = join(job.workDir, 'app');
    await rm(job.workDir, { recursive: true, force: true });
    await mkdir(job.workDir, { recursive: true });
    try {
      // The checked entries only (no .slugignore: that is for slugs), unpacked where the Dockerfiles can be read.
      const tree = repackSource(job.sourceFile, { prefix: 'app', inspection: { ...inspection, slugignore: undefined }, limits: sourceLimits });
      await pipeline(tree, extractDir(job.workDir) as unknown as NodeJS.WritableStream);
      const manifest = job.manifest ?? (await this.#manifest(root));
      const built = new Map<string, ImageInfo>();
      // Two types naming the same Dockerfile and target share one image.
      const byRef = new Map<string, ImageInfo>();
      for (const [type, build] of manifest.docker) {
        const ref = imageRef(job.buildId, build);
        out.write(`${CONTAINER_LINES.building(type, build.dockerfile)}\n`);
        const info = byRef.get(ref) ?? (await this.#buildOne(job, root, type, build, manifest, ref, imageId, out));
        out.write('\n');
        byRef.set(ref, info);
        built.set(type, info);
      }
      for (const [type, build] of manifest.docker) {
        out.write(`${CONTAINER_LINES.pushing(type, build.dockerfile)}\n`);
        out.write(`${CONTAINER_LINES.stored((built.get(type) as ImageInfo).id)}\n\n`);
      }
      return { imageId, processes: processImages(manifest, built) };
    } catch (error) {
      // A failed build leaves none of its images behind (those of earlier process types included).
      for (const image of await this.#options.runtime.listImages([`berth.image=${imageId}`])) await this.#options.runtime.removeImage(image.id);
      throw error;
    } finally {
      await rm(job.workDir, { recursive: true, force: true });
    }
  }

  async #manifest(root: string): Promise<HerokuManifest> {
    const text = await readFile(join(root, MANIFEST), 'utf8').catch(() => undefined);
    if (text === undefined) throw new BuildFailure([], { raw: CONTAINER_LINES.noManifest });
    try {
      return parseHerokuYml(text);
    } catch (error) {
      if (error instanceof ManifestError) throw new BuildFailure([], { raw: CONTAINER_LINES.invalidManifest(error.issues) });
      throw error;
    }
  }

  async #buildOne(
    job: ImageBuildJob,
    root: string,
    type: string,
    build: DockerBuild,
    manifest: HerokuManifest,
    ref: string,
    imageId: string,
    out: Writable,
  ): Promise<ImageInfo> {
    const { runtime } = this.#options;
    const text = await readFile(join(root, build.dockerfile), 'utf8').catch(() => undefined);
    if (text === undefined) throw new BuildFailure([], { raw: [CONTAINER_LINES.noDockerfile(type, build.dockerfile)] });
    await this.#settleBaseImages(build.dockerfile, text, manifest.buildArgs);
    const context = build.context ?? posix.dirname(build.dockerfile);
    const contextDir = join(root, context);
    out.write(`Sending build context to Docker daemon  ${humanSize(await directorySize(contextDir))}\n`);
    const { memoryBytes } = this.#options;
    try {
      return await runtime.buildImage({
        context: contextTar(contextDir, await readFile(join(contextDir, '.dockerignore'), 'utf8').catch(() => undefined)),
        dockerfile: posix.relative(context, build.dockerfile),
        ref,
        ...(build.target !== undefined ? { target: build.target } : {}),
        buildArgs: manifest.buildArgs,
        labels: { 'berth.app': job.appId, 'berth.image': imageId },
        output: out,
        signal: job.signal,
        ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      });
    } catch (error) {
      if (error instanceof ImageBuildError) {
        // A step killed by SIGKILL (137) under a memory limit was, as good as always, killed by the kernel for memory.
        const oom = memoryBytes !== undefined && OOM_KILLED.test(error.message) ? [CONTAINER_LINES.outOfMemory(type, memoryBytes)] : [];
        throw new BuildFailure([], { raw: [error.message, ...oom, CONTAINER_LINES.buildFailed(type, build.dockerfile)] });
      }
      throw error;
    }
  }

  /** Every FROM is on the engine before the build starts, or the build fails now (the engine would try to pull). */
  async #settleBaseImages(dockerfile: string, text: string, buildArgs: Readonly<Record<string, string>>): Promise<void> {
    const { runtime, stackImages } = this.#options;
    const needs = dockerfileNeeds(text, buildArgs);
    if (needs.unresolved.length > 0) throw new BuildFailure([], { raw: [CONTAINER_LINES.unresolvedFrom(dockerfile, needs.unresolved[0] as string)] });
    if (needs.urls.length > 0) throw new BuildFailure([], { raw: CONTAINER_LINES.addUrl(dockerfile, needs.urls[0] as string) });
    for (const image of needs.images) {
      const had = await runtime.imageInfo(image);
      const local = stackImages[image];
      const stack = local === undefined ? undefined : await runtime.imageInfo(local);
      // Berth's own tag (the image carries Berth's stack label) follows a rebuilt stack image; an image the user
      // loaded under that name is used as it is.
      if (stack !== undefined && (had === undefined || (had.id !== stack.id && had.labels[STACK_LABEL] !== undefined))) {
        await runtime.tagImage(local as string, image);
        continue;
      }
      if (had === undefined) throw new BuildFailure([], { raw: CONTAINER_LINES.missingImage(dockerfile, image) });
    }
  }
}

/** The context directory as a tar stream, without what its `.dockerignore` names (as the docker CLI leaves it out). */
function contextTar(dir: string, dockerignore: string | undefined): Readable {
  const ignored = dockerignore === undefined ? undefined : ignore().add(dockerignore);
  return packDir(dir, {
    ignore: (name) => {
      if (ignored === undefined) return false;
      const rel = posix.relative(dir, name);
      return rel !== '' && ignored.ignores(rel);
    },
  }) as unknown as Readable;
}

/**
 * Each process type's image and command: `run` entries (their own command, or their image's CMD), then every
 * build.docker type not named by `run` (its CMD), and the release phase from `release`.
 */
function processImages(manifest: HerokuManifest, built: ReadonlyMap<string, ImageInfo>): Record<string, ProcessImage> {
  const processes: Record<string, ProcessImage> = {};
  const add = (type: string, image: string, command: string | undefined) => {
    const info = built.get(image) as ImageInfo;
    const text = command ?? commandText(info.cmd);
    if (text === undefined) throw new BuildFailure([], { raw: [CONTAINER_LINES.noCommand(type)] });
    processes[type] = { image: info.ref, imageId: info.id, command: text, entrypoint: info.entrypoint ?? null };
  };
  for (const type of manifest.docker.keys()) {
    const run = manifest.run.get(type);
    if (run === undefined || run.image === type) add(type, type, run?.command);
  }
  for (const [type, run] of manifest.run) if (!(type in processes)) add(type, run.image, run.command);
  if (manifest.release) add('release', manifest.release.image, manifest.release.command);
  return processes;
}
