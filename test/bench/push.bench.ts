// `npm run bench`: git push to deployed (and to the first 200 through the router once it serves) for node-basic:
// a first push and a second push with one changed file. Target (issue 7): under 8 s first, under 5 s second, to
// serving, on a 2-core machine.
import { bench, describe } from 'vitest';
import { describePushBench, runPushBench } from './push-harness.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe('push', () => {
  bench(
    'git push node-basic: first push (cold, warm) and a second push with one changed file',
    async () => {
      console.log(describePushBench(await runPushBench()));
    },
    once,
  );
});
