// The slug compiler: detect → compile → release → slug, each a phase with explicit inputs and outputs (the CNB
// lifecycle's shape), run in one build container. It knows nothing of apps' releases or dynos: it turns a source
// tarball into a slug and reports what it printed.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { ConfigVars, ProcessTypes } from '../contracts/records.js';
import { bundledBuildpacks, BuildpackError, resolveBuildpack, type ResolvedBuildpack } from '../buildpacks/index.js';
import type { ContainerTrust, Runtime } from '../runtime/index.js';
import { inspectSource, repackSource, SourceArchiveError, type SourceLimits } from '../sources/index.js';
import { compile } from './compile.js';
import { detectAuto, detectExplicit, parseBuildpacksFile, type DetectedBuildpack } from './detect.js';
import { BuildFailure } from './failure.js';
import { discoverProcessTypes } from './process-types.js';
import { makeSlug, slugSizeText } from './slug.js';
import { CAPTURE_LIMIT_BYTES, Workspace, type BuildContainerLimits } from './workspace.js';

export interface CompilerOptions {
  readonly runtime: Runtime;
  readonly stack: string;
  readonly buildImage: string;
  readonly runImage: string;
  readonly trust: ContainerTrust;
  readonly buildpackCacheDir: string;
  readonly slugDir: string;
  readonly slugMaxBytes: number;
  readonly compressionLevel: number;
  readonly sourceLimits: SourceLimits;
  /** Memory and PIDs of every build container (BERTH_BUILD_MEMORY_MB, BERTH_BUILD_PIDS_LIMIT). */
  readonly containerLimits: BuildContainerLimits;
  /** BERTH_NPM_REGISTRY: builds get it as NPM_CONFIG_REGISTRY, which an app's own config var of that name overrides. */
  readonly npmRegistry?: string | undefined;
}

export interface CompileJob {
  readonly appId: string;
  /** For container names (`berth-<app>-build-…`); labels carry the app's id. */
  readonly appName: string;
  readonly buildId: string;
  /** The source tarball on this machine. */
  readonly sourceFile: string;
  readonly sourceVersion: string | null;
  readonly config: ConfigVars;
  /** Buildpacks the app or the build request names; empty means `.buildpacks`, BUILDPACK_URL, then auto-detect. */
  readonly buildpacks: readonly string[];
  readonly signal: AbortSignal;
}

export interface CompiledSlug {
  readonly slugId: string;
  readonly blobPath: string;
  readonly checksum: string;
  readonly size: number;
  readonly image: string;
  readonly processTypes: ProcessTypes;
  readonly buildpacks: readonly DetectedBuildpack[];
  readonly addons: readonly string[];
  /**
   * The build container's removal, still under way: removing a compiled tree takes seconds, which the release and the
   * dynos' start need not wait for. Settles without throwing.
   */
  readonly cleanup: Promise<void>;
}

/** Why an aborted build ended: the reason given (a shutdown), or Heroku's timeout line. */
function timedOut(signal: AbortSignal, language: string): BuildFailure {
  const reason: unknown = signal.reason;
  return reason instanceof BuildFailure ? reason : new BuildFailure([`Timed out compiling ${language} (${String(reason)})`]);
}

function stackTitle(stack: string): string {
  return stack.replace(/^heroku/, 'Heroku');
}

/** A fetched buildpack tarball is checked like a source, with room for large buildpacks. */
const BUILDPACK_ARCHIVE_LIMITS: SourceLimits = { maxBytes: 512 * 1024 * 1024, maxEntries: 100_000 };

export class SlugCompiler {
  readonly #options: CompilerOptions;

  constructor(options: CompilerOptions) {
    this.#options = options;
  }

  /** Throws BuildFailure (its lines are for the user) or, on a platform fault, any other error. */
  async compile(job: CompileJob, out: Writable): Promise<CompiledSlug> {
    const options = this.#options;
    const inspection = await inspectSource(job.sourceFile, options.sourceLimits, job.signal).catch((error: unknown) => {
      if (job.signal.aborted) throw timedOut(job.signal, 'app');
      if (error instanceof SourceArchiveError) throw new BuildFailure([error.message]);
      throw error;
    });
    out.write(`-----> Building on the ${stackTitle(options.stack)} stack\n`);

    const workspace = await Workspace.open({
      runtime: options.runtime,
      image: options.buildImage,
      appId: job.appId,
      appName: job.appName,
      buildId: job.buildId,
      binds: options.trust.binds,
      limits: options.containerLimits,
    });
    // A timeout removes the container under the running phase, which then fails; the catch below says why.
    const abort = () => void workspace.close().catch(() => undefined);
    let language = 'app';
    job.signal.addEventListener('abort', abort, { once: true });
    try {
      // Stopped while the container was being made: the listener above is too late to hear it.
      job.signal.throwIfAborted();
      const prefix = workspace.buildDir.slice('/tmp/'.length);
      await workspace.putSource(repackSource(job.sourceFile, { prefix, inspection, limits: options.sourceLimits }));
      await workspace.putEnv(job.config);

      const { references, fromSource } = await this.#references(job, workspace);
      const resolved = await this.#resolve(references, fromSource, out);
      const installed = await workspace.putBuildpacks(resolved);
      let detected: DetectedBuildpack[];
      if (references.length === 0) {
        out.write('-----> Determining which buildpack to use for this app\n');
        detected = [await detectAuto(workspace, installed, out)];
      } else {
        if (installed.length === 1) out.write(`-----> Using buildpack: ${installed[0]?.name}\n`);
        else {
          out.write('-----> Using buildpacks:\n');
          installed.forEach((bp, i) => out.write(`       ${i + 1}. ${bp.name}\n`));
        }
        detected = await detectExplicit(workspace, installed, out);
      }
      language = `${detected[0]?.language ?? 'app'} app`;
      out.write(`-----> ${detected[0]?.language} app detected\n`);

      // Heroku CI's apps carry HEROKU_TEST_RUN_ID (only a test run sets it): their build follows the CI contract.
      await compile(workspace, detected, this.#compileEnv(job), out, job.config['HEROKU_TEST_RUN_ID'] !== undefined);
      const { processTypes, release } = await discoverProcessTypes(workspace, detected, out);

      out.write('-----> Compressing...\n');
      const slugId = randomUUID();
      const blobPath = `${options.slugDir}/${job.appId}/${slugId}.tgz`;
      const artifact = await makeSlug({
        runtime: options.runtime,
        buildDirTar: await workspace.getBuildDir(),
        blobPath,
        runImage: options.runImage,
        image: `berth/slug:${slugId}`,
        appId: job.appId,
        appName: job.appName,
        slugId,
        compressionLevel: options.compressionLevel,
      });
      if (artifact.size > options.slugMaxBytes) {
        await rm(blobPath, { force: true });
        await options.runtime.removeImage(artifact.image);
        throw new BuildFailure([
          `Compiled slug size: ${slugSizeText(artifact.size)} is too large (max is ${slugSizeText(options.slugMaxBytes)}).`,
          'See: http://devcenter.heroku.com/articles/slug-size',
        ]);
      }
      out.write(`       Done: ${slugSizeText(artifact.size)}\n`);
      job.signal.removeEventListener('abort', abort);
      const cleanup = workspace.close().catch(() => undefined);
      return { slugId, blobPath, ...artifact, processTypes, buildpacks: detected, addons: release.addons, cleanup };
    } catch (error) {
      job.signal.removeEventListener('abort', abort);
      await workspace.close();
      if (job.signal.aborted) throw timedOut(job.signal, language);
      throw error;
    }
  }

  /** The buildpack references, and whether they come from the source (`.buildpacks`, written by whoever pushes). */
  async #references(job: CompileJob, workspace: Workspace): Promise<{ references: string[]; fromSource: boolean }> {
    if (job.buildpacks.length > 0) return { references: [...job.buildpacks], fromSource: false };
    const file = await workspace.capture(
      ['bash', '-c', `if [ -f "$1/.buildpacks" ]; then head -c ${CAPTURE_LIMIT_BYTES + 1} "$1/.buildpacks"; fi`, 'bp', workspace.buildDir],
      { what: 'The .buildpacks file' },
    );
    const listed = parseBuildpacksFile(file.stdout);
    if (listed.length > 0) return { references: listed, fromSource: true };
    const url = job.config['BUILDPACK_URL'];
    return { references: url ? [url] : [], fromSource: false };
  }

  async #resolve(references: readonly string[], fromSource: boolean, out: Writable): Promise<ResolvedBuildpack[]> {
    if (references.length === 0) return bundledBuildpacks();
    const resolved: ResolvedBuildpack[] = [];
    for (const reference of references) {
      try {
        resolved.push(
          await resolveBuildpack(reference, {
            cacheDir: this.#options.buildpackCacheDir,
            inspectArchive: (file) => inspectSource(file, BUILDPACK_ARCHIVE_LIMITS),
            fromSource,
          }),
        );
      } catch (error) {
        if (error instanceof BuildpackError) {
          out.write(`-----> ${error.message}\n`);
          throw new BuildFailure([error.message]);
        }
        throw error;
      }
    }
    return resolved;
  }

  #compileEnv(job: CompileJob): Record<string, string> {
    return {
      ...this.#options.trust.env,
      STACK: this.#options.stack,
      SOURCE_VERSION: job.sourceVersion ?? '',
      HOME: '/app',
      REQUEST_ID: job.buildId,
      BERTH_NODE_DIST_CACHE: '/var/cache/berth/node',
      CURL_CONNECT_TIMEOUT: '30',
      CURL_TIMEOUT: '180',
      // The buildpack exports the app's NPM_CONFIG_* config vars over this, so an app's own registry wins.
      ...(this.#options.npmRegistry === undefined ? {} : { NPM_CONFIG_REGISTRY: this.#options.npmRegistry }),
    };
  }
}
