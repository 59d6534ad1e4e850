/**
 * The Temporal Runtime of a storyreel process: one per process, installed before any worker or native connection.
 *
 * Logs: the SDK's entries (and Temporal core's own, forwarded) go through one pino logger as JSON lines.
 * Metrics: with `metricsAddress`, core serves Prometheus text on http://<metricsAddress>/metrics: the SDK's metrics
 * (temporal_*) and storyreel's own, which activities record through their context's metricMeter
 * (activities/telemetry.ts), so one scrape target has both.
 */
import { makeTelemetryFilterString, Runtime, type RuntimeOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { temporalLogger } from './logger.js';

export interface RuntimeTelemetry {
  logger: Logger;
  /** host:port for Prometheus; undefined: no endpoint. */
  metricsAddress?: string | undefined;
  /** Signals on which the Runtime itself shuts workers down; [] when the caller handles signals. */
  shutdownSignals?: NodeJS.Signals[];
}

/** Entries that say nothing to an operator of storyreel. */
const dropped = (message: string) =>
  // Submit-queue workers run activities only; the SDK warns about that on every start.
  message.startsWith('No workflows registered');

export function installRuntime(opts: RuntimeTelemetry): void {
  const options: RuntimeOptions = {
    logger: temporalLogger(opts.logger, dropped),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      ...(opts.metricsAddress
        ? {
            metrics: {
              prometheus: { bindAddress: opts.metricsAddress, countersTotalSuffix: true, unitSuffix: false, useSecondsForDurations: true },
            },
          }
        : {}),
    },
    ...(opts.shutdownSignals ? { shutdownSignals: opts.shutdownSignals } : {}),
  };
  Runtime.install(options);
}
