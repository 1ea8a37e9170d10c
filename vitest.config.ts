import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores on CI: a couple of forks keeps wall time low without starving the emulator.
    pool: 'forks',
    maxWorkers: 2,
  },
});
