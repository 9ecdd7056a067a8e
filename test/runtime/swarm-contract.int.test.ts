// The Runtime contract on Docker Swarm (integration tier): the test swarm's manager and worker (test/support/swarm.ts),
// a registry supervised the way the daemon supervises its own, and every node's engine known (BERTH_SWARM_ENGINES).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { parseEngines, startRegistry, SwarmRuntime, type SupervisedRegistry } from '../../src/runtime/index.js';
import { loadSettings } from '../../src/settings.js';
import { freePort } from '../support/ports.js';
import { useTestSwarm } from '../support/swarm.js';
import { runtimeContract } from './contract.js';

let registry: SupervisedRegistry | undefined;
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
  return { runtime, image: settings.stackRunImage };
});
