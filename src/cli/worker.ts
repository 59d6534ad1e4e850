/** `storyreel worker`: a long-running worker against TEMPORAL_ADDRESS (or the work dir's embedded server). */
import { createWorker } from '../worker.js';
import { config, connect, EXIT, installRuntime, nativeConnection, type Io } from './common.js';

export async function workerCommand(opts: { embedded?: boolean }, io: Io): Promise<number> {
  const cfg = config();
  installRuntime('INFO');
  const conn = await connect(cfg, { embedded: !!opts.embedded, ui: true, io });
  await conn.close();
  const native = await nativeConnection(conn.address);
  const worker = await createWorker({
    connection: native,
    namespace: cfg.namespace,
    taskQueue: cfg.taskQueue,
    workDir: cfg.workDir,
    maxConcurrentActivities: cfg.maxConcurrentActivities,
    providerLimits: cfg.providerLimits,
    ...(cfg.workflowBundlePath ? { workflowBundle: { codePath: cfg.workflowBundlePath } } : {}),
    maxCachedWorkflows: cfg.maxCachedWorkflows,
  });
  io.err(`worker: task queue ${cfg.taskQueue} on ${conn.address}, work dir ${cfg.workDir}`);
  await worker.run();
  await native.close();
  return EXIT.ok;
}
