import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.js'],
    // Each test file starts its own Berth; files run in parallel, side by side on one Docker engine.
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});
