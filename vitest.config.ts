import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // One test file per core, and at least two. Vitest's default is one fewer than the cores, which is a
    // single file at a time on a 2-core machine; the files mostly wait (child processes, timers, the
    // database, Chromium): with one at a time the CPU sat 30–50% idle and the suite took 16 minutes.
    maxWorkers: Math.max(2, os.availableParallelism()),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
