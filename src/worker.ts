/**
 * The composition root: config → adapters (providers, store) → createActivities(deps) → Workers.
 *
 * A storyreel worker process polls the main task queue (workflows and most activities) and, per provider, that
 * provider's submit queue, whose rate the server enforces for all workers at once
 * (maxTaskQueueActivitiesPerSecond from `providerLimits`).
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { requireFfmpeg } from './media/check-ffmpeg.js';
import { ProviderRegistry, type ProviderFactory } from './providers/registry.js';
import { ClipStore } from './store/clip-store.js';
import { FileJobLedger } from './store/job-ledger.js';
import { submitQueue } from './contracts/names.js';
import { activityTelemetryInterceptor } from '../activities/telemetry.js';

/** True when this module is the compiled JavaScript in dist/ (the package), false when run from the sources. */
const COMPILED = !import.meta.url.endsWith('.ts');

/** The workflows' entry: the TypeScript sources in a checkout, the compiled JavaScript in the package. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index.${COMPILED ? 'js' : 'ts'}`, import.meta.url));

/**
 * The bundle `npm run build` writes beside the compiled sources (dist/workflow-bundle.js), built from the same
 * commit in the same step, so it cannot be stale. A source checkout has none and bundles its sources at start.
 */
export const PREBUILT_WORKFLOW_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/** Where a worker's workflow code comes from, and a line saying so for its log. */
export function workflowCode(given: WorkerSetup['workflowBundle']): {
  options: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>;
  description: string;
} {
  if (given)
    return { options: { workflowBundle: given }, description: 'codePath' in given ? `bundle ${given.codePath}` : 'bundle given in code' };
  if (COMPILED && existsSync(PREBUILT_WORKFLOW_BUNDLE))
    return {
      options: { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE } },
      description: `prebuilt bundle ${PREBUILT_WORKFLOW_BUNDLE}`,
    };
  return { options: { workflowsPath: WORKFLOWS_PATH }, description: `bundled at start from ${WORKFLOWS_PATH}` };
}

export interface ProviderLimits {
  /**
   * At most this many submits to the provider in any one-second window, across all workers (server-enforced).
   * The server's limiter (GCRA with a one-second burst tolerance in Temporal 1.29's matcher) lets up to
   * ⌊2/T⌋ + 1 tasks through in any second at spacing T, so a queue rate of N would allow about 2N. storyreel sets
   * the queue's rate to 0.4·N (T = 2.5/N): at most N in any second, with a quarter-second margin for network
   * jitter between the server and the provider. The sustained rate is therefore 0.4·N.
   */
  submitsPerSecond?: number;
}

export interface WorkerSetup {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  workDir: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** A bundle to use; default: the package's prebuilt one (dist/workflow-bundle.js), else the sources bundled at start. */
  workflowBundle?: { codePath: string } | { code: string };
  maxConcurrentActivities?: number;
  maxCachedWorkflows?: number;
  providerFactories?: Record<string, ProviderFactory>;
  providerLimits?: Record<string, ProviderLimits>;
  identity?: string;
  /**
   * How long a stopping worker lets in-flight activities finish before cancelling them; a cancelled attempt fails
   * as retryable and runs again on another worker. Default 10 s.
   */
  shutdownGraceMs?: number;
  /** Activity interceptors added after storyreel's own (log ids); e.g. OpenTelemetry's (src/telemetry/tracing.ts). */
  activityInterceptors?: NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']>;
  /** Extra options for the main worker (shutdown grace, tuning). */
  workerOptions?: Partial<WorkerOptions>;
}

export function storePaths(workDir: string) {
  return { store: join(workDir, 'store'), jobs: join(workDir, 'jobs'), tmp: join(workDir, 'tmp') };
}

/** The Workers of one process, run and stopped together. */
export class StoryreelWorker {
  constructor(
    readonly workers: Worker[],
    /** Where the workflow code came from (a prebuilt bundle, or the sources bundled at start). */
    readonly workflows: string,
  ) {}

  get main(): Worker {
    return this.workers[0]!;
  }

  getState() {
    return this.main.getState();
  }

  async run(): Promise<void> {
    const runs = this.workers.map((w) => w.run());
    try {
      await Promise.all(runs);
    } finally {
      this.shutdown();
      await Promise.allSettled(runs);
    }
  }

  shutdown(): void {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
  }
}

export async function createWorker(setup: WorkerSetup): Promise<StoryreelWorker> {
  await requireFfmpeg();
  const paths = storePaths(setup.workDir);
  const env = setup.env ?? process.env;
  const providers = new ProviderRegistry({
    workDir: setup.workDir,
    env,
    ...(setup.providerFactories ? { factories: setup.providerFactories } : {}),
  });
  const activities = createActivities({
    store: new ClipStore(paths.store),
    jobs: new FileJobLedger(paths.jobs),
    providers,
    tmpDir: paths.tmp,
    env,
    workDir: setup.workDir,
  });
  const interceptors: WorkerOptions['interceptors'] = {
    activity: [() => activityTelemetryInterceptor(), ...(setup.activityInterceptors ?? [])],
  };
  const common = {
    connection: setup.connection,
    namespace: setup.namespace ?? 'default',
    activities,
    shutdownGraceTime: setup.shutdownGraceMs ?? '10s',
    interceptors,
    ...(setup.identity ? { identity: setup.identity } : {}),
  } as const;
  const code = workflowCode(setup.workflowBundle);
  const main = await Worker.create({
    ...common,
    taskQueue: setup.taskQueue,
    ...code.options,
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivities ?? 16,
    maxCachedWorkflows: setup.maxCachedWorkflows ?? 200,
    ...setup.workerOptions,
  });
  const submitWorkers = await Promise.all(
    providers.names().map((name) => {
      const rate = setup.providerLimits?.[name]?.submitsPerSecond;
      return Worker.create({
        ...common,
        taskQueue: submitQueue(setup.taskQueue, name),
        maxConcurrentActivityTaskExecutions: 8,
        ...(rate ? { maxTaskQueueActivitiesPerSecond: serverRateFor(rate) } : {}),
      });
    }),
  );
  return new StoryreelWorker([main, ...submitWorkers], code.description);
}

/** The server-side queue rate that keeps submits within `perSecond` in every one-second window (see ProviderLimits). */
export function serverRateFor(perSecond: number): number {
  return perSecond * 0.4;
}
