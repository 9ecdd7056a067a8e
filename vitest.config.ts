// Test naming convention (every room follows it):
//   test/<room>/*.test.ts      unit tests: fast and pure; no Docker, no network beyond loopback sockets they open.
//   test/**/*.int.test.ts      integration tests: the real Docker engine, real containers, real git/CLI.
//                              They run one file at a time (2 cores, one engine) with long timeouts,
//                              after test/global-setup.ts has ensured the engine and the stack images.
//   the harness project: the integration files of `berth/testing`, `berth up --ephemeral` and `berth watch`
//                              (HARNESS below). Each starts Berths of its own, so they run in parallel with each
//                              other, several Berths side by side on one engine: what the harness promises its users.
// `npm test` runs all three projects (unit, then harness, then the one-at-a-time integration files); `npm run test:unit` only the unit one.
// `npm run bench` runs test/bench/*.bench.ts once each, in the integration project (engine and stack images ready).
import { defineConfig } from 'vitest/config';

const HARNESS = ['test/testing/**/*.int.test.ts', 'test/cli/ephemeral.int.test.ts', 'test/cli/watch.int.test.ts'];

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
          exclude: [...HARNESS, 'node_modules/**'],
          benchmark: { include: ['test/bench/**/*.bench.ts'] },
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'harness',
          include: HARNESS,
          benchmark: { include: [] },
          globalSetup: ['test/global-setup.ts'],
          // Every harness file (four today) at once (mostly waiting on builds and dyno boots, not on the CPU). Its own group
          // (vitest runs groups one after another, each with its own worker count), after the unit files.
          maxWorkers: 4,
          sequence: { groupOrder: 1 },
          // Files in parallel share 2 cores: a budget, not a timing assertion.
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
