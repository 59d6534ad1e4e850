/**
 * `storyreel worker`: a long-running worker against the configured Temporal server (or the work dir's embedded one).
 *
 * Operations (docs/deploy.md): JSON logs on stderr (pino, STORYREEL_LOG_LEVEL); Prometheus metrics on
 * STORYREEL_METRICS_ADDRESS; /healthz and /readyz on STORYREEL_HEALTH_ADDRESS; traces with OTEL_TRACES_EXPORTER.
 * SIGTERM or SIGINT drains: the worker stops polling at once (readiness turns 503), in-flight activities get
 * STORYREEL_SHUTDOWN_GRACE_S to finish, then are cancelled and fail as retryable, so another worker runs them
 * again; the process exits 0 once drained. A second signal only says it is still draining.
 */
import type { NativeConnection } from '@temporalio/worker';
import { startHealthServer, workerProbe, type HealthServer } from '../telemetry/health-server.js';
import { createLogger } from '../telemetry/logger.js';
import { installRuntime } from '../telemetry/runtime.js';
import { createTracing } from '../telemetry/tracing.js';
import { describeConnection } from '../temporal/profile.js';
import { config, connect, EXIT, temporalConnection, workerFromConfig, type Io } from './common.js';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export async function workerCommand(opts: { embedded?: boolean }, io: Io): Promise<number> {
  const cfg = config();
  const logger = createLogger({ level: cfg.telemetry.logLevel ?? 'info', base: { service: 'storyreel-worker' } });
  installRuntime({ logger, metricsAddress: cfg.telemetry.metricsAddress, shutdownSignals: [] });
  const tracing = createTracing(cfg.telemetry.tracesExporter, { serviceName: process.env.OTEL_SERVICE_NAME });
  const conn = await connect(cfg, { embedded: !!opts.embedded, ui: true, keepServer: true, io });
  await conn.close();
  const { worker, connection, close } = await workerFromConfig(cfg, conn.address, {
    shutdownGraceMs: cfg.telemetry.shutdownGraceMs,
    activityInterceptors: tracing.activityInterceptors,
  });

  let health: HealthServer | undefined;
  if (cfg.telemetry.healthAddress) {
    health = await startHealthServer(
      workerProbe(worker, (signal) => serverServing(connection, signal)),
      cfg.telemetry.healthAddress,
    );
  }
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      logger.warn({ signal }, 'still draining: in-flight activities finish or are handed back, then the worker exits');
      return;
    }
    draining = true;
    logger.info({ signal, graceSeconds: cfg.telemetry.shutdownGraceMs / 1000 }, 'draining: no new tasks; in-flight activities may finish');
    worker.shutdown();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);

  const where = describeConnection(temporalConnection(cfg, conn.address));
  logger.info(
    {
      taskQueue: cfg.taskQueue,
      namespace: cfg.namespace,
      temporal: where,
      workDir: cfg.workDir,
      roles: cfg.workerRoles,
      store: worker.storage?.description ?? 'directory',
      workflows: worker.workflows,
      ...(cfg.telemetry.metricsAddress ? { metrics: `http://${cfg.telemetry.metricsAddress}/metrics` } : {}),
      ...(health ? { health: health.url } : {}),
      traces: cfg.telemetry.tracesExporter,
    },
    'worker started',
  );
  io.err(
    `worker: task queue ${cfg.taskQueue} on ${where}, roles ${cfg.workerRoles.join(',')}, work dir ${cfg.workDir}, store ${worker.storage?.description ?? 'directory'}, workflows: ${worker.workflows}${health ? `, health ${health.url}` : ''}`,
  );
  try {
    await worker.run();
    logger.info('worker stopped: drained');
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    await health?.close();
    await close();
    await tracing.shutdown();
  }
  return EXIT.ok;
}

async function serverServing(connection: NativeConnection, signal: AbortSignal): Promise<boolean> {
  const res = await connection.withAbortSignal(signal, () => connection.healthService.check({}));
  return res.status === 1; // SERVING
}
