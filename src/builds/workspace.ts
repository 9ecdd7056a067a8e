// The build container: one per build, from the build stack image, laid out as Heroku's slug compiler lays it out
// (DESIGN.md "Builds as on Heroku"): the source at /tmp/build_<id>, a per-app cache volume at /tmp/cache, config
// vars one file each in /tmp/env, writable copies of the buildpacks under /tmp/buildpacks, and an empty /app.
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pack as packDir } from 'tar-fs';
import { pack } from 'tar-stream';
import type { ConfigVars } from '../contracts/records.js';
import type { ResolvedBuildpack } from '../buildpacks/index.js';
import { containerName, type Runtime } from '../runtime/index.js';
import { BuildFailure } from './failure.js';

export const CACHE_DIR = '/tmp/cache';
export const ENV_DIR = '/tmp/env';
export const BUILDPACKS_DIR = '/tmp/buildpacks';
/** Host-wide downloads (Node.js binaries and package managers), shared by every build of every app. */
export const NODE_DIST_CACHE = '/var/cache/berth/node';
export const NODE_DIST_VOLUME = 'berth-node-dist';

/**
 * The most a build reads into the daemon's memory from one command (a Procfile, `.buildpacks`, bin/detect's or
 * bin/release's stdout): a few KiB in practice; without a cap a 2 GB Procfile cost the daemon 2 GB.
 */
export const CAPTURE_LIMIT_BYTES = 1024 * 1024;

/** Capabilities a build does not need, taken from Docker's default set (see DYNO_CAP_DROP in dynos/launch.ts). */
const BUILD_CAP_DROP = ['NET_RAW', 'NET_BIND_SERVICE', 'MKNOD', 'SYS_CHROOT', 'AUDIT_WRITE', 'SETFCAP', 'SETPCAP'];

export function cacheVolume(appId: string): string {
  return `berth-cache-${appId}`;
}

/** What one build container may use: memory in bytes (no swap beyond it) and processes; undefined: no limit. */
export interface BuildContainerLimits {
  readonly memoryBytes?: number;
  readonly pidsLimit?: number;
}

export interface WorkspaceSpec {
  readonly runtime: Runtime;
  readonly image: string;
  readonly appId: string;
  readonly appName: string;
  readonly buildId: string;
  /** Extra binds (the host CA bundle). */
  readonly binds: readonly string[];
  readonly limits?: BuildContainerLimits;
}

export interface InstalledBuildpack extends ResolvedBuildpack {
  /** Where the writable copy sits inside the container. */
  readonly path: string;
}

export class Workspace {
  readonly buildDir: string;
  readonly #runtime: Runtime;
  readonly #id: string;

  private constructor(runtime: Runtime, id: string, buildId: string) {
    this.#runtime = runtime;
    this.#id = id;
    this.buildDir = `/tmp/build_${buildId}`;
  }

  static async open(spec: WorkspaceSpec): Promise<Workspace> {
    const volume = cacheVolume(spec.appId);
    await spec.runtime.ensureVolume(volume, { 'berth.app': spec.appId, 'berth.cache': 'build' });
    await spec.runtime.ensureVolume(NODE_DIST_VOLUME, { 'berth.cache': 'node-dist' });
    const id = await spec.runtime.start({
      image: spec.image,
      name: containerName(spec.appName, `build-${spec.buildId.slice(0, 8)}`),
      // The container only hosts the phases, each run with exec; it never does anything itself.
      cmd: ['sleep', 'infinity'],
      labels: { app: spec.appId, role: 'build', release: spec.buildId },
      binds: [`${volume}:${CACHE_DIR}`, `${NODE_DIST_VOLUME}:${NODE_DIST_CACHE}`, ...spec.binds],
      // Builds run the app's own scripts on the host's network: no sniffing loopback, no privileged ports, no setuid.
      capDrop: BUILD_CAP_DROP,
      noNewPrivileges: true,
      // An app's build (its npm scripts, a fork bomb) cannot take the machine's memory or process table.
      memoryBytes: spec.limits?.memoryBytes,
      pidsLimit: spec.limits?.pidsLimit,
    });
    const workspace = new Workspace(spec.runtime, id, spec.buildId);
    const code = await workspace.exec(['mkdir', '-p', '/app', ENV_DIR, BUILDPACKS_DIR]);
    if (code !== 0) throw new Error('could not prepare the build container');
    return workspace;
  }

  get containerId(): string {
    return this.#id;
  }

  exec(cmd: readonly string[], options: { env?: Readonly<Record<string, string>>; stdout?: Writable; stderr?: Writable } = {}): Promise<number> {
    return this.#runtime.exec(this.#id, { cmd, ...options });
  }

  /**
   * Runs a command and collects its stdout (stderr goes to `stderr` when given). More than CAPTURE_LIMIT_BYTES of it
   * fails the build with a line naming `what`; the rest of the output is drained and dropped.
   */
  async capture(
    cmd: readonly string[],
    options: { what: string; env?: Readonly<Record<string, string>>; stderr?: Writable },
  ): Promise<{ code: number; stdout: string }> {
    const { what, ...execOptions } = options;
    const chunks: Buffer[] = [];
    let bytes = 0;
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes <= CAPTURE_LIMIT_BYTES) chunks.push(c);
    });
    const code = await this.exec(cmd, { ...execOptions, stdout: sink, stderr: options.stderr ?? new PassThrough().resume() });
    if (bytes > CAPTURE_LIMIT_BYTES) throw new BuildFailure([`${what} is too large: a build reads at most 1 MiB of it.`]);
    return { code, stdout: Buffer.concat(chunks).toString('utf8') };
  }

  /** Unpacks a tar whose entries start with `build_<id>/` into /tmp. */
  async putSource(tar: Readable): Promise<void> {
    await this.#runtime.putArchive(this.#id, '/tmp', tar);
  }

  /** ENV_DIR: one file per config var, named after it, holding its value (the classic buildpack API). */
  async putEnv(config: ConfigVars): Promise<void> {
    const tar = pack();
    for (const [name, value] of Object.entries(config)) tar.entry({ name: `env/${name}`, mode: 0o644 }, value);
    tar.finalize();
    await this.#runtime.putArchive(this.#id, '/tmp', tar as unknown as Readable);
  }

  /** Copies each buildpack in, writable, as /tmp/buildpacks/<n>-<name>, keeping file modes. */
  async putBuildpacks(buildpacks: readonly ResolvedBuildpack[]): Promise<InstalledBuildpack[]> {
    const tar = pack();
    // The engine reads the tar while it is being written: a pack that nobody drains stops at its buffer's size.
    const unpacked = this.#runtime.putArchive(this.#id, '/tmp', tar as unknown as Readable);
    const installed: InstalledBuildpack[] = [];
    try {
      for (const [index, buildpack] of buildpacks.entries()) {
        const slug = buildpack.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(-40) || 'buildpack';
        const folder = `${String(index + 1).padStart(2, '0')}-${slug}`;
        installed.push({ ...buildpack, path: `${BUILDPACKS_DIR}/${folder}` });
        await new Promise<void>((resolve, reject) => {
          const stream = packDir(buildpack.dir, {
            pack: tar as never,
            finalize: false,
            // A fetched git buildpack's history is of no use to the build.
            ignore: (name) => name.includes('/.git/') || name.endsWith('/.git'),
            map: (header) => ({ ...header, name: `buildpacks/${folder}/${header.name}`, uid: 0, gid: 0 }),
            finish: () => resolve(),
          });
          (stream as unknown as Readable).on('error', reject);
        });
      }
      tar.finalize();
    } catch (error) {
      tar.destroy(error as Error);
      await unpacked.catch(() => undefined);
      throw error;
    }
    await unpacked;
    return installed;
  }

  /** A tar of the compiled build directory, entries named `build_<id>/...`. */
  getBuildDir(): Promise<Readable> {
    return this.#runtime.getArchive(this.#id, this.buildDir);
  }

  #closed: Promise<void> | undefined;

  /** Removes the container; safe to call more than once (a timeout and the phase's own cleanup both do). */
  close(): Promise<void> {
    this.#closed ??= this.#runtime.remove(this.#id);
    return this.#closed;
  }
}
