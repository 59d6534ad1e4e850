import { defineConfig } from 'vitest/config';

// The production-shaped suite (npm run test:deploy): PostgreSQL, the Temporal server on it and an S3-compatible
// store, started once by its global setup. Files run one at a time: each production is CPU-heavy (ffmpeg) and a
// fault test must not slow another file's production into its timeouts.
export default defineConfig({
  test: {
    // forks, never threads: the Temporal native bridge crashes under worker threads.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 600_000,
    teardownTimeout: 120_000,
    globalSetup: ['./test/deploy/global-setup.ts'],
    setupFiles: ['./test/helpers/runtime.ts'],
    include: ['test/deploy/**/*.test.ts'],
    reporters: ['default'],
    // As in vitest.config.ts: console output only for failing tests; worker logs and warnings to the run's log file.
    silent: 'passed-only',
    execArgv: ['--no-warnings'],
  },
});
