// The Runtime port on Docker Swarm (DESIGN.md "One seam for the engine"). Dynos become one-replica swarm services on
// the host network of whichever node runs them, release phases and detached one-offs replicated jobs; everything that
// needs volumes or stays local (images, builds, commits, `create`, build workspaces, add-on servers, attached
// one-offs) stays on the manager's own engine, through a DockerRuntime on its socket. Images a service runs are pushed
// to the swarm's registry on first use and named by their registry ref, so every node pulls them.
//
// An id this runtime hands out is a swarm service id (25 characters) for a service, and a container id (64 hex) for
// a container on the manager. What needs the task's own engine (signals, exec, archives, memory and CPU readings,
// OOM kills, exact stop) goes to the engine of the task's node when BERTH_SWARM_ENGINES names it; otherwise stop and
// follow fall back to the swarm's API, memory readings read as unknown, and signal/exec/archives fail saying why.
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Settings } from '../../settings.js';
import { DockerRuntime } from '../docker/index.js';
import { dockerFor, endpointOf } from '../docker/connection.js';
import { fromDockerLabels, labelFilters, type BerthLabels } from '../labels.js';
import {
  EngineUnavailableError,
  type AttachedIo,
  type CommitOptions,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
  type ContainerChange,
  type ContainerUsage,
  type ExecSpec,
  type ImageBuildSpec,
  type ImageInfo,
  type ImportOptions,
  type ProcessSignal,
  type RunSpec,
  type Runtime,
} from '../port.js';
import { NODE_ADDRESS_LABEL } from './cluster.js';
import { startRegistry, type SupervisedRegistry } from './registry.js';
import { isTerminal, newestTask, pushedDigest, runsAsJob, runsAsService, serviceExists, serviceSpec, stateWord, type PushEvent, type Task } from './tasks.js';

export { copyImages, ensureLocalSwarm, enginesSetting, stopLocalSwarm, type LocalSwarm } from './cluster.js';
export { startRegistry, ensureRegistryPackage, type SupervisedRegistry } from './registry.js';

const GONE: ContainerState = { running: false, exitCode: 137, oomKilled: false };
/** Label on a service naming the image Berth asked for (its spec names the registry's copy). */
const IMAGE_LABEL = 'berth.image';
/** How long a new service's task may take to run (a first pull of a slug's layers on a fresh node included). */
const START_TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 100;

export interface SwarmRuntimeOptions {
  /** The manager's engine (`unix:///path/docker.sock`, `tcp://host:2375`). */
  readonly manager: string;
  /** `host:port` of the registry every node pulls from. */
  readonly registry: string;
  /** Node address → that node's engine, for what only the task's own engine can do. */
  readonly engines?: Readonly<Record<string, string>>;
  /** Scopes what this runtime creates and lists to one Berth (as DockerRuntime does). */
  readonly dataDir?: string;
}

/** `127.0.0.101=unix:///a.sock,127.0.0.102=unix:///b.sock` → a map (BERTH_SWARM_ENGINES). */
export function parseEngines(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

function isServiceId(id: string): boolean {
  return !/^[0-9a-f]{64}$/.test(id);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SwarmRuntime implements Runtime {
  readonly #docker: Docker;
  readonly #manager: DockerRuntime;
  readonly #registry: string;
  readonly #engines: ReadonlyMap<string, DockerRuntime>;
  /** Image id → its pushed registry ref, or the push under way. */
  readonly #pushed = new Map<string, Promise<string>>();
  readonly #nodeAddresses = new Map<string, string>();
  #registryProcess: SupervisedRegistry | undefined;

  private constructor(options: SwarmRuntimeOptions) {
    this.#docker = dockerFor(endpointOf({ dockerHost: options.manager }));
    this.#manager = DockerRuntime.at({ dockerHost: options.manager, ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}) });
    this.#registry = options.registry;
    this.#engines = new Map(Object.entries(options.engines ?? {}).map(([address, host]) => [address, DockerRuntime.at({ dockerHost: host })]));
  }

  /** A runtime on the swarm whose manager the options name; fails clearly when it does not answer or is no manager. */
  static async connect(options: SwarmRuntimeOptions): Promise<SwarmRuntime> {
    const runtime = new SwarmRuntime(options);
    if (!(await runtime.#manager.ping())) throw new EngineUnavailableError(runtime.#manager.where);
    const info = (await runtime.#docker.info()) as { Swarm?: { ControlAvailable?: boolean } };
    if (info.Swarm?.ControlAvailable !== true) {
      throw new Error(`The Docker engine at ${runtime.#manager.where} is not a swarm manager. Run \`berth setup --swarm\`, or point BERTH_SWARM_MANAGER at a manager.`);
    }
    return runtime;
  }

  /**
   * The daemon's swarm runtime (BERTH_RUNTIME=swarm): starts and supervises the registry (config and storage in
   * `<data>/registry`), then connects to the manager. `close()` stops the registry; the services keep running.
   */
  static async start(
    settings: Pick<Settings, 'dataDir' | 'swarmManager' | 'swarmRegistry' | 'swarmEngines'>,
    onRegistryRestart?: (code: number | null) => void,
  ): Promise<SwarmRuntime> {
    const registry = await startRegistry({ dir: join(settings.dataDir, 'registry'), address: settings.swarmRegistry, ...(onRegistryRestart !== undefined ? { onRestart: onRegistryRestart } : {}) });
    try {
      const runtime = await SwarmRuntime.connect({ manager: settings.swarmManager, registry: registry.address, engines: parseEngines(settings.swarmEngines), dataDir: settings.dataDir });
      runtime.#registryProcess = registry;
      return runtime;
    } catch (err) {
      await registry.stop();
      throw err;
    }
  }

  /** Stops what `start` started (the registry). */
  async close(): Promise<void> {
    await this.#registryProcess?.stop();
  }

  ping(): Promise<boolean> {
    return this.#manager.ping();
  }

  // Images, builds, commits and volumes: the manager's engine.
  imageInfo(ref: string): Promise<ImageInfo | undefined> {
    return this.#manager.imageInfo(ref);
  }
  imageExists(ref: string): Promise<boolean> {
    return this.#manager.imageExists(ref);
  }
  importRootfs(tar: Readable, ref: string, options?: ImportOptions): Promise<ImageInfo> {
    return this.#manager.importRootfs(tar, ref, options);
  }
  async removeImage(ref: string): Promise<void> {
    // The registry's copy stays in the registry (its blobs are shared with other slugs); the manager's tag goes.
    await this.#manager.removeImage(this.#registryRef(ref));
    await this.#manager.removeImage(ref);
    for (const [id, pushed] of this.#pushed) if ((await pushed.catch(() => '')).startsWith(`${this.#registryRef(ref)}@`)) this.#pushed.delete(id);
  }
  listImages(labels: readonly string[]): Promise<ImageInfo[]> {
    return this.#manager.listImages(labels);
  }
  buildImage(spec: ImageBuildSpec): Promise<ImageInfo> {
    return this.#manager.buildImage(spec);
  }
  tagImage(ref: string, newRef: string): Promise<void> {
    return this.#manager.tagImage(ref, newRef);
  }
  commit(id: string, ref: string, options?: CommitOptions): Promise<ImageInfo> {
    return this.#manager.commit(id, ref, options);
  }
  ensureVolume(name: string, labels?: Readonly<Record<string, string>>): Promise<void> {
    return this.#manager.ensureVolume(name, labels);
  }
  removeVolume(name: string): Promise<void> {
    return this.#manager.removeVolume(name);
  }
  listVolumes(labels: readonly string[]): Promise<string[]> {
    return this.#manager.listVolumes(labels);
  }

  /** `<registry>/<ref>`: the name every node pulls. */
  #registryRef(ref: string): string {
    return `${this.#registry}/${ref}`;
  }

  /** Pushes the manager's image `ref` to the registry once per image id; resolves with the registry ref pinned to the pushed digest. */
  async #publish(ref: string): Promise<string> {
    const info = await this.#manager.imageInfo(ref);
    if (info === undefined) throw new Error(`No such image: ${ref}`);
    const known = this.#pushed.get(info.id);
    if (known !== undefined) return known;
    const target = this.#registryRef(ref);
    const pushing = (async () => {
      await this.#manager.tagImage(ref, target);
      // The engine wants an X-Registry-Auth header even for a registry without auth.
      const stream = await this.#docker.getImage(target).push({ authconfig: {} } as Docker.ImagePushOptions);
      const digest = await new Promise<string>((resolve, reject) => {
        this.#docker.modem.followProgress(stream, (err: Error | null, events: PushEvent[]) => {
          const failed = err ?? events.find((e) => e.error !== undefined)?.error;
          if (failed !== undefined && failed !== null) return reject(new Error(`Pushing ${target} failed: ${String(failed)}`));
          const pushed = pushedDigest(events);
          if (pushed === undefined) reject(new Error(`Pushing ${target} failed: the registry named no digest`));
          else resolve(pushed);
        });
      });
      // Services name the digest of this push, not the tag: a tag overwritten in the registry is never run.
      return `${target}@${digest}`;
    })();
    this.#pushed.set(info.id, pushing);
    pushing.catch(() => this.#pushed.delete(info.id));
    return pushing;
  }

  async #createService(spec: ContainerSpec, mode: 'dyno' | 'job'): Promise<string> {
    const image = await this.#publish(spec.image);
    const created = await this.#docker.createService(serviceSpec(spec, image, { ...this.#manager.scopeLabels, [IMAGE_LABEL]: spec.image }, mode));
    return created.id;
  }

  /**
   * The node's address: its `berth.address` label when it has one (`berth setup --swarm` sets it: on one host every
   * worker's `Status.Addr` reads 127.0.0.1), else `Status.Addr`. Cached: a node keeps its address while in the swarm.
   */
  async #nodeAddress(nodeId: string): Promise<string | undefined> {
    const cached = this.#nodeAddresses.get(nodeId);
    if (cached !== undefined) return cached;
    try {
      const node = (await this.#docker.getNode(nodeId).inspect()) as { Spec?: { Labels?: Record<string, string> }; Status?: { Addr?: string } };
      const address = node.Spec?.Labels?.[NODE_ADDRESS_LABEL] ?? node.Status?.Addr;
      if (address !== undefined) this.#nodeAddresses.set(nodeId, address);
      return address;
    } catch {
      return undefined;
    }
  }

  /** The service's task, its container and the engine that runs it (when Berth knows that node's engine). */
  async #where(id: string): Promise<{ task: Task | undefined; containerId: string | undefined; engine: DockerRuntime | undefined }> {
    const task = await newestTask(this.#docker, id);
    const containerId = task?.Status?.ContainerStatus?.ContainerID;
    const address = task?.NodeID === undefined ? undefined : await this.#nodeAddress(task.NodeID);
    const engine = address === undefined ? undefined : this.#engines.get(address);
    return { task, containerId: containerId === '' ? undefined : containerId, engine };
  }

  async #engineFor(id: string, what: string): Promise<{ engine: DockerRuntime; containerId: string }> {
    const { task, containerId, engine } = await this.#where(id);
    if (engine !== undefined && containerId !== undefined) return { engine, containerId };
    const node = task?.NodeID === undefined ? 'its node' : `node ${(await this.#nodeAddress(task.NodeID)) ?? task.NodeID}`;
    throw new Error(`Cannot ${what} dyno ${id}: ${containerId === undefined ? 'it has no running container' : `${node}'s engine is not in BERTH_SWARM_ENGINES`}.`);
  }

  /** Waits for the service's task to have a container that ran (or runs), or fails with the swarm's reason. */
  async #started(id: string): Promise<Task> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const task = await newestTask(this.#docker, id);
      const state = task?.Status?.State;
      if (task !== undefined && task.Status?.ContainerStatus?.ContainerID && (state === 'running' || isTerminal(task))) return task;
      if (task !== undefined && (state === 'rejected' || (isTerminal(task) && !task.Status?.ContainerStatus?.ContainerID))) {
        throw new Error(`The swarm could not start the dyno: ${task.Status?.Err ?? state}`);
      }
      if (Date.now() > deadline) throw new Error(`The swarm did not start the dyno within ${START_TIMEOUT_MS / 1000}s (task ${state ?? 'not created'})`);
      // Placed on a node that has since left: a forced update gives the service a new task on a node that is up.
      if (task !== undefined && (await this.#nodeDown(task))) await this.#reschedule(id);
      await sleep(POLL_MS);
    }
  }

  async #reschedule(id: string): Promise<void> {
    const service = this.#docker.getService(id);
    const info = (await service.inspect()) as { Version: { Index: number }; Spec: Docker.ServiceSpec };
    const template = info.Spec.TaskTemplate as Docker.ContainerTaskSpec;
    await service.update({ ...info.Spec, version: info.Version.Index, TaskTemplate: { ...template, ForceUpdate: (template.ForceUpdate ?? 0) + 1 } });
  }

  async start(spec: ContainerSpec): Promise<string> {
    if (!runsAsService(spec)) return this.#manager.start(spec);
    // A release phase or a detached one-off runs once to its end: a replicated job. A formation dyno: a service.
    const id = await this.#createService(spec, spec.labels.role === 'dyno' ? 'dyno' : 'job');
    try {
      await this.#started(id);
    } catch (err) {
      await this.remove(id);
      throw err;
    }
    return id;
  }

  create(spec: ContainerSpec): Promise<string> {
    return this.#manager.create(spec);
  }

  /** Attached one-offs (`heroku run`) run on the manager's engine: a swarm task has no stdin to attach to. */
  runAttached(spec: ContainerSpec, io: AttachedIo): Promise<number> {
    return this.#manager.runAttached(spec, io);
  }

  /**
   * A replicated job: its output comes from the service's logs as it runs, completed at the end from the logs of the
   * finished task (a live stream may miss its last lines), and its exit code from the task's container status.
   */
  async run(spec: RunSpec): Promise<number> {
    if (!runsAsJob(spec)) return this.#manager.run(spec);
    const out = spec.stdout ?? new PassThrough().resume();
    const err = spec.stderr ?? spec.stdout ?? new PassThrough().resume();
    if (spec.signal?.aborted) throw new Error('run aborted before start');
    const id = await this.#createService(spec, 'job');
    const written = { out: 0, err: 0 };
    let live: NodeJS.ReadableStream | undefined;
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      live = await this.#docker.getService(id).logs({ follow: true, stdout: true, stderr: true });
      this.#demux(live, (chunk) => ((written.out += chunk.length), out.write(chunk)), (chunk) => ((written.err += chunk.length), err.write(chunk)));
      let task: Task | undefined;
      for (;;) {
        task = await newestTask(this.#docker, id);
        if (aborted || (task !== undefined && isTerminal(task))) break;
        await sleep(POLL_MS);
      }
      if (aborted) return 137;
      (live as Readable).destroy();
      const rest = await this.#logsOf(id);
      if (rest.out.length > written.out) out.write(rest.out.subarray(written.out));
      if (rest.err.length > written.err) err.write(rest.err.subarray(written.err));
      return task?.Status?.ContainerStatus?.ExitCode ?? 1;
    } finally {
      spec.signal?.removeEventListener('abort', onAbort);
      if (live !== undefined) (live as Readable).destroy();
      await this.remove(id);
    }
  }

  #demux(stream: NodeJS.ReadableStream, onOut: (chunk: Buffer) => void, onErr: (chunk: Buffer) => void): void {
    const outStream = new PassThrough();
    const errStream = new PassThrough();
    outStream.on('data', onOut);
    errStream.on('data', onErr);
    // Without a listener, an 'error' (a reset connection) is unhandled and stops the daemon; the output just ends.
    stream.on('error', () => {
      outStream.end();
      errStream.end();
    });
    this.#docker.modem.demuxStream(stream, outStream, errStream);
  }

  /** The whole log of a service's tasks so far, stdout and stderr apart. */
  async #logsOf(id: string): Promise<{ out: Buffer; err: Buffer }> {
    // Without `follow` the engine answers with the whole log at once (dockerode hands back a Buffer).
    const answer = (await this.#docker.getService(id).logs({ follow: false, stdout: true, stderr: true })) as NodeJS.ReadableStream | Buffer;
    const stream = Buffer.isBuffer(answer) ? new PassThrough().end(answer) : answer;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    await new Promise<void>((resolve) => {
      this.#demux(stream, (c) => out.push(c), (c) => err.push(c));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    return { out: Buffer.concat(out), err: Buffer.concat(err) };
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    if (!isServiceId(id)) return this.#manager.stop(id, graceSeconds);
    const { task, containerId, engine } = await this.#where(id);
    if (task === undefined || isTerminal(task)) return;
    if (engine !== undefined && containerId !== undefined) {
      const stopped = await engine.stop(containerId, graceSeconds).then(
        () => true,
        () => false,
      );
      if (stopped) return;
    }
    // No engine for the node: scale the service to nothing with the grace as its stop period, and wait.
    const service = this.#docker.getService(id);
    const info = (await service.inspect()) as { Version: { Index: number }; Spec: Docker.ServiceSpec };
    // A job cannot be scaled: removing it is the only way to end it.
    if (info.Spec.Mode?.Replicated === undefined) return this.remove(id);
    const template = info.Spec.TaskTemplate as Docker.ContainerTaskSpec;
    await service.update({
      ...info.Spec,
      version: info.Version.Index,
      Mode: { Replicated: { Replicas: 0 } },
      TaskTemplate: { ...template, ContainerSpec: { ...template.ContainerSpec, StopGracePeriod: graceSeconds * 1e9 } },
    });
    await this.#untilDone(id);
  }

  /** Resolves once the service's task ended, or its node left the swarm (down: its process is lost to Berth). */
  async #untilDone(id: string): Promise<Task | undefined> {
    for (;;) {
      const task = await newestTask(this.#docker, id);
      if (task === undefined || isTerminal(task) || (await this.#nodeDown(task))) return task;
      await sleep(POLL_MS);
    }
  }

  /** True when the task's node is down (stopped, or unreachable past the swarm's heartbeat). */
  async #nodeDown(task: Task): Promise<boolean> {
    if (task.NodeID === undefined) return false;
    try {
      const node = (await this.#docker.getNode(task.NodeID).inspect()) as { Status?: { State?: string } };
      return node.Status?.State === 'down';
    } catch {
      return true;
    }
  }

  async remove(id: string): Promise<void> {
    if (!isServiceId(id)) return this.#manager.remove(id);
    const { task, containerId, engine } = await this.#where(id);
    // Killing the container first makes whoever waits hear 137 at once; the service's removal then cleans up. A node
    // that left cannot be asked: the swarm removes the task's container when the node comes back.
    // An engine that does not answer (its node is going away) must not keep the service: it goes all the same.
    if (engine !== undefined && containerId !== undefined && task !== undefined && !(await this.#nodeDown(task))) await engine.remove(containerId).catch(() => undefined);
    await this.#docker
      .getService(id)
      .remove()
      .catch((e: unknown) => {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      });
  }

  async state(id: string): Promise<ContainerState> {
    if (!isServiceId(id)) return this.#manager.state(id);
    if (!(await serviceExists(this.#docker, id))) return GONE;
    const { task, containerId, engine } = await this.#where(id);
    // No task: not scheduled yet, or the service went meanwhile (its removal kills: 137).
    if (task === undefined) return (await serviceExists(this.#docker, id)) ? { running: false, exitCode: 0, oomKilled: false } : GONE;
    // A dyno on a node that left is lost: it reads as killed, and Berth's dyno manager starts it again elsewhere.
    if (await this.#nodeDown(task)) return GONE;
    // The node's engine knows at once (and knows OOM kills); the swarm's task status follows a moment later.
    const read = engine !== undefined && containerId !== undefined ? await engine.state(containerId).catch(() => undefined) : undefined;
    if (read !== undefined) return read;
    if (task.Status?.State === 'running') return { running: true, exitCode: 0, oomKilled: false };
    if (!isTerminal(task)) return { running: false, exitCode: 0, oomKilled: false };
    return { running: false, exitCode: task.Status?.ContainerStatus?.ExitCode ?? 137, oomKilled: false };
  }

  async wait(id: string): Promise<ContainerState> {
    if (!isServiceId(id)) return this.#manager.wait(id);
    const { containerId, engine } = await this.#where(id);
    // The engine's wait ends with the process, or fails when the node's engine goes away with its node: then the
    // swarm tells, once the task ends or the node is down.
    if (engine !== undefined && containerId !== undefined) await engine.wait(containerId).catch(() => undefined);
    const state = await this.state(id);
    if (!state.running) return state;
    await this.#untilDone(id);
    return this.state(id);
  }

  async signal(id: string, signal: ProcessSignal): Promise<void> {
    if (!isServiceId(id)) return this.#manager.signal(id, signal);
    const { task } = await this.#where(id);
    if (task === undefined || isTerminal(task)) return;
    const { engine, containerId } = await this.#engineFor(id, `send ${signal} to`);
    return engine.signal(containerId, signal);
  }

  async follow(id: string, sinceSeconds = 0): Promise<Readable> {
    if (!isServiceId(id)) return this.#manager.follow(id, sinceSeconds);
    const { containerId, engine } = await this.#where(id);
    if (engine !== undefined && containerId !== undefined) return engine.follow(containerId, sinceSeconds);
    // The swarm's service logs reach every node; they stay open for further tasks, so the stream ends with the task.
    const logs = await this.#docker.getService(id).logs({ follow: true, stdout: true, stderr: true, since: sinceSeconds });
    const out = new PassThrough();
    this.#demux(logs, (c) => out.write(c), (c) => out.write(c));
    // A reset connection ends the output rather than raising an unhandled 'error' that would stop the daemon.
    (logs as Readable).on('error', () => out.end());
    void this.#untilDone(id).then(async () => {
      await sleep(1000);
      (logs as Readable).destroy();
      out.end();
    });
    return out;
  }

  async exec(id: string, spec: ExecSpec): Promise<number> {
    if (!isServiceId(id)) return this.#manager.exec(id, spec);
    const { engine, containerId } = await this.#engineFor(id, 'exec in');
    return engine.exec(containerId, spec);
  }

  async putArchive(id: string, path: string, tar: Readable): Promise<void> {
    if (!isServiceId(id)) return this.#manager.putArchive(id, path, tar);
    const { engine, containerId } = await this.#engineFor(id, 'copy into');
    return engine.putArchive(containerId, path, tar);
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    if (!isServiceId(id)) return this.#manager.getArchive(id, path);
    const { engine, containerId } = await this.#engineFor(id, 'copy out of');
    return engine.getArchive(containerId, path);
  }

  /**
   * The engine and container of a dyno whose node is up: a down node's engine may never answer (a dead machine's
   * TCP connection hangs), so readings of its dynos are unknown at once, as `remove()` does not ask it either.
   */
  async #reachable(id: string): Promise<{ engine: DockerRuntime; containerId: string } | undefined> {
    const { task, containerId, engine } = await this.#where(id);
    if (engine === undefined || containerId === undefined || task === undefined || (await this.#nodeDown(task))) return undefined;
    return { engine, containerId };
  }

  async memoryBytes(id: string): Promise<number | undefined> {
    if (!isServiceId(id)) return this.#manager.memoryBytes(id);
    const where = await this.#reachable(id);
    return where === undefined ? undefined : where.engine.memoryBytes(where.containerId);
  }

  async changes(id: string): Promise<ContainerChange[]> {
    if (!isServiceId(id)) return this.#manager.changes(id);
    const where = await this.#reachable(id);
    // A node whose engine Berth cannot reach (or that is down) shows no diff: `berth doctor` then has no disk-writes finding to make.
    return where === undefined ? [] : where.engine.changes(where.containerId);
  }

  async usage(id: string): Promise<ContainerUsage | undefined> {
    if (!isServiceId(id)) return this.#manager.usage(id);
    const where = await this.#reachable(id);
    return where === undefined ? undefined : where.engine.usage(where.containerId);
  }

  /**
   * Where a host-network dyno's port is reached: the address of the node its task runs on (a container on the
   * manager's engine: the manager's). Undefined when the service is gone or its task has no node yet.
   */
  async nodeAddress(id: string): Promise<string | undefined> {
    if (!isServiceId(id)) {
      const info = (await this.#docker.info()) as { Swarm?: { NodeAddr?: string } };
      return info.Swarm?.NodeAddr;
    }
    const task = await newestTask(this.#docker, id);
    return task?.NodeID === undefined ? undefined : this.#nodeAddress(task.NodeID);
  }

  async listByLabel(match: Partial<BerthLabels>): Promise<ContainerSummary[]> {
    const filters = [...labelFilters(match), ...Object.entries(this.#manager.scopeLabels).map(([k, v]) => `${k}=${v}`)];
    const services = await this.#docker.listServices({ filters: { label: filters } });
    const out: ContainerSummary[] = [];
    const taskContainers = new Set<string>();
    for (const service of services) {
      const labels = fromDockerLabels(service.Spec?.Labels);
      if (labels === undefined) continue;
      const task = await newestTask(this.#docker, service.ID);
      const containerId = task?.Status?.ContainerStatus?.ContainerID;
      if (containerId !== undefined) taskContainers.add(containerId);
      out.push({ id: service.ID, name: service.Spec?.Name ?? service.ID, image: service.Spec?.Labels?.[IMAGE_LABEL] ?? '', state: stateWord(task), labels });
    }
    // The manager's own containers, without the swarm's task containers (their services are listed above, and a
    // removed service's container lingers a moment).
    const tasks = await this.#docker.listContainers({ all: true, filters: { label: ['com.docker.swarm.task.id'] } });
    for (const container of tasks) taskContainers.add(container.Id);
    const local = await this.#manager.listByLabel(match);
    return [...out, ...local.filter((c) => !taskContainers.has(c.id))];
  }
}
