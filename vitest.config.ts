// Test naming convention (every room follows it):
//   test/<room>/*.test.ts      unit tests: fast and pure; no Docker, no network beyond loopback sockets they open.
//   test/**/*.int.test.ts      integration tests: the real Docker engine, real containers, real git/CLI.
//                              They run one file at a time (2 cores, one engine) with long timeouts,
//                              after test/global-setup.ts has ensured the engine and the stack images.
// `npm test` runs both projects; `npm run test:unit` only the unit one.
// `npm run bench` runs test/bench/*.bench.ts once each, in the integration project (engine and stack images ready).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // Unit files run in parallel beside the integration project on 2 cores; RSA key generation (tls/) can take
          // seconds under that load. A budget, not a timing assertion.
          testTimeout: 30_000,
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'node_modules/**'],
          // Benchmarks run once, in the integration project below (real engine, one file at a time).
          benchmark: { include: [] },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          benchmark: { include: ['test/bench/**/*.bench.ts'] },
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
