// `npm run bench`: the router against the same dyno straight, through nginx, and through a bare undici Pool proxy.
// Target (issue 12): router >= 0.75 x nginx req/s with every feature on, p99 <= 1.5 x nginx's.
import { bench, describe } from 'vitest';
import { describeRouterBench, runRouterBench } from './router-harness.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const options = { seconds: 5, connections: 50, warmSeconds: 5, rounds: 3 };

describe('router', () => {
  bench(
    'hello world, 50 connections: direct, bare undici Pool, then router and nginx in alternating rounds',
    async () => {
      console.log(describeRouterBench(await runRouterBench(options), options));
    },
    once,
  );
});
