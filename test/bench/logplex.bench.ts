// `npm run bench`: lines/s from one writer through logplex to a `logs --tail` SSE subscriber and to HTTPS, syslog and syslog+tls drains,
// with the count lost. Target: 0 lost at 10,000 lines/s. No dyno manager yet: the lines are written with
// Logplex.write in-process (the call the dyno manager makes for each line of a dyno's output).
import { bench, describe } from 'vitest';
import { describeRun, runLogplex } from './logplex-harness.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe('logplex', () => {
  bench(
    '10,000 lines/s for 5 s (100-byte lines) to a tail and an HTTPS drain',
    async () => {
      console.log(describeRun(await runLogplex({ label: '10k/s x 5 s', total: 50_000, rate: 10_000 })));
    },
    once,
  );

  bench(
    '10,000 lines/s for 5 s in bursts of 2,000 lines (as a busy dyno\'s output arrives under load)',
    async () => {
      console.log(describeRun(await runLogplex({ label: '10k/s in bursts of 2,000', total: 50_000, rate: 10_000, batch: 2000 })));
    },
    once,
  );

  bench(
    'as fast as possible, 200,000 lines',
    async () => {
      console.log(describeRun(await runLogplex({ label: 'max rate', total: 200_000, rate: 0, batch: 200 })));
    },
    once,
  );
});
