// The Runtime contract on the real engine (integration tier); memory-contract.test.ts runs the same in memory.
import { DockerRuntime } from '../../src/runtime/index.js';
import { loadSettings } from '../../src/settings.js';
import { runtimeContract } from './contract.js';

runtimeContract('docker', async () => {
  const settings = loadSettings();
  return { runtime: await DockerRuntime.connect(settings), image: settings.stackRunImage };
});
