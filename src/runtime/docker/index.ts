// The Runtime port on Docker, through dockerode. Each concern lives in its own file (images, containers, attach,
// volumes); this class scopes what it creates and lists to one Berth instance and delegates.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Settings } from '../../settings.js';
import type { BerthLabels } from '../labels.js';
import {
  EngineUnavailableError,
  type AttachedIo,
  type CommitOptions,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
  type ContainerUsage,
  type ContainerChange,
  type ExecSpec,
  type ImageBuildSpec,
  type ImageInfo,
  type ImportOptions,
  type ProcessSignal,
  type RunSpec,
  type Runtime,
} from '../port.js';
import * as attach from './attach.js';
import { answers, describeEndpoint, dockerFor, endpointOf, type Endpoint } from './connection.js';
import * as containers from './containers.js';
import * as images from './images.js';
import * as volumes from './volumes.js';

const INSTANCE_LABEL = 'berth.instance';

export class DockerRuntime implements Runtime {
  readonly #docker: Docker;
  readonly #endpoint: Endpoint;
  /**
   * Scopes every container this runtime creates or lists (label `berth.instance`), so several Berths (a developer's
   * and a test's) can share one engine without one's recovery removing the other's containers.
   */
  readonly #instance: string | undefined;

  private constructor(endpoint: Endpoint, instance: string | undefined) {
    this.#endpoint = endpoint;
    this.#docker = dockerFor(endpoint);
    this.#instance = instance;
  }

  /** A runtime on the engine the settings name; fails clearly when it does not answer. */
  static async connect(settings: Pick<Settings, 'dockerHost'> & Partial<Pick<Settings, 'dataDir'>>): Promise<DockerRuntime> {
    const runtime = DockerRuntime.at(settings);
    if (!(await runtime.ping())) throw new EngineUnavailableError(runtime.where);
    return runtime;
  }

  /**
   * A runtime on the engine the settings name, without asking whether it answers (`berth setup` hands it to
   * `ensureEngine`, which starts one). With a data dir, what it creates and lists is scoped to that Berth.
   */
  static at(settings: Pick<Settings, 'dockerHost'> & Partial<Pick<Settings, 'dataDir'>>): DockerRuntime {
    const instance = settings.dataDir === undefined ? undefined : createHash('sha256').update(settings.dataDir).digest('hex').slice(0, 12);
    return new DockerRuntime(endpointOf(settings), instance);
  }

  /** Where the engine listens, as a URL (`unix:///var/run/docker.sock`), for messages. */
  get where(): string {
    return describeEndpoint(this.#endpoint);
  }

  /** The engine's unix socket, or undefined for a remote (tcp) engine, which Berth cannot start. */
  get socketPath(): string | undefined {
    return this.#endpoint.kind === 'unix' ? this.#endpoint.socketPath : undefined;
  }

  /** The labels that scope what this runtime creates to its Berth instance (none without a data dir). */
  get scopeLabels(): Readonly<Record<string, string>> {
    return this.#instance === undefined ? {} : { [INSTANCE_LABEL]: this.#instance };
  }

  #scoped<T extends ContainerSpec>(spec: T): T {
    return this.#instance === undefined ? spec : { ...spec, extraLabels: { ...spec.extraLabels, [INSTANCE_LABEL]: this.#instance } };
  }

  ping(timeoutMs?: number): Promise<boolean> {
    return answers(this.#docker, timeoutMs);
  }

  imageInfo(ref: string): Promise<ImageInfo | undefined> {
    return images.imageInfo(this.#docker, ref);
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.imageInfo(ref)) !== undefined;
  }

  importRootfs(tar: Readable, ref: string, options: ImportOptions = {}): Promise<ImageInfo> {
    return images.importRootfs(this.#docker, tar, ref, options);
  }

  removeImage(ref: string): Promise<void> {
    return images.removeImage(this.#docker, ref);
  }

  listImages(labels: readonly string[]): Promise<ImageInfo[]> {
    return images.listImages(this.#docker, labels);
  }

  commit(id: string, ref: string, options: CommitOptions = {}): Promise<ImageInfo> {
    // Slug images carry the instance too, so a throwaway Berth's purge (and its reaper) finds them.
    const scoped = this.#instance === undefined ? options : { ...options, changes: [...(options.changes ?? []), `LABEL ${INSTANCE_LABEL}=${this.#instance}`] };
    return images.commit(this.#docker, id, ref, scoped);
  }
  buildImage(spec: ImageBuildSpec): Promise<ImageInfo> {
    return images.buildImage(this.#docker, spec);
  }

  tagImage(ref: string, newRef: string): Promise<void> {
    return images.tagImage(this.#docker, ref, newRef);
  }


  run(spec: RunSpec): Promise<number> {
    return attach.run(this.#docker, this.#scoped(spec));
  }

  runAttached(spec: ContainerSpec, io: AttachedIo): Promise<number> {
    return attach.runAttached(this.#docker, this.#scoped(spec), io);
  }

  create(spec: ContainerSpec): Promise<string> {
    return containers.create(this.#docker, this.#scoped(spec));
  }

  start(spec: ContainerSpec): Promise<string> {
    return containers.start(this.#docker, this.#scoped(spec));
  }

  stop(id: string, graceSeconds: number): Promise<void> {
    return containers.stop(this.#docker, id, graceSeconds);
  }

  remove(id: string): Promise<void> {
    return containers.remove(this.#docker, id);
  }

  state(id: string): Promise<ContainerState> {
    return containers.state(this.#docker, id);
  }

  wait(id: string): Promise<ContainerState> {
    return containers.wait(this.#docker, id);
  }

  signal(id: string, signal: ProcessSignal): Promise<void> {
    return containers.signal(this.#docker, id, signal);
  }

  follow(id: string, sinceSeconds = 0): Promise<Readable> {
    return attach.follow(this.#docker, id, sinceSeconds);
  }

  exec(id: string, spec: ExecSpec): Promise<number> {
    return attach.exec(this.#docker, id, spec);
  }

  putArchive(id: string, path: string, tar: Readable): Promise<void> {
    return containers.putArchive(this.#docker, id, path, tar);
  }

  getArchive(id: string, path: string): Promise<Readable> {
    return containers.getArchive(this.#docker, id, path);
  }

  memoryBytes(id: string): Promise<number | undefined> {
    return containers.memoryBytes(this.#docker, id);
  }

  usage(id: string): Promise<ContainerUsage | undefined> {
    return containers.usage(this.#docker, id);
  }

  nodeAddress(id: string): Promise<string | undefined> {
    return containers.nodeAddress(this.#docker, id);
  }

  listByLabel(match: Partial<BerthLabels>): Promise<ContainerSummary[]> {
    return containers.listByLabel(this.#docker, match, this.#instance === undefined ? [] : [`${INSTANCE_LABEL}=${this.#instance}`]);
  }

  ensureVolume(name: string, labels: Readonly<Record<string, string>> = {}): Promise<void> {
    // An app's volume (its build cache) belongs to this instance; a cache shared by every app (no `berth.app`) is the
    // machine's, like the stack images, and outlives any one Berth.
    const scoped = this.#instance !== undefined && labels['berth.app'] !== undefined ? { ...labels, [INSTANCE_LABEL]: this.#instance } : labels;
    return volumes.ensureVolume(this.#docker, name, scoped);
  }

  removeVolume(name: string): Promise<void> {
    return volumes.removeVolume(this.#docker, name);
  }

  listVolumes(labels: readonly string[]): Promise<string[]> {
    return volumes.listVolumes(this.#docker, labels);
  }

  changes(id: string): Promise<ContainerChange[]> {
    return containers.changes(this.#docker, id);
  }

  /**
   * Removes every container, image and volume of this Berth instance (a throwaway Berth's teardown, or its reaper's
   * after the daemon died). Resolves with how many of each it removed; without an instance there is nothing to scope
   * by, and it removes nothing.
   */
  async purgeInstance(): Promise<{ containers: number; images: number; volumes: number }> {
    if (this.#instance === undefined) return { containers: 0, images: 0, volumes: 0 };
    const scope = `${INSTANCE_LABEL}=${this.#instance}`;
    const found = await containers.listAll(this.#docker, [scope]);
    await Promise.all(found.map((id) => containers.remove(this.#docker, id)));
    // Containers first: an image a container still uses cannot go, nor a volume one mounts.
    const imageList = await images.listImages(this.#docker, [scope]);
    for (const image of imageList) await images.removeImage(this.#docker, image.id);
    const volumeList = await volumes.listVolumes(this.#docker, [scope]);
    for (const volume of volumeList) await volumes.removeVolume(this.#docker, volume);
    return { containers: found.length, images: imageList.length, volumes: volumeList.length };
  }
}
