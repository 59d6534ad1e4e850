/** What every part of the client shares: one Temporal client and connection, the task queue, where outputs go. */
import type { Client, Connection } from '@temporalio/client';

export interface ClientContext {
  temporal: Client;
  connection: Connection;
  namespace: string;
  taskQueue: string;
  /** Absolute root for outputs: <outDir>/<production id>/, <outDir>/<batch id>/. */
  outDir: string;
  /** Client-side work dir (the prompt enhancer's answers, batch item lists). */
  workDir: string;
  /** Whether storyreel's search attributes exist on the server (asked once per client). */
  searchAttributesRegistered(): Promise<boolean>;
}
