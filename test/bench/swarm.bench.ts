// `npm run bench -- test/bench/swarm.bench.ts`: `ps:scale web=20` until all 20 are `up`, on the single engine and on
// the test swarm (a manager and a worker dockerd beside the engine, test/support/swarm.ts) in one run, from the API
// call, twice each (the second time with the slug already on every node). Target (issue 19): swarm ≤ 2 × the single
// engine's time.
import { cpus } from 'node:os';
import { bench, describe } from 'vitest';
import { createApp, fixture, waitFor } from '../support/build.js';
import { startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { useTestSwarm } from '../support/swarm.js';
import { loadSettings } from '../../src/settings.js';
import { deploy, dynos, scale, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const N = 20;

async function scaleRounds(daemon: TestDaemon): Promise<number[]> {
  const app = await createApp(daemon, 'bench');
  await deploy(daemon, app.name, fixture('lifecycle'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
  const times: number[] = [];
  for (let round = 0; round < 2; round++) {
    await scale(daemon, app.name, [{ type: 'web', quantity: 0 }]);
    await waitFor('no dynos', async () => (await dynos(daemon, app.name)).length === 0, 180_000);
    const started = performance.now();
    await scale(daemon, app.name, [{ type: 'web', quantity: String(N) }]);
    await waitFor(`${N} up`, async () => {
      const list = await dynos(daemon, app.name);
      return list.length === N && list.every((d) => d.state === 'up');
    }, 300_000);
    times.push((performance.now() - started) / 1000);
  }
  await scale(daemon, app.name, [{ type: 'web', quantity: 0 }]);
  await waitFor('no dynos', async () => (await dynos(daemon, app.name)).length === 0, 180_000);
  return times;
}

describe('swarm', () => {
  bench(
    `ps:scale web=${N} until all up: single engine and swarm`,
    async () => {
      const settings = loadSettings();
      const swarm = await useTestSwarm([settings.stackRunImage, settings.stackBuildImage]);
      const single = await startTestDaemon({ env: SHORT_TIMINGS });
      let engineTimes: number[];
      try {
        engineTimes = await scaleRounds(single);
      } finally {
        await single.dispose();
      }
      const onSwarm = await startTestDaemon({
        env: {
          ...SHORT_TIMINGS,
          BERTH_RUNTIME: 'swarm',
          BERTH_SWARM_MANAGER: swarm.managerHost,
          BERTH_SWARM_REGISTRY: `${swarm.manager.address}:${await freePort()}`,
          BERTH_SWARM_ENGINES: swarm.engines,
        },
      });
      let swarmTimes: number[];
      try {
        swarmTimes = await scaleRounds(onSwarm);
      } finally {
        await onSwarm.dispose();
      }
      const best = (times: number[]) => Math.min(...times);
      const ratio = best(swarmTimes) / best(engineTimes);
      console.log(`\nSwarm benchmark: ${cpus().length} CPUs, ${N} web dynos of fixtures/lifecycle, from the API call to all up.`);
      console.table([
        { backend: 'single engine', 'round 1 s': engineTimes[0]?.toFixed(2), 'round 2 s': engineTimes[1]?.toFixed(2) },
        { backend: 'swarm (manager + 1 worker)', 'round 1 s': swarmTimes[0]?.toFixed(2), 'round 2 s': swarmTimes[1]?.toFixed(2) },
      ]);
      console.log(`Target: swarm ≤ 2 × single engine: ${ratio.toFixed(2)} × (${ratio <= 2 ? 'meets' : 'misses'} it).\n`);
    },
    once,
  );
});
