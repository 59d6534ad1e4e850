/**
 * Once per `vitest run`: start one real Temporal dev server (the official CLI) and bundle the workflows once.
 * Test files connect with inject('temporalAddress') and use their own task queues.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.js';
import { resolveTemporalCli, startDevServer, TemporalCliMissingError } from '../../src/temporal/dev-server.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    workflowBundlePath: string;
    /** This run's log file: every test process appends its worker and core logs here (test/helpers/runtime.ts). */
    workerLogFile: string;
  }
}

/** Logs of this many runs are kept (the oldest are removed). */
const KEEP_LOGS = 10;

/** A new log file for this run in <tmp>/storyreel-test-logs/, printed once so a failing run can be read in full. */
async function newLogFile(): Promise<string> {
  const dir = join(tmpdir(), 'storyreel-test-logs');
  await mkdir(dir, { recursive: true });
  const old = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  for (const f of old.slice(0, Math.max(0, old.length - KEEP_LOGS + 1))) await rm(join(dir, f), { force: true });
  const file = join(dir, `${new Date().toISOString().replaceAll(':', '-')}-${process.pid}.log`);
  await writeFile(file, '');
  process.stderr.write(`worker logs: ${file} (printed only with a failing test)\n`);
  return file;
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
