/**
 * Once per `vitest run`: start one real Temporal dev server (the official CLI) and bundle the workflows once.
 * Test files connect with inject('temporalAddress') and use their own task queues.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.js';
import { resolveTemporalCli, startDevServer, TemporalCliMissingError } from '../../src/temporal/dev-server.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';
import { newLogFile } from './log-file.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const cfg = loadConfig();
  project.provide('workerLogFile', await newLogFile());
  const cli = resolveTemporalCli({ explicit: cfg.temporalCliPath, cacheDir: cfg.cacheDir });
  if (!cli) throw new TemporalCliMissingError();
  const dir = await mkdtemp(join(tmpdir(), 'storyreel-test-'));
  const [server, bundle] = await Promise.all([
    startDevServer({
      cliPath: cli.path,
      logFile: join(dir, 'temporal.log'),
      // Small continue-as-new threshold so batch tests see it without thousands of events.
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=400'],
    }),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    }),
  ]);
  const bundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('temporalCliPath', cli.path);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
