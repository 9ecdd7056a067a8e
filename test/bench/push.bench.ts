// `npm run bench`: git push to deployed and to the first 200 with the new content through the router, for node-basic:
// a first push, and warm pushes of one changed file. Target (issue 12): a warm push serves its change within 3 s on a
// 2-core machine.
import { bench, describe } from 'vitest';
import { describePushBench, runPushBench } from './push-harness.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe('push', () => {
  bench(
    'git push node-basic: first pushes, then warm pushes of one changed file',
    async () => {
      console.log(describePushBench(await runPushBench()));
    },
    once,
  );
});
