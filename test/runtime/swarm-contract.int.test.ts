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
let managerHost = '';
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
  managerHost = swarm.managerHost;
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

// A swarm whose nodes' engines Berth cannot reach (BERTH_SWARM_ENGINES empty): what the swarm's API alone gives.
describe('SwarmRuntime without the nodes\' engines', () => {
  it('follows service logs to the end, reads exit codes from tasks, stops by scaling to zero; memory is unknown, signals refused', async () => {
    const runtime = await SwarmRuntime.connect({ manager: managerHost, registry: (registry as SupervisedRegistry).address, engines: {}, dataDir });
    const app = `swarm-blind-${process.pid}`;
    const image = loadSettings().stackRunImage;
    const labels = (dyno: string) => ({ app, role: 'dyno' as const, dyno });
    try {
      const exits = await runtime.start({ image, cmd: ['bash', '-c', 'echo one; echo two >&2; exit 5'], labels: labels('web.1'), init: true });
      const output = await runtime.follow(exits);
      let text = '';
      for await (const chunk of output) text += String(chunk);
      expect(text.split('\n').sort()).toEqual(['', 'one', 'two']);
      expect(await runtime.wait(exits)).toEqual({ running: false, exitCode: 5, oomKilled: false });

      const sleeps = await runtime.start({ image, cmd: ['bash', '-c', "trap 'exit 0' TERM; sleep infinity & wait"], labels: labels('web.2'), init: true });
      expect(await runtime.state(sleeps)).toEqual({ running: true, exitCode: 0, oomKilled: false });
      expect(await runtime.memoryBytes(sleeps)).toBeUndefined();
      await expect(runtime.signal(sleeps, 'SIGHUP')).rejects.toThrow(/engine is not in BERTH_SWARM_ENGINES/);
      await runtime.stop(sleeps, 10);
      expect(await runtime.state(sleeps)).toEqual({ running: false, exitCode: 0, oomKilled: false });
    } finally {
      for (const c of await runtime.listByLabel({ app })) await runtime.remove(c.id);
    }
  });
});
