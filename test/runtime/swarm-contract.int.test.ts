// The Runtime contract on Docker Swarm (integration tier): the test swarm's manager and worker (test/support/swarm.ts),
// a registry supervised the way the daemon supervises its own, and every node's engine known (BERTH_SWARM_ENGINES).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEngines, startRegistry, SwarmRuntime, type SupervisedRegistry } from '../../src/runtime/index.js';
import { loadSettings } from '../../src/settings.js';
import { freePort } from '../support/ports.js';
import { useTestSwarm } from '../support/swarm.js';
import { runtimeContract } from './contract.js';

let registry: SupervisedRegistry | undefined;
let subject: SwarmRuntime | undefined;
let nodes: readonly string[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'berth-swarm-contract-'));

afterAll(async () => {
  await registry?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

runtimeContract('swarm', async () => {
  const settings = loadSettings();
  const swarm = await useTestSwarm([settings.stackRunImage]);
  registry = await startRegistry({ dir: join(dataDir, 'registry'), address: `${swarm.manager.address}:${await freePort()}` });
  const runtime = await SwarmRuntime.connect({ manager: swarm.managerHost, registry: registry.address, engines: parseEngines(swarm.engines), dataDir });
  subject = runtime;
  nodes = [swarm.manager.address, ...swarm.workers.map((worker) => worker.address)];
  return { runtime, image: settings.stackRunImage };
});

// Beyond the contract: where a dyno's port is reached (the router and the boot probe ask it of every dyno).
describe('SwarmRuntime.nodeAddress', () => {
  it("is the address of the node that runs the dyno's task, on either node, and undefined once it is gone", async () => {
    const runtime = subject as SwarmRuntime;
    const app = `swarm-node-${process.pid}`;
    const image = loadSettings().stackRunImage;
    // Two dynos at once: the swarm spreads them, one per node.
    const ids = await Promise.all(
      ['web.1', 'web.2'].map((dyno) => runtime.start({ image, cmd: ['sleep', '300'], labels: { app, role: 'dyno', dyno }, init: true })),
    );
    const addresses = await Promise.all(ids.map((id) => runtime.nodeAddress(id)));
    expect(new Set(addresses)).toEqual(new Set(nodes));
    for (const id of ids) await runtime.remove(id);
    expect(await runtime.nodeAddress(ids[0] as string)).toBeUndefined();
  });
});
