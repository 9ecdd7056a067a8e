// `npm run bench`: git push to deployed and to the first 200 with the new content through the router, for node-basic:
// a first push, and warm pushes of one changed file; and first pushes of node-npm-deps. Targets (issue 12) on a 2-core
// machine: a warm push serves its change within 3 s; a first push with npm dependencies serves within 10 s.
import { bench, describe } from 'vitest';
import { describePushBench, runNpmDepsPushBench, runPushBench } from './push-harness.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe('push', () => {
  bench(
    'git push node-basic: first pushes, then warm pushes of one changed file',
    async () => {
      console.log(describePushBench(await runPushBench()));
    },
    once,
  );
  bench(
    'git push node-npm-deps: first push of a new app (packages from a loopback registry)',
    async () => {
      console.log(describePushBench(await runNpmDepsPushBench()));
    },
    once,
  );
});
