/** A worker and a client on the suite's dev server, with a unique task queue and a temp work dir per call. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { StoryreelClient } from '../../src/client/index.js';
import type { ProviderFactory } from '../../src/providers/registry.js';
import { createWorker, type StoryreelWorker, type WorkerSetup } from '../../src/worker.js';

export interface TestWorker {
  address: string;
  taskQueue: string;
  workDir: string;
  outDir: string;
  client: StoryreelClient;
  temporal: Client;
  worker: StoryreelWorker;
  /** Stops the worker (waiting for it) and closes connections; keeps files unless cleanup is true. */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
}

export async function startTestWorker(
  opts: {
    /** Default: the suite's server (inject('temporalAddress')). */
    address?: string;
    workDir?: string;
    taskQueue?: string;
    providerFactories?: Record<string, ProviderFactory>;
    env?: Record<string, string | undefined>;
    workerOptions?: WorkerSetup['workerOptions'];
    maxConcurrentActivities?: number;
    providerLimits?: WorkerSetup['providerLimits'];
  } = {},
): Promise<TestWorker> {
  const address = opts.address ?? inject('temporalAddress');
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), 'storyreel-work-')));
  const outDir = join(workDir, 'out');
  const native = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection: native,
    taskQueue,
    workDir,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    ...(opts.providerFactories ? { providerFactories: opts.providerFactories } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.workerOptions ? { workerOptions: opts.workerOptions } : {}),
    ...(opts.maxConcurrentActivities ? { maxConcurrentActivities: opts.maxConcurrentActivities } : {}),
    ...(opts.providerLimits ? { providerLimits: opts.providerLimits } : {}),
  });
  const running = worker.run();
  const client = await StoryreelClient.connect({ address, taskQueue, outDir });
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection });
  return {
    address,
    taskQueue,
    workDir,
    outDir,
    client,
    temporal,
    worker,
    async stop({ cleanup = false } = {}) {
      worker.shutdown();
      await running.catch(() => undefined);
      await native.close();
      await client.close();
      await connection.close();
      if (cleanup) await rm(workDir, { recursive: true, force: true });
    },
  };
}
