// Swarm services and their tasks on dockerode: a dyno is a one-replica service on the host network whose one task
// is the dyno's process; a release or one-off dyno is a replicated job. Swarm's restart policy is off (Berth's dyno
// manager restarts crashed dynos with Heroku's cool-off and log lines).
import type Docker from 'dockerode';
import { toDockerLabels } from '../labels.js';
import type { ContainerSpec } from '../port.js';

/** What Berth reads of a task (the API's Task object, the fields used). */
export interface Task {
  readonly ID: string;
  readonly NodeID?: string;
  readonly DesiredState?: string;
  readonly CreatedAt?: string;
  readonly Status?: {
    readonly State?: string;
    readonly Err?: string;
    readonly ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
}

/** Task states after which the task's process never runs again. */
const TERMINAL = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

export function isTerminal(task: Task): boolean {
  return TERMINAL.has(task.Status?.State ?? '');
}

/** The engine's state word for a task, as `docker ps` would say it of its container. */
export function stateWord(task: Task | undefined): string {
  const state = task?.Status?.State ?? 'new';
  if (state === 'running') return 'running';
  return TERMINAL.has(state) ? 'exited' : 'created';
}

const MAX_NAME = 63;

/**
 * Service names allow letters, digits, `-` and `_` only (no dots: `web.1` becomes `web-1`), 63 at most. A long name
 * loses the end of its front part, never its random suffix (`berth-<app>-<what>-<6 hex>`): the suffix keeps names apart.
 */
export function serviceName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '').replace(/[-_]+$/, '');
  if (clean.length <= MAX_NAME) return clean;
  const cut = clean.lastIndexOf('-');
  const suffix = cut > 0 ? clean.slice(cut + 1) : '';
  if (suffix === '' || suffix.length >= MAX_NAME / 2) return clean.slice(0, MAX_NAME).replace(/[-_]+$/, '');
  const front = clean.slice(0, MAX_NAME - suffix.length - 1).replace(/[-_]+$/, '');
  return `${front}-${suffix}`;
}

/** `/host/path:/container/path[:ro]` as a service's bind mount. */
function bindMount(bind: string): Docker.MountSettings {
  const [source = '', target = '', mode] = bind.split(':');
  return { Type: 'bind', Source: source, Target: target, ReadOnly: mode === 'ro' };
}

export function serviceSpec(spec: ContainerSpec, image: string, labels: Record<string, string>, mode: 'dyno' | 'job'): Docker.CreateServiceOptions {
  const all = { ...toDockerLabels(spec.labels), ...spec.extraLabels, ...labels };
  return {
    ...(spec.name !== undefined ? { Name: serviceName(spec.name) } : {}),
    Labels: all,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        // `Args` replaces the image's CMD and keeps its ENTRYPOINT, as `docker run image cmd...` does.
        Args: [...spec.cmd],
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: all,
        ...((spec.binds ?? []).length > 0 ? { Mounts: (spec.binds ?? []).map(bindMount) } : {}),
        ...(spec.workingDir !== undefined ? { Dir: spec.workingDir } : {}),
        ...(spec.user !== undefined ? { User: spec.user } : {}),
        ...(spec.init === true ? { Init: true } : {}),
        ...(spec.capDrop !== undefined && spec.capDrop.length > 0 ? { CapabilityDrop: [...spec.capDrop] } : {}),
        // Removing a service kills its process at once, as removing a container does; `stop` gives the grace itself.
        StopGracePeriod: 0,
      },
      Resources: {
        Limits: {
          ...(spec.memoryBytes !== undefined ? { MemoryBytes: spec.memoryBytes } : {}),
          ...(spec.pidsLimit !== undefined ? { Pids: spec.pidsLimit } : {}),
        },
      },
      RestartPolicy: { Condition: 'none' } as Docker.TaskRestartPolicy,
      // DESIGN.md "Networking: host network": the dyno listens on its $PORT on its node's own network.
      Networks: [{ Target: 'host' }],
    },
    Mode: mode === 'dyno' ? { Replicated: { Replicas: 1 } } : { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
  };
}

/** The service's newest task, or undefined when it has none (yet) or the service is gone. */
export async function newestTask(docker: Docker, serviceId: string): Promise<Task | undefined> {
  let tasks: Task[];
  try {
    tasks = (await docker.listTasks({ filters: { service: [serviceId] } })) as Task[];
  } catch {
    return undefined;
  }
  // The task the swarm means to run (a rescheduled service keeps its old task, shut down, beside the new one), else
  // the newest one created. Not the highest version: a task's version grows with every status update.
  const created = (task: Task): number => Date.parse(task.CreatedAt ?? '') || 0;
  const wanted = (task: Task): number => (task.DesiredState === 'running' || task.DesiredState === 'complete' ? 1 : 0);
  return tasks.sort((a, b) => wanted(b) - wanted(a) || created(b) - created(a))[0];
}

/** True when the service still exists. */
export async function serviceExists(docker: Docker, serviceId: string): Promise<boolean> {
  return docker
    .getService(serviceId)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** One event of an image push's progress stream (the fields read). */
export interface PushEvent {
  readonly error?: string;
  readonly aux?: { readonly Digest?: string };
}

/** The digest the registry gave the pushed manifest (the push's `aux` event), e.g. `sha256:…`. */
export function pushedDigest(events: readonly PushEvent[]): string | undefined {
  for (const event of events) {
    const digest = event.aux?.Digest;
    if (digest !== undefined && /^sha256:[0-9a-f]{64}$/.test(digest)) return digest;
  }
  return undefined;
}

/**
 * Dynos, release phases and detached one-offs become services; build workspaces and add-on servers (anything that
 * mounts a named volume) stay on the manager's engine, beside their volumes. A host path a service mounts (the host's
 * CA bundle) must exist at the same path on every node.
 */
export function runsAsService(spec: ContainerSpec): boolean {
  const volumes = (spec.binds ?? []).filter((bind) => !bind.startsWith('/'));
  return ['dyno', 'run', 'release'].includes(spec.labels.role) && volumes.length === 0;
}

/**
 * What `run()` sends to the swarm as a job: release phases and one-offs only. Everything else (a backup transfer that
 * bind-mounts `<data>/addons/backups`, anything beside a named volume) runs on the manager as on the single engine.
 */
export function runsAsJob(spec: ContainerSpec): boolean {
  return ['run', 'release'].includes(spec.labels.role) && runsAsService(spec);
}
