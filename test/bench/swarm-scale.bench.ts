// `npm run bench`: issue 19's figure. `ps:scale web=20` (PATCH /formation, quantity "20") of fixtures/lifecycle
// (python3 http.server) until all 20 dynos are `up` (GET /dynos), timed from the API call, on a daemon whose
// environment selects the runtime: the single engine (BERTH_RUNTIME=docker) and Docker Swarm (BERTH_RUNTIME=swarm, on
// the integration tier's test swarm of test/support/swarm.ts, a manager and a worker dockerd beside the main engine).
// Reports both times and their ratio. Target: swarm ≤ 2 × the single engine's time.
// The swarm leg runs when the test swarm's helper exists (the swarm runtime's branch brings it); without it the leg is
// skipped with the reason printed, and the single engine's figure is reported alone.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';
import { loadSettings } from '../../src/settings.js';
import { createApp, fixture, waitFor } from '../support/build.js';
import { startTestDaemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { deploy, dynos, scale, waitForDynos } from '../dynos/helpers.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const N = 20;
const SWARM_HELPER = fileURLToPath(new URL('../support/swarm.ts', import.meta.url));

/** What the bench uses of test/support/swarm.ts (imported by path, so this file compiles without it). */
interface SwarmHelper {
  useTestSwarm(images: readonly string[]): Promise<{ readonly managerHost: string; readonly engines: string; readonly manager: { readonly address: string } }>;
}

/** The daemon environment of the swarm leg, or why there is none. */
async function swarmEnvironment(): Promise<Record<string, string> | string> {
  if (!existsSync(SWARM_HELPER)) return 'test/support/swarm.ts (the test swarm) is not on this branch';
  const helper = (await import(SWARM_HELPER)) as SwarmHelper;
  const settings = loadSettings();
  const swarm = await helper.useTestSwarm([settings.stackRunImage, settings.stackBuildImage]);
  const address = swarm.manager.address;
  return {
    BERTH_RUNTIME: 'swarm',
    BERTH_SWARM_MANAGER: swarm.managerHost,
    BERTH_SWARM_ENGINES: swarm.engines,
    BERTH_SWARM_ADDRESS: address,
    BERTH_SWARM_REGISTRY: `${address}:${await freePort()}`,
    BERTH_ADVERTISE_ADDRESS: address,
  };
}

/** Seconds from `ps:scale web=20` until all 20 are `up`, on a fresh daemon with `env`; the daemon is gone after. */
async function scaleTo20(env: Readonly<Record<string, string>>): Promise<number> {
  const daemon = await startTestDaemon({ env });
  try {
    const app = await createApp(daemon, 'bench');
    await deploy(daemon, app.name, fixture('lifecycle'));
    await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
    await scale(daemon, app.name, [{ type: 'web', quantity: 0 }]);
    await waitFor('no dynos', async () => (await dynos(daemon, app.name)).length === 0);
    const started = performance.now();
    await scale(daemon, app.name, [{ type: 'web', quantity: String(N) }]);
    await waitFor(
      `${N} dynos up`,
      async () => {
        const list = await dynos(daemon, app.name);
        return list.length === N && list.every((d) => d.state === 'up');
      },
      300_000,
    );
    const seconds = (performance.now() - started) / 1000;
    await scale(daemon, app.name, [{ type: 'web', quantity: 0 }]);
    await waitFor('no dynos', async () => (await dynos(daemon, app.name)).length === 0);
    return seconds;
  } finally {
    await daemon.dispose();
  }
}

describe('dynos across nodes', () => {
  bench(
    `ps:scale web=${N} until all up: single engine and swarm`,
    async () => {
      const single = await scaleTo20({ BERTH_RUNTIME: 'docker' });
      const swarmEnv = await swarmEnvironment();
      const swarm = typeof swarmEnv === 'string' ? undefined : await scaleTo20(swarmEnv);
      console.log(`\nScale benchmark (issue 19): ${cpus().length} CPUs, ${N} web dynos of fixtures/lifecycle, from the API call until all are up.`);
      console.table([
        { runtime: 'single engine (BERTH_RUNTIME=docker)', 'all up s': single.toFixed(2) },
        { runtime: 'swarm (BERTH_RUNTIME=swarm)', 'all up s': swarm === undefined ? 'skipped' : swarm.toFixed(2) },
      ]);
      if (swarm === undefined) console.log(`Swarm leg skipped: ${String(swarmEnv)}. Target (swarm ≤ 2 × single engine) not measured.\n`);
      else {
        const ratio = swarm / single;
        console.log(`Ratio swarm / single engine: ${ratio.toFixed(2)} (target ≤ 2: ${ratio <= 2 ? 'meets' : 'misses'} it).\n`);
      }
    },
    once,
  );
});
