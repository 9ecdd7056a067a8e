// The Runtime contract on the in-memory engine (unit tier); docker-contract.int.test.ts runs the same on Docker.
import { MemoryRuntime } from '../../src/runtime/index.js';
import { runtimeContract, scriptPrograms } from './contract.js';

runtimeContract('memory', async () => {
  const image = 'berth/heroku-24:run';
  const runtime = new MemoryRuntime({ images: [image] });
  scriptPrograms(runtime);
  return { runtime, image };
});
