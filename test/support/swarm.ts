// The integration tier's Docker Swarm: a manager and one worker, each its own dockerd beside the main engine (which is
// never turned into a swarm), under the directory test/global-setup.ts names in BERTH_TEST_SWARM_DIR. The first test
// file that asks starts it (under a file lock, so files share one swarm); global teardown stops every dockerd and
// removes the directory. Its engines get the stack images from a registry (pushed from the main engine), not by
// re-building them (copyImages).
import { join } from 'node:path';
import { withFileLock } from '../../src/host/index.js';
import { copyImages, ensureLocalSwarm, enginesSetting, stopLocalSwarm, type LocalSwarm } from '../../src/runtime/index.js';
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

/** The test swarm, started on first use, with `images` (from the main engine) on its manager. */
export async function useTestSwarm(images: readonly string[]): Promise<TestSwarm> {
  const dir = swarmDir();
  return withFileLock(join(dir, '..', 'swarm.lock'), { timeoutMs: 15 * 60_000 }, async () => {
    const swarm = await ensureLocalSwarm({ dir, managerAddress: MANAGER_ADDRESS, workerAddresses: [WORKER_ADDRESS] });
    await copyImages({
      fromSocket: '/var/run/docker.sock',
      toSocket: swarm.manager.socketPath,
      registryDir: join(dir, 'seed-registry'),
      registryAddress: `${swarm.manager.address}:${await freePort()}`,
      refs: images,
    });
    return { ...swarm, managerHost: `unix://${swarm.manager.socketPath}`, engines: enginesSetting(swarm) };
  });
}

/** Global teardown: stops every dockerd of the test swarm and removes its data. */
export async function stopTestSwarm(dir: string): Promise<void> {
  await stopLocalSwarm(dir, NODE_NAMES, { removeData: true });
}

/** Stops one node's dockerd (its containers with it), as a machine leaving the swarm; `useTestSwarm` starts it again. */
export async function stopTestNode(name: string): Promise<void> {
  await stopLocalSwarm(swarmDir(), [name], { removeData: false });
}
