// The narrow seam between Berth and its container engine (DESIGN.md "One seam for the engine"):
// images, run-to-completion, start, stop, list by label, remove. Nothing Docker-shaped leaks out,
// so a Swarm or Kubernetes backend can implement the same methods later.
import { createHash } from 'node:crypto';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { Settings } from '../settings.js';
import { answers, describeEndpoint, dockerFor, endpointOf } from './connection.js';
import { fromDockerLabels, labelFilters, toDockerLabels, type BerthLabels } from './labels.js';

export interface ImageInfo {
  readonly id: string;
  readonly ref: string;
  readonly sizeBytes: number;
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ContainerSpec {
  readonly image: string;
  readonly cmd: readonly string[];
  readonly labels: BerthLabels;
  readonly env?: Readonly<Record<string, string>>;
  /** `host:container[:ro]` bind mounts. */
  readonly binds?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
  readonly name?: string;
  /** Memory limit in bytes (dyno sizes). */
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
  /** Receives the container's stdout; stderr goes to `stderr` if given, else here too. */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** Aborting kills and removes the container; `run` then resolves with the kill's exit code. */
  readonly signal?: AbortSignal;
}

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  /** Docker's state word: created, running, exited, ... */
  readonly state: string;
  readonly labels: BerthLabels;
}

export interface ExecSpec {
  readonly cmd: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
}

export interface CommitOptions {
  /** Dockerfile instructions for the new image (ENV, WORKDIR, LABEL, ...). */
  readonly changes?: readonly string[];
}

export interface ImportOptions {
  /** Dockerfile instructions applied on import (ENV, WORKDIR, CMD, LABEL, USER, ...). */
  readonly changes?: readonly string[];
}

const INSTANCE_LABEL = 'berth.instance';

export class EngineUnavailableError extends Error {
  constructor(where: string) {
    super(`The Docker engine at ${where} does not answer. Run \`berth setup\` (npm test runs it first) to install and start one.`);
    this.name = 'EngineUnavailableError';
  }
}

export class Runtime {
  /**
   * `instance` scopes every container this Runtime creates or lists (label `berth.instance`), so several Berths (a
   * developer's and a test's) can share one engine without one's recovery removing the other's containers.
   */
  constructor(
    private readonly docker: Docker,
    private readonly instance?: string,
  ) {}

  /** A Runtime on the engine the settings name; fails clearly when it does not answer. */
  static async connect(settings: Pick<Settings, 'dockerHost'> & Partial<Pick<Settings, 'dataDir'>>): Promise<Runtime> {
    const endpoint = endpointOf(settings);
    const docker = dockerFor(endpoint);
    if (!(await answers(docker))) throw new EngineUnavailableError(describeEndpoint(endpoint));
    const instance = settings.dataDir === undefined ? undefined : createHash('sha256').update(settings.dataDir).digest('hex').slice(0, 12);
    return new Runtime(docker, instance);
  }

  #scoped(spec: ContainerSpec): ContainerSpec {
    return this.instance === undefined ? spec : { ...spec, extraLabels: { ...spec.extraLabels, [INSTANCE_LABEL]: this.instance } };
  }

  async ping(): Promise<boolean> {
    return answers(this.docker);
  }

  async imageInfo(ref: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return {
        id: info.Id,
        ref,
        sizeBytes: info.Size,
        created: info.Created,
        labels: info.Config?.Labels ?? {},
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.imageInfo(ref)) !== undefined;
  }

  /** `docker import`: a root filesystem tarball becomes a one-layer image named `ref`. */
  async importRootfs(tar: Readable, ref: string, options: ImportOptions = {}): Promise<ImageInfo> {
    const { repo, tag } = splitRef(ref);
    const opts: Record<string, unknown> = { repo, tag };
    if (options.changes !== undefined && options.changes.length > 0) opts['changes'] = [...options.changes];
    const response = await this.docker.importImage(tar, opts);
    await this.followProgress(response);
    const info = await this.imageInfo(ref);
    if (info === undefined) throw new Error(`docker import finished but image ${ref} is missing`);
    return info;
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.docker.getImage(ref).remove({ force: true });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  /**
   * Runs a container to completion: create (host network, labels), stream output, wait, remove.
   * Resolves with the exit code; the container is gone afterwards whatever happened.
   */
  async run(spec: RunSpec): Promise<number> {
    const container = await this.docker.createContainer(createOptions(this.#scoped(spec), { attach: true }));
    const onAbort = (): void => {
      container.kill().catch(() => undefined);
    };
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const out = spec.stdout ?? new PassThrough().resume();
      const err = spec.stderr ?? spec.stdout ?? new PassThrough().resume();
      const ended = new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
      // Demux into fresh streams so ending the attach stream never ends the caller's writables.
      const demuxOut = new PassThrough();
      const demuxErr = new PassThrough();
      demuxOut.on('data', (chunk: Buffer) => out.write(chunk));
      demuxErr.on('data', (chunk: Buffer) => err.write(chunk));
      this.docker.modem.demuxStream(stream, demuxOut, demuxErr);
      if (spec.signal?.aborted) throw new Error('run aborted before start');
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      await container.start();
      const result = (await container.wait()) as { StatusCode: number };
      await ended;
      return result.StatusCode;
    } finally {
      spec.signal?.removeEventListener('abort', onAbort);
      await container.remove({ force: true }).catch((e: unknown) => {
        if (statusOf(e) !== 404) throw e;
      });
    }
  }

  /** Creates and starts a long-running container (dynos); returns its id. */
  async start(spec: ContainerSpec): Promise<string> {
    const container = await this.docker.createContainer(createOptions(this.#scoped(spec), { attach: false }));
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    return container.id;
  }

  /** SIGTERM, then SIGKILL after the grace period (Heroku: 30 s). */
  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (err) {
      // 304: already stopped; 404: already gone.
      const status = statusOf(err);
      if (status !== 304 && status !== 404) throw err;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (err) {
      // 404: already gone; 409: another removal of it is under way (a timeout and a cleanup racing).
      const status = statusOf(err);
      if (status !== 404 && status !== 409) throw err;
    }
  }

  /** Creates a container without starting it (a slug is put into one, then committed as an image). */
  async create(spec: ContainerSpec): Promise<string> {
    const container = await this.docker.createContainer(createOptions(this.#scoped(spec), { attach: false }));
    return container.id;
  }

  /**
   * Runs a command in a running container and resolves with its exit code. Output is demultiplexed into
   * `stdout`/`stderr` (stderr falls back to stdout), which stay open afterwards.
   */
  async exec(id: string, spec: ExecSpec): Promise<number> {
    const exec = await this.docker.getContainer(id).exec({
      Cmd: [...spec.cmd],
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = spec.stdout ?? new PassThrough().resume();
    const err = spec.stderr ?? spec.stdout ?? new PassThrough().resume();
    const demuxOut = new PassThrough();
    const demuxErr = new PassThrough();
    demuxOut.on('data', (chunk: Buffer) => out.write(chunk));
    demuxErr.on('data', (chunk: Buffer) => err.write(chunk));
    this.docker.modem.demuxStream(stream, demuxOut, demuxErr);
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    const info = await exec.inspect();
    return info.ExitCode ?? -1;
  }

  /** Unpacks a tar stream into the container at `path` (which must exist). */
  async putArchive(id: string, path: string, tar: Readable): Promise<void> {
    await this.docker.getContainer(id).putArchive(tar, { path });
  }

  /** A tar stream of `path` inside the container; entries are named after the path's last segment. */
  async getArchive(id: string, path: string): Promise<Readable> {
    return (await this.docker.getContainer(id).getArchive({ path })) as unknown as Readable;
  }

  /** Saves a container's filesystem as an image `ref` (one new layer on its image). */
  async commit(id: string, ref: string, options: CommitOptions = {}): Promise<ImageInfo> {
    const { repo, tag } = splitRef(ref);
    await this.docker.getContainer(id).commit({
      repo,
      tag,
      ...(options.changes !== undefined && options.changes.length > 0 ? { changes: [...options.changes] } : {}),
    });
    const info = await this.imageInfo(ref);
    if (info === undefined) throw new Error(`docker commit finished but image ${ref} is missing`);
    return info;
  }

  /** Images carrying every given label (`key=value`, or `key` for any value). */
  async listImages(labels: readonly string[]): Promise<ImageInfo[]> {
    const list = await this.docker.listImages({ filters: { label: [...labels] } });
    return list.map((image) => ({
      id: image.Id,
      ref: image.RepoTags?.[0] ?? image.Id,
      sizeBytes: image.Size,
      created: new Date(image.Created * 1000).toISOString(),
      labels: image.Labels ?? {},
    }));
  }

  /** A named volume (created once); volumes outlive containers: build caches live in them. */
  async ensureVolume(name: string, labels: Readonly<Record<string, string>> = {}): Promise<void> {
    try {
      await this.docker.getVolume(name).inspect();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      await this.docker.createVolume({ Name: name, Labels: { ...labels } });
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove({ force: true });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  async listVolumes(labels: readonly string[]): Promise<string[]> {
    const result = await this.docker.listVolumes({ filters: { label: [...labels] } });
    return (result.Volumes ?? []).map((v) => v.Name);
  }

  /**
   * Runs a container attached to a terminal-like peer (`heroku run`): `stdin` feeds the process, its output goes
   * to `output`. With `tty`, Docker allocates a pseudo-terminal of `columns` × `lines`. Resolves with the exit code;
   * the container is removed.
   */
  async runAttached(
    spec: ContainerSpec,
    io: { stdin: Readable; output: Writable; tty: boolean; columns?: number; lines?: number; onStart?: () => void; signal?: AbortSignal },
  ): Promise<number> {
    const options = createOptions(this.#scoped(spec), { attach: true });
    const container = await this.docker.createContainer({
      ...options,
      Tty: io.tty,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
    });
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as NodeJS.ReadWriteStream;
      const ended = new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
      if (io.tty) stream.on('data', (chunk: Buffer) => io.output.write(chunk));
      else {
        const demux = new PassThrough();
        demux.on('data', (chunk: Buffer) => io.output.write(chunk));
        this.docker.modem.demuxStream(stream, demux, demux);
      }
      await container.start();
      // The peer went away (a dropped `heroku run`): nobody will read the output, so the process ends.
      const onAbort = (): void => void container.kill().catch(() => undefined);
      if (io.signal?.aborted) onAbort();
      else io.signal?.addEventListener('abort', onAbort, { once: true });
      if (io.tty && io.columns && io.lines) await container.resize({ w: io.columns, h: io.lines }).catch(() => undefined);
      io.onStart?.();
      io.stdin.on('data', (chunk: Buffer) => stream.write(chunk));
      io.stdin.on('end', () => (stream as unknown as { end(): void }).end());
      const result = (await container.wait()) as { StatusCode: number };
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000))]);
      return result.StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  /** Resolves when the container's main process exits. */
  async wait(id: string): Promise<ContainerState> {
    try {
      await this.docker.getContainer(id).wait();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    return this.state(id);
  }

  async state(id: string): Promise<ContainerState> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return { running: info.State.Running, exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
    } catch (err) {
      if (statusOf(err) === 404) return { running: false, exitCode: 137, oomKilled: false };
      throw err;
    }
  }

  /** Sends a signal to the container's PID 1 (its init forwards it). */
  async signal(id: string, signal: 'SIGTERM' | 'SIGKILL' | 'SIGHUP' | 'SIGINT'): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (err) {
      const status = statusOf(err);
      if (status !== 404 && status !== 409 && status !== 304) throw err;
    }
  }

  /** stdout and stderr interleaved, as a dyno's log shows them; live until the container stops. */
  async follow(id: string, sinceSeconds = 0): Promise<Readable> {
    const raw = (await this.docker.getContainer(id).logs({
      follow: true,
      stdout: true,
      stderr: true,
      since: sinceSeconds,
    })) as unknown as Readable;
    const merged = new PassThrough();
    this.docker.modem.demuxStream(raw, merged, merged);
    raw.on('end', () => merged.end());
    raw.on('error', () => merged.end());
    return merged;
  }

  /** Memory in use (RSS plus swap, cache excluded, as R15 counts it), or undefined when it can't be read. */
  async memoryBytes(id: string): Promise<number | undefined> {
    try {
      const stats = (await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false })) as {
        memory_stats?: { usage?: number; stats?: Record<string, number> };
      };
      const usage = stats.memory_stats?.usage;
      if (usage === undefined) return undefined;
      const cache = stats.memory_stats?.stats?.['total_inactive_file'] ?? stats.memory_stats?.stats?.['inactive_file'] ?? 0;
      return Math.max(0, usage - cache);
    } catch {
      return undefined;
    }
  }

  /** Berth's containers (running or not) whose labels match every given value. */
  async listByLabel(match: Partial<BerthLabels>): Promise<ContainerSummary[]> {
    const filters = labelFilters(match);
    if (this.instance !== undefined) filters.push(`${INSTANCE_LABEL}=${this.instance}`);
    const list = await this.docker.listContainers({ all: true, filters: { label: filters } });
    const out: ContainerSummary[] = [];
    for (const c of list) {
      const labels = fromDockerLabels(c.Labels);
      if (labels === undefined) continue;
      out.push({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), image: c.Image, state: c.State, labels });
    }
    return out;
  }

  private followProgress(stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, events: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
          if (err) return reject(err);
          const failed = events.find((e) => e.error !== undefined);
          if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
          resolve();
        },
      );
    });
  }
}

function createOptions(spec: ContainerSpec, { attach }: { attach: boolean }): Docker.ContainerCreateOptions {
  return {
    Image: spec.image,
    Cmd: [...spec.cmd],
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { ...toDockerLabels(spec.labels), ...spec.extraLabels },
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    AttachStdout: attach,
    AttachStderr: attach,
    Tty: false,
    HostConfig: {
      // DESIGN.md "Networking: host network": dynos listen on loopback ports the router proxies to.
      NetworkMode: 'host',
      Binds: [...(spec.binds ?? [])],
      ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      ...(spec.init === true ? { Init: true } : {}),
      ...(spec.capDrop !== undefined && spec.capDrop.length > 0 ? { CapDrop: [...spec.capDrop] } : {}),
      ...(spec.noNewPrivileges === true ? { SecurityOpt: ['no-new-privileges:true'] } : {}),
      ...(spec.pidsLimit !== undefined ? { PidsLimit: spec.pidsLimit } : {}),
    },
  };
}

/** `registry:5000/berth/heroku-24:run` → repo `registry:5000/berth/heroku-24`, tag `run`. */
export function splitRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}
