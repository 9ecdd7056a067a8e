// The port: everything Berth asks of a container engine, in Berth's words (DESIGN.md "One seam for the engine").
// Rooms depend on this interface only; `docker/` implements it on dockerode, `memory/` in memory for unit tests, and
// one contract suite (test/runtime/contract.ts) holds both to the same behaviour. Nothing engine-shaped leaks out.
import type { Readable, Writable } from 'node:stream';
import type { BerthLabels } from './labels.js';

export interface ImageInfo {
  readonly id: string;
  readonly ref: string;
  readonly sizeBytes: number;
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The image's ENTRYPOINT and CMD (exec form; a shell-form CMD reads `/bin/sh -c <text>`); null when unset. */
  readonly entrypoint?: readonly string[] | null;
  readonly cmd?: readonly string[] | null;
}

/** `docker build` of one Dockerfile (the classic builder: steps print as `Step 1/4 : FROM ...`). */
export interface ImageBuildSpec {
  /** The build context as a plain tar stream: the directory that holds the Dockerfile. */
  readonly context: Readable;
  /** The Dockerfile's path inside the context. */
  readonly dockerfile: string;
  /** The name the built image gets. */
  readonly ref: string;
  /** The stage of a multi-stage Dockerfile to stop at. */
  readonly target?: string;
  /** `--build-arg NAME=value`. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Labels the built image carries beside the Dockerfile's own. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Receives the engine's build output as it comes (steps, the steps' own output, `Successfully built`). Not ended. */
  readonly output?: Writable;
  /** Aborting stops the build; `buildImage` then rejects. */
  readonly signal?: AbortSignal;
  /** The memory each step's container may use (`docker build --memory`, swap included); absent: no limit. */
  readonly memoryBytes?: number;
}

/** The engine could not build the image: a step failed, or a Dockerfile it cannot read. The message is the engine's. */
export class ImageBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageBuildError';
  }
}

export interface ContainerSpec {
  readonly image: string;
  readonly cmd: readonly string[];
  readonly labels: BerthLabels;
  readonly env?: Readonly<Record<string, string>>;
  /** `host:container[:ro]` bind mounts; a `host` without a slash names a volume. */
  readonly binds?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
  readonly name?: string;
  /** Memory limit in bytes (dyno sizes): a process that goes past it is OOM-killed (`oomKilled`, exit 137). */
  readonly memoryBytes?: number;
  /** Labels beyond Berth's own (the instance scope). */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /** Run a tiny init as PID 1 (Docker's `--init`), so the process gets default signal handling as on Heroku. */
  readonly init?: boolean;
  /** Linux capabilities taken away from the engine's default set (`NET_RAW`, ...). */
  readonly capDrop?: readonly string[];
  /** No process in the container gains privileges through setuid binaries or file capabilities. */
  readonly noNewPrivileges?: boolean;
  /** Most processes and threads at once in the container. */
  readonly pidsLimit?: number;
}

export interface ContainerState {
  readonly running: boolean;
  readonly exitCode: number;
  readonly oomKilled: boolean;
}

export interface RunSpec extends ContainerSpec {
  /** Receives the container's stdout; stderr goes to `stderr` if given, else here too. Neither is ended. */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** Aborting kills and removes the container; `run` then resolves with the kill's exit code. */
  readonly signal?: AbortSignal;
}

export interface AttachedIo {
  /** Feeds the process's stdin; its end closes stdin. */
  readonly stdin: Readable;
  /** Receives stdout and stderr together (with a TTY, as a terminal shows them: `\r\n` line ends). Not ended. */
  readonly output: Writable;
  readonly tty: boolean;
  readonly columns?: number;
  readonly lines?: number;
  /** Called once the process has started. */
  readonly onStart?: () => void;
  /** Aborted when the peer went away (a dropped `heroku run`): nobody reads the output any more, so the process ends. */
  readonly signal?: AbortSignal;
}

/** What a running container uses (`log-runtime-metrics`), from the engine's stats. */
export interface ContainerUsage {
  /** Memory as `memoryBytes` counts it (RSS plus swap, cache excluded). */
  readonly memoryBytes: number;
  readonly rssBytes: number;
  /** Page cache (files read and written). */
  readonly cacheBytes: number;
  readonly swapBytes: number;
  /** Pages read in and written out so far (cgroup v1; 0 where the engine does not count them). */
  readonly pagesIn: number;
  readonly pagesOut: number;
  /** CPU time the container has used in all, in seconds. */
  readonly cpuSeconds: number;
}

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  /** The engine's state word: created, running, exited, ... */
  readonly state: string;
  readonly labels: BerthLabels;
}

export interface ExecSpec {
  readonly cmd: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** Feeds the command's stdin (`heroku run:inside`); its end closes stdin. Absent: no stdin. */
  readonly stdin?: Readable;
  /** A terminal for the command: stdout and stderr arrive together on `stdout`, with `\r\n` line ends. */
  readonly tty?: boolean;
  /** Aborted when the peer went away: the command is killed (the container keeps running). */
  readonly signal?: AbortSignal;
}

export interface CommitOptions {
  /** Dockerfile instructions for the new image (ENV, WORKDIR, LABEL, ...). */
  readonly changes?: readonly string[];
}

export interface ImportOptions {
  /** Dockerfile instructions applied on import (ENV, WORKDIR, CMD, LABEL, USER, ...). */
  readonly changes?: readonly string[];
}

export type ProcessSignal = 'SIGTERM' | 'SIGKILL' | 'SIGHUP' | 'SIGINT';

export interface Runtime {
  /** True when the engine answers. */
  ping(): Promise<boolean>;

  // Images
  /** The image named `ref` (or its id), or undefined when there is none. */
  imageInfo(ref: string): Promise<ImageInfo | undefined>;
  imageExists(ref: string): Promise<boolean>;
  /** `docker import`: a root filesystem tarball becomes a one-layer image named `ref`. */
  importRootfs(tar: Readable, ref: string, options?: ImportOptions): Promise<ImageInfo>;
  /** Removes the image; nothing happens when it is not there. */
  removeImage(ref: string): Promise<void>;
  /** Images carrying every given label (`key=value`, or `key` for any value). */
  listImages(labels: readonly string[]): Promise<ImageInfo[]>;
  /** Builds an image from a Dockerfile in a context tar; rejects with ImageBuildError when the build fails. */
  buildImage(spec: ImageBuildSpec): Promise<ImageInfo>;
  /** Gives the image `ref` (a name or an id) a second name `newRef`. */
  tagImage(ref: string, newRef: string): Promise<void>;
  /** Saves a container's filesystem as an image `ref` (one new layer on its image). */
  commit(id: string, ref: string, options?: CommitOptions): Promise<ImageInfo>;

  // Containers
  /**
   * Runs a container to completion: create, stream output, wait, remove. Resolves with the exit code; the container
   * is gone afterwards whatever happened.
   */
  run(spec: RunSpec): Promise<number>;
  /**
   * Runs a container attached to a terminal-like peer (`heroku run`). Resolves with the exit code; the container is
   * removed.
   */
  runAttached(spec: ContainerSpec, io: AttachedIo): Promise<number>;
  /** Creates a container without starting it (a slug is put into one, then committed as an image); returns its id. */
  create(spec: ContainerSpec): Promise<string>;
  /** Creates and starts a long-running container (dynos, build workspaces); returns its id. */
  start(spec: ContainerSpec): Promise<string>;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. A stopped container is fine. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Removes the container, killing it if it runs; nothing happens when it is already gone. */
  remove(id: string): Promise<void>;
  /** The container's state; a container that is gone reads as killed (not running, exit 137). */
  state(id: string): Promise<ContainerState>;
  /** Resolves when the container's main process exits (at once when it is not running). */
  wait(id: string): Promise<ContainerState>;
  /** Sends a signal to the container's main process; nothing happens when it is not running. */
  signal(id: string, signal: ProcessSignal): Promise<void>;
  /**
   * stdout and stderr interleaved, as a dyno's log shows them, from `sinceSeconds` (Unix time; 0: everything);
   * live until the container stops, then the stream ends.
   */
  follow(id: string, sinceSeconds?: number): Promise<Readable>;
  /**
   * Runs a command in a running container and resolves with its exit code. Output goes to `stdout`/`stderr` (stderr
   * falls back to stdout), which stay open afterwards.
   */
  exec(id: string, spec: ExecSpec): Promise<number>;
  /** Unpacks a tar stream into the container at `path` (which must exist). */
  putArchive(id: string, path: string, tar: Readable): Promise<void>;
  /** A tar stream of `path` inside the container; entries are named after the path's last segment. */
  getArchive(id: string, path: string): Promise<Readable>;
  /** Memory in use (RSS plus swap, cache excluded, as R14 and R15 count it), or undefined when it can't be read. */
  memoryBytes(id: string): Promise<number | undefined>;
  /** Memory and CPU use of a running container, or undefined when it can't be read (or the container is gone). */
  usage(id: string): Promise<ContainerUsage | undefined>;
  /**
   * Where the container's ports are reached: the address of the node it runs on (containers share their node's
   * network, so a dyno's `$PORT` is served there). One engine on this machine answers `127.0.0.1`; an engine of
   * several nodes (a swarm) answers the node's address. Undefined when the container is gone.
   */
  nodeAddress(id: string): Promise<string | undefined>;
  /** Berth's containers (running or not) whose labels match every given value. */
  listByLabel(match: Partial<BerthLabels>): Promise<ContainerSummary[]>;

  // Volumes
  /** A named volume (created once); volumes outlive containers: build caches live in them. */
  ensureVolume(name: string, labels?: Readonly<Record<string, string>>): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** Names of the volumes carrying every given label (`key=value`, or `key`). */
  listVolumes(labels: readonly string[]): Promise<string[]>;

  /**
   * What the container's processes changed in its filesystem beyond its image (`docker diff`: each changed path, its
   * parent directories included), running or stopped; nothing once the container is gone. What the engine put there
   * itself (mounted volumes and binds, its init) is not in it.
   */
  changes(id: string): Promise<ContainerChange[]>;
}

/** One path of a container's diff against its image. */
export interface ContainerChange {
  readonly path: string;
  readonly kind: 'added' | 'changed' | 'deleted';
}

/** `registry:5000/berth/heroku-24:run` → repo `registry:5000/berth/heroku-24`, tag `run`. */
export function splitRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/** The engine does not answer at all (as opposed to answering with an error). */
export class EngineUnavailableError extends Error {
  constructor(where: string) {
    super(`The Docker engine at ${where} does not answer. Run \`berth setup\` (npm test runs it first) to install and start one.`);
    this.name = 'EngineUnavailableError';
  }
}
