import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Buffers compared by their bytes at native speed (test/helpers/setup.ts).
    setupFiles: ['test/helpers/setup.ts'],
    // TMPDIR: one temp folder for the run, removed at its end (test/helpers/global-tmp.ts).
    globalSetup: ['test/helpers/global-tmp.ts'],
    // Two cores on CI, but many tests wait on emulator timers and child processes: with two forks the
    // suite used 1.33 of its 2 cores (640 s); three use 1.61 and took 502 s, every test passing.
    pool: 'forks',
    maxWorkers: 3,
    // Each fork keeps its modules from one test file to the next instead of importing them again
    // (no test mocks a module or stubs a global; each one closes what it opens). Importing per
    // file cost 137 s of the CI's 505 s: the unit tests went from 60 s to 13 s.
    isolate: false,
  },
});
