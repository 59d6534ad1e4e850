/** Shared benchmark plumbing: a fresh dev server, a worker with the product's activities plus a no-op. */
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { loadConfig } from '../src/config.js';
import { ProviderRegistry } from '../src/providers/registry.js';
import { DirectoryClipStore } from '../src/store/clip-store.js';
import { resolveTemporalCli, startDevServer, TemporalCliMissingError, type DevServer } from '../src/temporal/dev-server.js';
import { StoryreelClient } from '../src/client/index.js';
import { storePaths } from '../src/worker.js';
import { FileJobLedger } from '../src/store/job-ledger.js';
import { assemblyQueue, submitQueue } from '../src/contracts/names.js';

export interface Bench {
  server: DevServer;
  client: StoryreelClient;
  temporal: Client;
  taskQueue: string;
  workDir: string;
  startWorker(opts?: { maxConcurrentActivities?: number }): Promise<{ worker: Worker; stop(): Promise<void> }>;
  close(): Promise<void>;
}

export async function openBench(extraArgs: string[] = []): Promise<Bench> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cfg = loadConfig();
  const cli = resolveTemporalCli({ explicit: cfg.temporalCliPath, cacheDir: cfg.cacheDir });
  if (!cli) throw new TemporalCliMissingError();
  const workDir = await mkdtemp(join(tmpdir(), 'storyreel-bench-'));
  const server = await startDevServer({ cliPath: cli.path, logFile: join(workDir, 'temporal.log'), extraArgs });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const taskQueue = 'bench';
  const client = await StoryreelClient.connect({ address: server.address, taskQueue, outDir: join(workDir, 'out') });
  const connection = await Connection.connect({ address: server.address });
  const temporal = new Client({ connection });
  return {
    server,
    client,
    temporal,
    taskQueue,
    workDir,
    async startWorker(opts = {}) {
      const native = await NativeConnection.connect({ address: server.address });
      const paths = storePaths(workDir);
      const providers = new ProviderRegistry({ workDir, env: process.env });
      const activities = {
        ...createActivities({
          store: new DirectoryClipStore(paths.store),
          speechRoot: paths.store,
          jobs: new FileJobLedger(paths.jobs),
          providers,
          tmpDir: paths.tmp,
          env: process.env,
          workDir,
        }),
        noop: async (i: number) => i,
      };
      const worker = await Worker.create({
        connection: native,
        taskQueue,
        workflowBundle: bundle,
        activities,
        maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 64,
        maxCachedWorkflows: 2000,
      });
      const submitWorkers = await Promise.all(
        providers.names().map((p) =>
          Worker.create({
            connection: native,
            taskQueue: submitQueue(taskQueue, p),
            activities,
            maxConcurrentActivityTaskExecutions: 16,
          }),
        ),
      );
      const assemblyWorker = await Worker.create({
        connection: native,
        taskQueue: assemblyQueue(taskQueue),
        activities,
        maxConcurrentActivityTaskExecutions: 16,
      });
      const all = [worker, ...submitWorkers, assemblyWorker];
      const running = Promise.all(all.map((w) => w.run()));
      return {
        worker,
        async stop() {
          for (const w of all) w.shutdown();
          await running;
          await native.close();
        },
      };
    },
    async close() {
      await client.close();
      await connection.close();
      await server.stop();
    },
  };
}

export const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

export interface ActivitySpan {
  type: string;
  scheduled: number;
  /** NaN while it has not completed. */
  done: number;
}

/** A workflow's start and close times (ms) and every activity it scheduled, from its history. */
export async function activitySpans(temporal: Client, workflowId: string): Promise<{ start: number; end: number; spans: ActivitySpan[] }> {
  const events = (await temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  const byEventId = new Map<string, ActivitySpan>();
  const spans: ActivitySpan[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const span = { type: scheduled.activityType?.name ?? '?', scheduled: at(e), done: NaN };
      byEventId.set(String(e.eventId), span);
      spans.push(span);
    }
    const completed = e.activityTaskCompletedEventAttributes;
    const span = completed && byEventId.get(String(completed.scheduledEventId));
    if (span) span.done = at(e);
  }
  return { start: events.length ? at(events[0]!) : NaN, end: events.length ? at(events.at(-1)!) : NaN, spans };
}

/** Duration of each activity type in a workflow history (ms), from scheduled to completed events. */
export async function activityTimes(temporal: Client, workflowId: string): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const s of (await activitySpans(temporal, workflowId)).spans) {
    if (!Number.isNaN(s.done)) totals.set(s.type, (totals.get(s.type) ?? 0) + s.done - s.scheduled);
  }
  return totals;
}
