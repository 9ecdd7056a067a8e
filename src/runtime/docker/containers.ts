// Containers on dockerode: create (host network, Berth's labels), start, stop, signal, inspect, wait, archives,
// memory readings, list by label, remove.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { fromDockerLabels, labelFilters, toDockerLabels, type BerthLabels } from '../labels.js';
import type { ContainerSpec, ContainerState, ContainerSummary, ContainerUsage, ContainerChange, ProcessSignal } from '../port.js';
import { ignoring, statusOf } from './errors.js';

export function createOptions(spec: ContainerSpec, { attach }: { attach: boolean }): Docker.ContainerCreateOptions {
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

export async function create(docker: Docker, spec: ContainerSpec): Promise<string> {
  const container = await docker.createContainer(createOptions(spec, { attach: false }));
  return container.id;
}

export async function start(docker: Docker, spec: ContainerSpec): Promise<string> {
  const container = await docker.createContainer(createOptions(spec, { attach: false }));
  try {
    await container.start();
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw err;
  }
  return container.id;
}

export async function stop(docker: Docker, id: string, graceSeconds: number): Promise<void> {
  // 304: already stopped; 404: already gone.
  await ignoring([304, 404], () => docker.getContainer(id).stop({ t: graceSeconds }));
}

export async function remove(docker: Docker, id: string): Promise<void> {
  // 404: already gone; 409: another removal of it is under way (a timeout and a cleanup racing).
  await ignoring([404, 409], () => docker.getContainer(id).remove({ force: true }));
}

export async function state(docker: Docker, id: string): Promise<ContainerState> {
  try {
    const info = await docker.getContainer(id).inspect();
    return { running: info.State.Running, exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
  } catch (err) {
    if (statusOf(err) === 404) return { running: false, exitCode: 137, oomKilled: false };
    throw err;
  }
}

/** One engine, on this machine: a container of the host network serves on loopback while it exists. */
export async function nodeAddress(docker: Docker, id: string): Promise<string | undefined> {
  try {
    await docker.getContainer(id).inspect();
    return '127.0.0.1';
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

export async function wait(docker: Docker, id: string): Promise<ContainerState> {
  await ignoring([404], () => docker.getContainer(id).wait());
  return state(docker, id);
}

/** Sends a signal to the container's PID 1 (its init forwards it). */
export async function signal(docker: Docker, id: string, sig: ProcessSignal): Promise<void> {
  await ignoring([304, 404, 409], () => docker.getContainer(id).kill({ signal: sig }));
}

export async function putArchive(docker: Docker, id: string, path: string, tar: Readable): Promise<void> {
  await docker.getContainer(id).putArchive(tar, { path });
}

export async function getArchive(docker: Docker, id: string, path: string): Promise<Readable> {
  return (await docker.getContainer(id).getArchive({ path })) as unknown as Readable;
}

/** Where Docker mounts its init (`--init`) in a container. */
const DOCKER_INIT_PATHS = ['/sbin/docker-init', '/usr/sbin/docker-init'];

/**
 * `docker diff` (the engine's kinds: 0 changed, 1 added, 2 deleted) without what the engine put there itself: the
 * mount points of binds and volumes, its init, and the directories listed only because those are under them. A
 * container that is gone changed nothing.
 */
export async function changes(docker: Docker, id: string): Promise<ContainerChange[]> {
  try {
    const container = docker.getContainer(id);
    const [diff, info] = await Promise.all([
      container.changes() as Promise<Array<{ Path: string; Kind: number }> | null>,
      container.inspect(),
    ]);
    const engines = new Set([...(info.Mounts ?? []).map((mount) => mount.Destination), ...(info.HostConfig.Init === true ? DOCKER_INIT_PATHS : [])]);
    const under = (dir: string, path: string) => path.startsWith(dir === '/' ? '/' : `${dir}/`);
    const all = (diff ?? []).filter((change) => !engines.has(change.Path));
    const aboveEngines = (path: string) => [...engines].some((mount) => under(path, mount));
    const apps = all.filter((change) => !aboveEngines(change.Path));
    return all
      .filter((change) => !aboveEngines(change.Path) || apps.some((app) => under(change.Path, app.Path)))
      .map((change) => ({ path: change.Path, kind: change.Kind === 1 ? 'added' : change.Kind === 2 ? 'deleted' : 'changed' }));
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw err;
  }
}

export async function memoryBytes(docker: Docker, id: string): Promise<number | undefined> {
  try {
    const stats = (await docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false })) as {
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

interface DockerStats {
  memory_stats?: { usage?: number; stats?: Record<string, number> };
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
}

/** One stats reading: cgroup v1 names its counters `rss`, `cache`, `swap`, `pgpgin`; v2 `anon` and `file`. */
export async function usage(docker: Docker, id: string): Promise<ContainerUsage | undefined> {
  let stats: DockerStats;
  try {
    stats = (await docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false })) as DockerStats;
  } catch {
    return undefined;
  }
  const total = stats.memory_stats?.usage;
  const counters = stats.memory_stats?.stats ?? {};
  if (total === undefined) return undefined;
  const inactive = counters['total_inactive_file'] ?? counters['inactive_file'] ?? 0;
  return {
    memoryBytes: Math.max(0, total - inactive),
    rssBytes: counters['rss'] ?? counters['anon'] ?? Math.max(0, total - inactive),
    cacheBytes: counters['cache'] ?? counters['file'] ?? 0,
    swapBytes: counters['swap'] ?? 0,
    pagesIn: counters['pgpgin'] ?? 0,
    pagesOut: counters['pgpgout'] ?? 0,
    // Docker counts CPU time in nanoseconds.
    cpuSeconds: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
  };
}

/** Ids of every container, running or not, carrying all of `labels` (`name=value` filters), Berth's or not. */
export async function listAll(docker: Docker, labels: readonly string[]): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [...labels] } });
  return list.map((c) => c.Id);
}

export async function listByLabel(docker: Docker, match: Partial<BerthLabels>, scope: readonly string[]): Promise<ContainerSummary[]> {
  const filters = [...labelFilters(match), ...scope];
  const list = await docker.listContainers({ all: true, filters: { label: filters } });
  const out: ContainerSummary[] = [];
  for (const c of list) {
    const labels = fromDockerLabels(c.Labels);
    if (labels === undefined) continue;
    out.push({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), image: c.Image, state: c.State, labels });
  }
  return out;
}
