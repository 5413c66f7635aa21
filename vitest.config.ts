import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Integration suites run twice: once on SQLite, once on a throwaway PostgreSQL cluster.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    // Test files mostly wait (servers, PostgreSQL, timers): at least two run at once even on a
    // 2-core machine, where vitest's default (cores - 1) ran them one by one (13 min instead of 8.5).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default', './test/setup/summary-reporter.ts'],
    hookTimeout: 60_000,
    setupFiles: ['test/setup/temp-dirs.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          env: { SIGHTLINE_TEST_DB: 'sqlite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          env: { SIGHTLINE_TEST_DB: 'postgres' },
          globalSetup: ['test/setup/postgres.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
