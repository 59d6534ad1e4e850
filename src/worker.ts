/**
 * The composition root: config → adapters (providers, store) → createActivities(deps) → Workers.
 *
 * A storyreel worker process polls the main task queue (workflows and most activities) and, per provider, that
 * provider's submit queue, whose rate the server enforces for all workers at once
 * (maxTaskQueueActivitiesPerSecond from `providerLimits`).
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { requireFfmpeg } from './media/check-ffmpeg.js';
import { ProviderRegistry, type ProviderFactory } from './providers/registry.js';
import { openStorage, storageRoots, type Storage } from './store/storage.js';
import { DirectoryClipStore } from './store/clip-store.js';
import { assemblyQueue, submitQueue, type WorkerRole } from './contracts/names.js';
import { assertDeploymentVersion, type DeploymentVersion } from './temporal/deployments.js';
import { publicBaseFrom } from './webhooks/provider-callback.js';
import { SpeechRegistry, type SpeechFactory } from './speech/registry.js';
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
  /** The provider's circuit breaker (workflows/provider-breaker.ts); defaults in workflows/breaker-rules.ts. */
  breaker?: { failures?: number; windowMs?: number; coolDownMs?: number };
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
  /** Speech providers by name, replacing the built-in ones (tests point them at mocks). */
  speechFactories?: Record<string, SpeechFactory>;
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
  /**
   * What this process runs (default both): `scenes` polls the main queue (workflows, scene activities) and the
   * provider submit queues; `assembly` polls the assembly queue (assembly and output writes).
   */
  roles?: readonly WorkerRole[];
  /** Where clips, the job ledger and outputs live; default: from the environment (STORYREEL_STORE, storage.ts). */
  storage?: Storage;
  /**
   * Worker Versioning (src/temporal/deployments.ts): every Worker of this process announces this version, and the
   * productions it starts are pinned to it. Unset: unversioned workers.
   */
  deployment?: DeploymentVersion;
}

/** The directory store's paths under a work dir (also where an object store's local cache and scratch live). */
export function storePaths(workDir: string) {
  const { store, jobs, tmp } = storageRoots(workDir);
  return { store, jobs, tmp };
}

/** The Workers of one process, run and stopped together. */
export class StoryreelWorker {
  constructor(
    readonly workers: Worker[],
    /** Where the workflow code came from (a prebuilt bundle, or the sources bundled at start). */
    readonly workflows: string,
    /** Where clips, the job ledger and outputs live. */
    readonly storage?: Storage,
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
      this.storage?.close();
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
  const roles = new Set(setup.roles ?? ['scenes', 'assembly']);
  publicBaseFrom(env); // a malformed STORYREEL_PUBLIC_URL stops the worker here, not every submit
  const storage = setup.storage ?? (await openStorage(env, setup.workDir));
  const providers = new ProviderRegistry({
    workDir: setup.workDir,
    env,
    ...(setup.providerFactories ? { factories: setup.providerFactories } : {}),
  });
  const activities = createActivities({
    store: storage.clips,
    speechRoot: storage.clips instanceof DirectoryClipStore ? storage.clips.root : paths.store,
    jobs: storage.jobs,
    outputs: storage.outputs,
    providers,
    tmpDir: paths.tmp,
    env,
    workDir: setup.workDir,
    breakers: Object.fromEntries(
      Object.entries(setup.providerLimits ?? {}).flatMap(([name, l]) => (l.breaker ? [[name, stripUndefined(l.breaker)]] : [])),
    ),
    speech: new SpeechRegistry(env, setup.speechFactories ?? {}),
  });
  if (setup.deployment) assertDeploymentVersion(setup.deployment);
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
    // Pinned: a production runs to its end on the build that started it (its workflow code never changes under it).
    ...(setup.deployment
      ? { workerDeploymentOptions: { version: setup.deployment, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' } as const }
      : {}),
  } as const;
  const code = workflowCode(setup.workflowBundle);
  const workers: Worker[] = [];
  if (roles.has('scenes')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: setup.taskQueue,
        ...code.options,
        maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivities ?? 16,
        maxCachedWorkflows: setup.maxCachedWorkflows ?? 200,
        ...setup.workerOptions,
      }),
    );
    for (const name of providers.names()) {
      const rate = setup.providerLimits?.[name]?.submitsPerSecond;
      workers.push(
        await Worker.create({
          ...common,
          taskQueue: submitQueue(setup.taskQueue, name),
          maxConcurrentActivityTaskExecutions: 8,
          ...(rate ? { maxTaskQueueActivitiesPerSecond: serverRateFor(rate) } : {}),
        }),
      );
    }
  }
  if (roles.has('assembly')) {
    // Assembly is CPU- and disk-heavy (ffmpeg): a few at a time per host.
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: assemblyQueue(setup.taskQueue),
        maxConcurrentActivityTaskExecutions: 4,
        ...(setup.workerOptions?.shutdownGraceTime ? { shutdownGraceTime: setup.workerOptions.shutdownGraceTime } : {}),
      }),
    );
  }
  if (!workers.length) throw new Error('a worker needs at least one role (scenes, assembly)');
  return new StoryreelWorker(workers, code.description, storage);
}

/** The server-side queue rate that keeps submits within `perSecond` in every one-second window (see ProviderLimits). */
export function serverRateFor(perSecond: number): number {
  return perSecond * 0.4;
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
