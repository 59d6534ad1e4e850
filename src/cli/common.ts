/**
 * What CLI commands share: exit codes, config, connecting (to TEMPORAL_ADDRESS or the work dir's embedded
 * server), progress rendering.
 */
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { join } from 'node:path';
import { BatchConflictError, checkedId, ProductionConflictError, StoryreelClient } from '../client/index.js';
import { planFile } from '../load/load-storyboard.js';
import { createWorker, type StoryreelWorker, type WorkerSetup } from '../worker.js';
import type { TemporalConnectionOptions } from '../temporal/profile.js';
import { localSpeechMeasurer } from '../speech/measure.js';
import { catalog } from '../providers/catalog.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { StoryboardError } from '../storyboard/errors.js';
import { ensureWorkDirServer, resolveTemporalCli, TemporalCliMissingError, type DevServer } from '../temporal/dev-server.js';
import type { ProductionProgress } from '../../workflows/definitions.js';
import cliProgress from 'cli-progress';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A user error: message to stderr, exit 2, nothing started. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
}

export const stdio: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  isTTY: !!process.stdout.isTTY,
};

let runtimeInstalled = false;
/** Before any worker or native connection exists in this process. */
export function installRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  const levels: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      // Submit-queue workers run activities only; the SDK warns about that on every start.
      if (entry.message.startsWith('No workflows registered')) return;
      if (levels.indexOf(entry.level) < levels.indexOf(level)) return;
      process.stderr.write(
        `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${entry.meta ? ` ${JSON.stringify(entry.meta)}` : ''}\n`,
      );
    }),
  });
  runtimeInstalled = true;
}

export function config(): Config {
  return loadConfig();
}

/** Loads, checks and plans a storyboard the way every command does (bad input throws StoryboardError → exit 2). */
export function planStoryboard(
  cfg: Config,
  file: string,
  opts: { id?: string | undefined; allowOutsideAssets?: boolean | undefined } = {},
) {
  return planFile(file, {
    catalog,
    ...(opts.allowOutsideAssets ? { allowAssetsOutside: true } : {}),
    envBaseURL: cfg.envBaseURL,
    enhancer: { cacheDir: join(cfg.workDir, 'enhancer'), env: process.env },
    measureSpeech: localSpeechMeasurer(cfg.workDir),
    ...(opts.id ? { productionId: checkedId(opts.id) } : {}),
  });
}

export interface Connected {
  client: StoryreelClient;
  address: string;
  server: (DevServer & { reused: boolean }) | undefined;
  close(): Promise<void>;
}

/** Connects to TEMPORAL_ADDRESS, or (embedded mode) to this work dir's dev server, starting it if needed. */
export async function connect(cfg: Config, opts: { embedded: boolean; ui?: boolean; keepServer?: boolean; io: Io }): Promise<Connected> {
  let address = cfg.temporalAddress;
  let server: Connected['server'];
  if (!address) {
    if (!opts.embedded)
      throw new UsageError('set TEMPORAL_ADDRESS (host:port of your Temporal server), or use `storyreel run`, which starts one');
    const cli = resolveTemporalCli({ explicit: cfg.temporalCliPath, cacheDir: cfg.cacheDir });
    if (!cli) throw new TemporalCliMissingError();
    server = await ensureWorkDirServer({ cliPath: cli.path, workDir: cfg.workDir, ui: opts.ui ?? true });
    address = server.address;
    opts.io.err(
      `temporal: ${server.reused ? 'using the running' : 'started a'} dev server at ${address}${server.uiUrl ? ` (Web UI: ${server.uiUrl})` : ''}`,
    );
  }
  const client = await StoryreelClient.connect({
    ...(server ? { address } : temporalConnection(cfg, address)),
    namespace: cfg.namespace,
    taskQueue: cfg.taskQueue,
    outDir: cfg.outDir,
    envBaseURL: cfg.envBaseURL,
    workDir: cfg.workDir,
  });
  return {
    client,
    address,
    server,
    /** Closes the client, and stops the dev server if this command started it (unless told to keep it). */
    close: async () => {
      await client.close();
      if (server && !server.reused && !opts.keepServer) await server.stop();
    },
  };
}

/**
 * A worker in this CLI process only in embedded mode (no TEMPORAL_ADDRESS): against a shared server, `run`,
 * `resume` and `batch run` never poll the shared task queue (they would take other productions' tasks and write
 * their clips to this machine). They warn when no worker polls the queue.
 */
export async function localWorker(cfg: Config, conn: Connected, io: Io): Promise<{ run(): Promise<void>; stop(): Promise<void> }> {
  if (cfg.temporalAddress) {
    if (!(await conn.client.hasWorkers())) {
      io.err(
        `no worker polls task queue "${cfg.taskQueue}" on ${conn.address}; start one there with \`storyreel worker\` (this command only submits and follows)`,
      );
    }
    return { run: async () => {}, stop: async () => {} };
  }
  const { worker, close } = await workerFromConfig(cfg, conn.address);
  const running = worker.run();
  return {
    run: () => running,
    stop: async () => {
      worker.shutdown();
      await running;
      await close();
    },
  };
}

/** The profile's connection options (TLS, API key) when `address` is the configured server, else plain. */
export function temporalConnection(cfg: Config, address: string): TemporalConnectionOptions {
  const profile = cfg.temporalConnection();
  return profile && profile.address === address ? profile : { address };
}

/** A worker for this process, configured from the environment (limits, prebuilt bundle, concurrency). */
export async function workerFromConfig(
  cfg: Config,
  address: string,
  extra: Pick<WorkerSetup, 'shutdownGraceMs' | 'activityInterceptors'> = {},
): Promise<{ worker: StoryreelWorker; connection: NativeConnection; close(): Promise<void> }> {
  const native = await NativeConnection.connect(temporalConnection(cfg, address));
  const worker = await createWorker({
    ...extra,
    connection: native,
    namespace: cfg.namespace,
    taskQueue: cfg.taskQueue,
    workDir: cfg.workDir,
    maxConcurrentActivities: cfg.maxConcurrentActivities,
    maxCachedWorkflows: cfg.maxCachedWorkflows,
    providerLimits: cfg.providerLimits,
    roles: cfg.workerRoles,
    ...(cfg.deployment ? { deployment: cfg.deployment } : {}),
    ...(cfg.workflowBundlePath ? { workflowBundle: { codePath: cfg.workflowBundlePath } } : {}),
  });
  return { worker, connection: native, close: () => native.close() };
}

/** Maps an error to an exit code and a message for the user. */
export function reportError(err: unknown, io: Io): number {
  if (
    err instanceof StoryboardError ||
    err instanceof UsageError ||
    err instanceof BatchConflictError ||
    err instanceof ProductionConflictError
  ) {
    io.err(err.message);
    return EXIT.usage;
  }
  if (err instanceof TemporalCliMissingError) {
    io.err(err.message);
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    io.err(`configuration: ${err.message}`);
    return EXIT.usage;
  }
  io.err(`error: ${(err as Error).message ?? String(err)}`);
  return EXIT.failed;
}

const SCENE_STATE_LABEL: Record<string, string> = {
  planned: 'waiting',
  submitted: 'submitted',
  rendering: 'rendering',
  downloaded: 'downloading',
  ready: 'ready',
  failed: 'FAILED',
};

/** Progress: a bar per scene on a TTY, one plain line per change otherwise. */
export function progressRenderer(io: Io): { update(p: ProductionProgress): void; stop(): void } {
  if (!io.isTTY) {
    const seen = new Map<string, string>();
    let lastState = '';
    return {
      update(p) {
        for (const s of p.scenes) {
          const line = `${SCENE_STATE_LABEL[s.state] ?? s.state}${s.state === 'rendering' ? ` ${Math.round(s.progress * 100)}%` : ''}${s.cached ? ' (from cache)' : ''}${s.reason ? `: ${s.reason.message}` : ''}`;
          if (seen.get(s.id) !== line) {
            seen.set(s.id, line);
            io.out(`[${p.percent.toFixed(0).padStart(3)}%] scene ${s.id}: ${line}`);
          }
        }
        if (p.state !== lastState) {
          lastState = p.state;
          io.out(`[${p.percent.toFixed(0).padStart(3)}%] production ${p.productionId}: ${p.state}${p.message ? ` — ${p.message}` : ''}`);
        }
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { format: ' {label} |{bar}| {percentage}% {status}', hideCursor: true, clearOnComplete: false, barsize: 24, stopOnComplete: false },
    cliProgress.Presets.shades_grey,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let total: cliProgress.SingleBar | undefined;
  return {
    update(p) {
      const width = Math.max(10, ...p.scenes.map((s) => s.id.length));
      total ??= multi.create(100, 0, { label: 'production'.padEnd(width), status: '' });
      for (const s of p.scenes) {
        let bar = bars.get(s.id);
        if (!bar) bars.set(s.id, (bar = multi.create(100, 0, { label: s.id.padEnd(width), status: '' })));
        const pct =
          s.state === 'ready'
            ? 100
            : s.state === 'downloaded'
              ? 95
              : s.state === 'rendering'
                ? 10 + 80 * s.progress
                : s.state === 'submitted'
                  ? 10
                  : 0;
        bar.update(Math.round(pct), {
          status: `${SCENE_STATE_LABEL[s.state] ?? s.state}${s.cached ? ' (cache)' : ''}${s.reason ? `: ${s.reason.message.slice(0, 60)}` : ''}`,
        });
      }
      total.update(Math.round(p.percent), { status: `${p.state} · $${p.costUsd.toFixed(2)}` });
    },
    stop() {
      multi.stop();
    },
  };
}

export function formatUsd(n: number): string {
  return `$${n.toFixed(2)}`;
}
