// Integration tests need the Docker engine, the stack images and the add-on image. `npm test`'s pretest runs
// `berth setup`; this does the same again (a no-op when both are there), so `vitest run` alone works too.
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSettings } from '../src/settings.js';
import { ensureEngine } from '../src/host/index.js';
import { DockerRuntime } from '../src/runtime/index.js';
import { ensureAddonImage, ensureStackImages } from '../src/stack/index.js';
import { recordInstancesIn, sweepLeftovers } from './support/leftovers.js';
import { fillTestRegistry, startLoopbackRegistry, TEST_NPM_REGISTRY_ENV } from './support/npm-registry.js';
import { consoleProgress } from './support/progress.js';
import { stopTestSwarm, TEST_SWARM_DIR_ENV } from './support/swarm.js';

export default async function setup(): Promise<() => Promise<void>> {
  const settings = loadSettings();
  const progress = consoleProgress();
  const runtime = DockerRuntime.at(settings);
  await ensureEngine(settings, runtime, progress);
  await ensureStackImages(settings, runtime, progress);
  // Add-on servers (PostgreSQL, Redis) run from one image built once for every test file.
  await ensureAddonImage(settings, runtime, progress);
  // Builds in tests fetch npm packages from a loopback registry (tests send nothing off the machine): its tarballs
  // are fetched here, once per machine, like the stack images.
  const tarballs = join(homedir(), '.cache', 'berth', 'test-npm-registry');
  const count = await fillTestRegistry(tarballs);
  const npm = await startLoopbackRegistry([tarballs]);
  process.env[TEST_NPM_REGISTRY_ENV] = npm.url;
  // And for the Berths the harness files start (startBerth, `berth up --ephemeral`, the example projects), which take
  // the machine's BERTH_NPM_REGISTRY from their environment.
  process.env['BERTH_NPM_REGISTRY'] = npm.url;
  process.stdout.write(`-----> Loopback npm registry for the tests: ${count} packages at ${npm.url}\n`);
  const instances = join(mkdtempSync(join(tmpdir(), 'berth-test-run-')), 'instances');
  recordInstancesIn(instances);
  // The swarm tests' dockerds (test/support/swarm.ts) live here; the first file that needs them starts them.
  const swarmDir = join(mkdtempSync(join(tmpdir(), 'berth-swarm-')), 'swarm');
  process.env[TEST_SWARM_DIR_ENV] = swarmDir;
  return async () => {
    // The swarm failing to stop still fails the run, but only after the npm registry closed and the leftovers went.
    try {
      await stopTestSwarm(swarmDir);
      rmSync(dirname(swarmDir), { recursive: true, force: true });
    } finally {
      await npm.close();
      const left = await sweepLeftovers(instances);
      rmSync(dirname(instances), { recursive: true, force: true });
      // Printed, not failed on: a leak is found by the count in CI's log; the test that leaks is the one to fix.
      process.stdout.write(`engine leftovers after the integration tier: ${left.containers} containers, ${left.images} images, ${left.volumes} volumes (removed)\n`);
    }
  };
}
