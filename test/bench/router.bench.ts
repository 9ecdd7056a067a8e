// `npm run bench`: the router against the same dyno straight, through nginx, and through the two proxy cores it could
// be built on. Target (issue 5): router >= 0.5 x nginx req/s with every feature on, p99 <= 2 x nginx's.
import { bench, describe } from 'vitest';
import { describeRouterBench, runRouterBench } from './router-harness.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const options = { seconds: 5, connections: 50 };

describe('router', () => {
  bench(
    'hello world, 50 connections: direct, router, bare undici Pool, bare http-proxy, nginx',
    async () => {
      console.log(describeRouterBench(await runRouterBench(options), options));
    },
    once,
  );
});
