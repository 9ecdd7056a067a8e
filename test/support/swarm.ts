// The integration tier's Docker Swarm: a manager and one worker, each its own dockerd beside the main engine (which is
// never turned into a swarm), under the directory test/global-setup.ts names in BERTH_TEST_SWARM_DIR. The first test
// file that asks starts it (under a file lock, so files share one swarm); global teardown stops every dockerd and
// removes the directory. Its engines get the stack images from a registry (pushed from the main engine), not by
// re-building them.
import { join } from 'node:path';
import Docker from 'dockerode';
import { withFileLock } from '../../src/host/index.js';
import { ensureLocalSwarm, enginesSetting, startRegistry, stopLocalSwarm, type LocalSwarm } from '../../src/runtime/index.js';
import { freePort } from './ports.js';

export const TEST_SWARM_DIR_ENV = 'BERTH_TEST_SWARM_DIR';
/** Distinct from `berth setup --swarm`'s 127.0.0.101/102 and from any manual experiment, so nothing clashes. */
const MANAGER_ADDRESS = '127.0.0.121';
const WORKER_ADDRESS = '127.0.0.122';
const NODE_NAMES = ['manager', 'worker1'];

export interface TestSwarm extends LocalSwarm {
  /** BERTH_SWARM_MANAGER. */
  readonly managerHost: string;
  /** BERTH_SWARM_ENGINES: every node's engine (on one host the test swarm knows them all). */
  readonly engines: string;
}

function swarmDir(): string {
  const dir = process.env[TEST_SWARM_DIR_ENV];
  if (dir === undefined || dir === '') throw new Error(`${TEST_SWARM_DIR_ENV} is unset: the swarm tests run in the integration project (test/global-setup.ts)`);
  return dir;
}

async function hasImage(socketPath: string, ref: string): Promise<boolean> {
  return new Docker({ socketPath })
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err ?? events.find((e) => e.error !== undefined)?.error;
      if (failed !== undefined && failed !== null) reject(new Error(String(failed)));
      else resolve();
    });
  });
}

/** Copies images from the main engine to the manager through a registry of their own (push there, pull here). */
async function seed(swarm: LocalSwarm, refs: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const ref of refs) if (!(await hasImage(swarm.manager.socketPath, ref))) missing.push(ref);
  if (missing.length === 0) return;
  const registry = await startRegistry({ dir: join(swarm.dir, 'seed-registry'), address: `${swarm.manager.address}:${await freePort()}` });
  const main = new Docker({ socketPath: '/var/run/docker.sock' });
  const manager = new Docker({ socketPath: swarm.manager.socketPath });
  try {
    for (const ref of missing) {
      const remote = `${registry.address}/${ref}`;
      const [repo, tag] = [remote.slice(0, remote.lastIndexOf(':')), remote.slice(remote.lastIndexOf(':') + 1)];
      await main.getImage(ref).tag({ repo, tag });
      await follow(main, await main.getImage(remote).push({ authconfig: {} } as Docker.ImagePushOptions));
      await main.getImage(remote).remove();
      await follow(manager, await manager.pull(remote));
      const local = ref.slice(0, ref.lastIndexOf(':'));
      await manager.getImage(remote).tag({ repo: local, tag: ref.slice(ref.lastIndexOf(':') + 1) });
      await manager.getImage(remote).remove();
    }
  } finally {
    await registry.stop();
  }
}

/** The test swarm, started on first use, with `images` (from the main engine) on its manager. */
export async function useTestSwarm(images: readonly string[]): Promise<TestSwarm> {
  const dir = swarmDir();
  return withFileLock(join(dir, '..', 'swarm.lock'), { timeoutMs: 15 * 60_000 }, async () => {
    const swarm = await ensureLocalSwarm({ dir, managerAddress: MANAGER_ADDRESS, workerAddresses: [WORKER_ADDRESS] });
    await seed(swarm, images);
    return { ...swarm, managerHost: `unix://${swarm.manager.socketPath}`, engines: enginesSetting(swarm) };
  });
}

/** Global teardown: stops every dockerd of the test swarm and removes its data. */
export async function stopTestSwarm(dir: string): Promise<void> {
  await stopLocalSwarm(dir, NODE_NAMES, { removeData: true });
}
