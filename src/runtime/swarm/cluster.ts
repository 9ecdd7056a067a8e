// A Docker Swarm on this one machine, beside the user's engine and never in it: each node is its own dockerd
// (`--bridge=none --iptables=false`, its own data root, exec root, pidfile and socket, all under one directory),
// the first initialises the swarm, the others join it as workers. Each node advertises its own loopback address
// (127.0.0.101, 127.0.0.102, ...): swarm's gossip port 7946 binds the advertise address, so two nodes on one address
// would clash, and 127.0.0.1:2377 stays free for a swarm of the user's own.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { startRegistry } from './registry.js';

/** One dockerd of a local swarm: where its API listens and the address it advertises to the swarm. */
export interface LocalNode {
  readonly name: string;
  readonly socketPath: string;
  readonly address: string;
}

export interface LocalSwarm {
  readonly dir: string;
  readonly manager: LocalNode;
  readonly workers: readonly LocalNode[];
}

export interface LocalSwarmPlan {
  /** Every node's files live under it: `<dir>/<node>/{data,exec,docker.sock,docker.pid,dockerd.log}`. */
  readonly dir: string;
  readonly managerAddress: string;
  readonly workerAddresses?: readonly string[];
}

const START_TIMEOUT_MS = 60_000;
/** A node label: the address a host-network container on the node is reached at (overrides the node's Status.Addr). */
export const NODE_ADDRESS_LABEL = 'berth.address';

function nodeOf(dir: string, name: string, address: string): LocalNode {
  return { name, socketPath: join(dir, name, 'docker.sock'), address };
}

async function answers(docker: Docker): Promise<boolean> {
  return docker.ping().then(
    () => true,
    () => false,
  );
}

/** Starts the node's dockerd unless it already answers, and waits until it does. */
async function startNode(dir: string, node: LocalNode): Promise<Docker> {
  const docker = new Docker({ socketPath: node.socketPath });
  if (await answers(docker)) return docker;
  const home = join(dir, node.name);
  await mkdir(home, { recursive: true, mode: 0o700 });
  await rm(node.socketPath, { force: true });
  const log = openSync(join(home, 'dockerd.log'), 'a');
  try {
    const child = spawn(
      'dockerd',
      [
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
        `--data-root=${join(home, 'data')}`,
        `--exec-root=${join(home, 'exec')}`,
        `--pidfile=${join(home, 'docker.pid')}`,
        `--host=unix://${node.socketPath}`,
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    child.on('error', () => undefined);
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await answers(docker)) return docker;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The swarm node's dockerd at ${node.socketPath} did not answer within ${START_TIMEOUT_MS / 1000}s (see ${join(home, 'dockerd.log')})`);
}

async function swarmState(docker: Docker): Promise<string> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
  return info.Swarm?.LocalNodeState ?? 'inactive';
}

/**
 * Starts (or finds running) the plan's dockerds, initialises the swarm on the manager and joins the workers.
 * Idempotent: a node already in the swarm stays as it is.
 */
export async function ensureLocalSwarm(plan: LocalSwarmPlan): Promise<LocalSwarm> {
  const manager = nodeOf(plan.dir, 'manager', plan.managerAddress);
  const workers = (plan.workerAddresses ?? []).map((address, i) => nodeOf(plan.dir, `worker${i + 1}`, address));
  const managerDocker = await startNode(plan.dir, manager);
  if ((await swarmState(managerDocker)) !== 'active') {
    await managerDocker.swarmInit({ ListenAddr: `${manager.address}:2377`, AdvertiseAddr: manager.address, ForceNewCluster: false });
  }
  await labelAddress(managerDocker, managerDocker, manager.address);
  const swarm = (await managerDocker.swarmInspect()) as { JoinTokens: { Worker: string } };
  for (const worker of workers) {
    const docker = await startNode(plan.dir, worker);
    if ((await swarmState(docker)) !== 'active') {
      await docker.swarmJoin({
        ListenAddr: `${worker.address}:2377`,
        AdvertiseAddr: worker.address,
        RemoteAddrs: [`${manager.address}:2377`],
        JoinToken: swarm.JoinTokens.Worker,
      });
    }
    await labelAddress(managerDocker, docker, worker.address);
  }
  return { dir: plan.dir, manager, workers };
}

/**
 * Labels the node `berth.address=<address>`: where its host network is reached. The swarm's own `Status.Addr` of a
 * worker is the address its connection to the manager came from, which on one host is 127.0.0.1 for every worker.
 */
async function labelAddress(managerDocker: Docker, nodeDocker: Docker, address: string): Promise<void> {
  const info = (await nodeDocker.info()) as { Swarm?: { NodeID?: string } };
  const nodeId = info.Swarm?.NodeID;
  if (nodeId === undefined || nodeId === '') throw new Error(`The swarm node at ${address} has no node id`);
  const node = managerDocker.getNode(nodeId);
  const current = (await node.inspect()) as { Version: { Index: number }; Spec: { Labels?: Record<string, string> } & Record<string, unknown> };
  if (current.Spec.Labels?.[NODE_ADDRESS_LABEL] === address) return;
  await node.update({ version: current.Version.Index, ...current.Spec, Labels: { ...current.Spec.Labels, [NODE_ADDRESS_LABEL]: address } });
}

/** The node engines of a local swarm as BERTH_SWARM_ENGINES spells them: `address=unix:///socket,...`. */
export function enginesSetting(swarm: LocalSwarm): string {
  return [swarm.manager, ...swarm.workers].map((node) => `${node.address}=unix://${node.socketPath}`).join(',');
}

async function pidOf(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The pid in a node's pid file, if that process is alive and is a dockerd: a stale file's pid may since belong to
 * any other process (as src/host/engine.ts checks its own engine's pid; the runtime room may not import the host room).
 */
async function dockerdPid(file: string): Promise<number | undefined> {
  const pid = await pidOf(file);
  if (pid === undefined || !alive(pid)) return undefined;
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  return comm === undefined || comm === 'dockerd' ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops every dockerd of the local swarm under `dir` (the workers first, so the manager sees them go) and, with
 * `removeData`, removes the directory: their images, containers and swarm state.
 */
export async function stopLocalSwarm(dir: string, nodeNames: readonly string[], { removeData }: { removeData: boolean }): Promise<void> {
  for (const name of [...nodeNames].sort((a, b) => (a === 'manager' ? 1 : b === 'manager' ? -1 : a.localeCompare(b)))) {
    const pid = await dockerdPid(join(dir, name, 'docker.pid'));
    if (pid === undefined) continue;
    process.kill(pid, 'SIGTERM');
    // dockerd stops its containers (10 s each at most, in parallel) and its containerd before it exits.
    const deadline = Date.now() + 60_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (!removeData) return;
  // dockerd leaves the network namespaces of swarm's ingress sandbox mounted in its exec root (`exec/netns/*`).
  for (const mount of await mountsUnder(dir)) await unmount(mount);
  await rm(dir, { recursive: true, force: true });
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mounts, which escapes spaces as \040). */
async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  const points = table
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

function unmount(point: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('umount', ['--lazy', point], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('exit', () => resolve());
  });
}

async function hasImage(docker: Docker, ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

async function progressOf(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err ?? events.find((e) => e.error !== undefined)?.error;
      if (failed !== undefined && failed !== null) reject(new Error(String(failed)));
      else resolve();
    });
  });
}

function tagOf(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

export interface ImageCopy {
  /** The engine that has the images (the user's, where `berth setup` built the stack images). */
  readonly fromSocket: string;
  /** The engine that needs them (the swarm's manager). */
  readonly toSocket: string;
  /** A registry started for the copy and stopped after it: its directory and `host:port`. */
  readonly registryDir: string;
  readonly registryAddress: string;
  readonly refs: readonly string[];
}

/**
 * Copies images the manager lacks from another engine through a registry (push there, pull here) instead of building
 * them again; the images keep their names. Returns the refs it copied.
 */
export async function copyImages(copy: ImageCopy): Promise<string[]> {
  const from = new Docker({ socketPath: copy.fromSocket });
  const to = new Docker({ socketPath: copy.toSocket });
  const missing: string[] = [];
  for (const ref of copy.refs) if (!(await hasImage(to, ref)) && (await hasImage(from, ref))) missing.push(ref);
  if (missing.length === 0) return [];
  const registry = await startRegistry({ dir: copy.registryDir, address: copy.registryAddress });
  try {
    for (const ref of missing) {
      const remote = `${registry.address}/${ref}`;
      await from.getImage(ref).tag(tagOf(remote));
      // The engine wants an X-Registry-Auth header even for a registry without auth.
      await progressOf(from, await from.getImage(remote).push({ authconfig: {} } as Docker.ImagePushOptions));
      await from.getImage(remote).remove();
      await progressOf(to, await to.pull(remote));
      await to.getImage(remote).tag(tagOf(ref));
      await to.getImage(remote).remove();
    }
  } finally {
    await registry.stop();
  }
  return missing;
}
