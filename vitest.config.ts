import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // forks, never threads: the Temporal native bridge crashes under worker threads.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 240_000,
    teardownTimeout: 60_000,
    globalSetup: ['./test/helpers/global-setup.ts'],
    setupFiles: ['./test/helpers/runtime.ts'],
    include: ['test/**/*.test.ts'],
    // The production-shaped stack's suite has its own config (vitest.deploy.config.ts, npm run test:deploy).
    exclude: ['test/deploy/**', '**/node_modules/**'],
    reporters: ['default'],
    // Console output of a test is shown only when it fails; worker logs and process warnings go to a log file
    // (test/helpers/runtime.ts). With CI=true (.ci/run), a missing snapshot fails instead of being written.
    silent: 'passed-only',
    execArgv: ['--no-warnings'],
  },
});
