/**
 * The composition root: config → adapters (providers, store) → createActivities(deps) → Worker.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { checkMediaTools } from './media/probe.js';
import { ProviderRegistry, type ProviderFactory } from './providers/registry.js';
import { ClipStore } from './store/clip-store.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerSetup {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  workDir: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** A prebuilt bundle (tests, production images); otherwise workflows are bundled at start. */
  workflowBundle?: { codePath: string } | { code: string };
  maxConcurrentActivities?: number;
  maxCachedWorkflows?: number;
  providerFactories?: Record<string, ProviderFactory>;
  identity?: string;
  /** Extra options passed through (shutdown grace, tuning). */
  workerOptions?: Partial<WorkerOptions>;
}

export function storePaths(workDir: string) {
  return { store: join(workDir, 'store'), tmp: join(workDir, 'tmp') };
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  await checkMediaTools();
  const paths = storePaths(setup.workDir);
  const providers = new ProviderRegistry({
    workDir: setup.workDir,
    env: setup.env ?? process.env,
    ...(setup.providerFactories ? { factories: setup.providerFactories } : {}),
  });
  const activities = createActivities({ store: new ClipStore(paths.store), providers, tmpDir: paths.tmp, env: setup.env ?? process.env, workDir: setup.workDir });
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace ?? 'default',
    taskQueue: setup.taskQueue,
    activities,
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { ignoreModules: ignoredModules() } }),
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivities ?? 16,
    maxCachedWorkflows: setup.maxCachedWorkflows ?? 200,
    shutdownGraceTime: '10s',
    ...(setup.identity ? { identity: setup.identity } : {}),
    ...setup.workerOptions,
  });
}

/** Modules that type-only imports drag into the workflow bundle graph; never executed in workflows. */
export function ignoredModules(): string[] {
  return [];
}

export const requireFromHere = createRequire(import.meta.url);
