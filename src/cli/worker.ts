/** `storyreel worker`: a long-running worker against TEMPORAL_ADDRESS (or the work dir's embedded server). */
import { config, connect, EXIT, installRuntime, workerFromConfig, type Io } from './common.js';

export async function workerCommand(opts: { embedded?: boolean }, io: Io): Promise<number> {
  const cfg = config();
  installRuntime('INFO');
  const conn = await connect(cfg, { embedded: !!opts.embedded, ui: true, keepServer: true, io });
  await conn.close();
  const { worker, close } = await workerFromConfig(cfg, conn.address);
  io.err(
    `worker: task queue ${cfg.taskQueue} on ${conn.address}, roles ${cfg.workerRoles.join(',')}, work dir ${cfg.workDir}, store ${worker.storage?.description ?? 'directory'}, workflows: ${worker.workflows}`,
  );
  await worker.run();
  await close();
  return EXIT.ok;
}
