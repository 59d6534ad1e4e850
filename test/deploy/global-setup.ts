/**
 * Once per `npm run test:deploy`: the production-shaped stack (PostgreSQL, the Temporal server on it, versitygw) in
 * a fresh directory, and the workflow bundle. Test files reach the server as they reach the dev server in the main
 * suite (inject('temporalAddress'), so test/helpers/temporal.ts works unchanged), and the stack's PostgreSQL and
 * object store through the values below.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.js';
import type { PostgresAddress } from '../../src/deploy/postgres.js';
import { startStack } from '../../src/deploy/stack.js';
import { resolveTemporalCli } from '../../src/temporal/dev-server.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';
import { newLogFile } from '../helpers/log-file.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stackPostgres: PostgresAddress;
    stackObjectStore: { endpoint: string; region: string; bucket: string; credentials: { accessKeyId: string; secretAccessKey: string } };
    stackCacheDir: string;
    /** The stack's directory (logs, generated config). */
    stackDir: string;
  }
}

export default async function setup(project: TestProject) {
  const cfg = loadConfig();
  project.provide('workerLogFile', await newLogFile());
  const dir = await mkdtemp(join(tmpdir(), 'storyreel-deploy-'));
  // PostgreSQL runs as an unprivileged user (it refuses root), which must be able to enter this directory.
  await chmod(dir, 0o755);
  const started = Date.now();
  const [stack, bundle] = await Promise.all([
    startStack({ dir: join(dir, 'stack'), cacheDir: cfg.cacheDir, log: (m) => process.stderr.write(`[stack] ${m}\n`) }),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    }),
  ]);
  process.stderr.write(`[stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const bundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, bundle.code);
  project.provide('temporalAddress', stack.temporal.address);
  project.provide('temporalCliPath', resolveTemporalCli({ explicit: cfg.temporalCliPath, cacheDir: cfg.cacheDir })?.path ?? '');
  project.provide('workflowBundlePath', bundlePath);
  const { host, port, user, password } = stack.postgres;
  project.provide('stackPostgres', { host, port, user, password });
  const { endpoint, region, bucket, credentials } = stack.objectStore;
  project.provide('stackObjectStore', { endpoint, region, bucket, credentials });
  project.provide('stackCacheDir', cfg.cacheDir);
  project.provide('stackDir', stack.dir);
  return async () => {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
