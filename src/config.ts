/**
 * Environment → typed configuration (zod). Only worker.ts, client.ts and cli/ read process.env, through this.
 * Secrets (provider API keys) are NOT read here: provider factories read them from the environment at the last
 * moment, so they never enter a config object that could be logged.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { WorkerRole } from './contracts/names.js';
import { loadTemporalProfile, TemporalProfileError, type TemporalConnectionOptions } from './temporal/profile.js';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:]+):\d{1,5}$/;

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  STORYREEL_TASK_QUEUE: z.string().min(1).default('storyreel'),
  STORYREEL_WORK_DIR: z.string().min(1).default('.storyreel'),
  STORYREEL_OUT_DIR: z.string().min(1).default('out'),
  STORYREEL_MAX_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(16),
  STORYREEL_MAX_WORKFLOWS: z.coerce.number().int().min(1).max(10_000).default(200),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  XDG_CACHE_HOME: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.string().min(1).optional(),
  /**
   * JSON: { "<provider>": { "submitsPerSecond": 2, "breaker": { "failures": 10, "windowMs": 60000, "coolDownMs": 60000 } } }
   * — the same on every worker.
   */
  STORYREEL_PROVIDER_LIMITS: z.string().min(2).optional(),
  /** A prebuilt workflow bundle (bundleWorkflowCode output); skips bundling at worker start. */
  STORYREEL_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** What this worker runs: scenes, assembly, or both (default), comma-separated (docs/deploy.md, two hosts). */
  STORYREEL_WORKER_ROLES: z
    .string()
    .regex(/^(scenes|assembly)(,(scenes|assembly))*$/, 'must be scenes, assembly or scenes,assembly')
    .default('scenes,assembly'),
  /** Worker Versioning: both set = a versioned worker; productions stay on the build that started them. */
  STORYREEL_DEPLOYMENT_NAME: z.string().min(1).optional(),
  STORYREEL_BUILD_ID: z.string().min(1).optional(),
  /** storyreel serve: where it listens (127.0.0.1 unless told otherwise). */
  STORYREEL_API_HOST: z.string().min(1).default('127.0.0.1'),
  STORYREEL_API_PORT: z.coerce.number().int().min(0).max(65_535).default(8787),
  /** Requests per minute per API key (a key may set its own). */
  STORYREEL_API_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Largest JSON/YAML request body, bytes (storyboards are at most 2 MB as files too). */
  STORYREEL_API_BODY_LIMIT: z.coerce.number().int().min(1024).max(50_000_000).default(2_000_000),
  /** Largest uploaded asset, bytes. */
  STORYREEL_ASSET_MAX_BYTES: z.coerce.number().int().min(1024).max(5_000_000_000).default(200_000_000),
  /** 1: callback URLs may reach loopback/private addresses (receivers on this machine or network). */
  STORYREEL_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1', 'true', 'false']).default('0'),
  /** Seconds between delivery attempts, comma-separated (default: Standard Webhooks' schedule over a day). */
  /** Log level of server processes (worker, serve): trace, debug, info, warn, error. */
  STORYREEL_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error']).optional(),
  /** host:port for the Prometheus endpoint (Temporal SDK metrics and storyreel's own); unset: no endpoint. */
  STORYREEL_METRICS_ADDRESS: z.string().regex(HOST_PORT, 'must be host:port, e.g. 127.0.0.1:9464').optional(),
  /** host:port of the worker's /healthz and /readyz; unset: no health server. Port 0 picks a free one (logged). */
  STORYREEL_HEALTH_ADDRESS: z.string().regex(HOST_PORT, 'must be host:port, e.g. 127.0.0.1:9465').optional(),
  /** Seconds a stopping worker lets in-flight activities finish before cancelling them (they are then retried elsewhere). */
  STORYREEL_SHUTDOWN_GRACE_S: z.coerce.number().min(0).max(86_400).default(30),
  /** OpenTelemetry traces: none (default), otlp (OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318) or console. */
  OTEL_TRACES_EXPORTER: z.enum(['none', 'otlp', 'console']).default('none'),
  STORYREEL_WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be seconds separated by commas, e.g. 5,300,1800')
    .optional(),
});

export interface Config {
  /** From the Temporal profile (TOML file or TEMPORAL_ADDRESS); undefined: start an embedded dev server (storyreel run). */
  temporalAddress: string | undefined;
  /**
   * The profile's connection options (TLS, mTLS, API key) for temporalAddress. A function, so the secrets in it
   * never appear when a config is printed or serialized.
   */
  temporalConnection: () => TemporalConnectionOptions | undefined;
  namespace: string;
  taskQueue: string;
  /** Absolute; clip store, local provider jobs, the embedded server's database, scratch. */
  workDir: string;
  /** Absolute; productions are written to <outDir>/<production id>/ unless told otherwise. */
  outDir: string;
  maxConcurrentActivities: number;
  maxCachedWorkflows: number;
  temporalCliPath: string | undefined;
  /** Per-user cache outside any clone (the Temporal CLI build lives here). */
  cacheDir: string;
  /** Non-secret per-provider defaults from the environment (for planning checks). */
  envBaseURL: Record<string, string | undefined>;
  providerLimits: Record<string, { submitsPerSecond?: number; breaker?: { failures?: number; windowMs?: number; coolDownMs?: number } }>;
  workflowBundlePath: string | undefined;
  /** What this worker process runs (worker roles). */
  workerRoles: WorkerRole[];
  /** Worker Versioning: this worker's deployment version, when both variables are set. */
  deployment: { deploymentName: string; buildId: string } | undefined;
  telemetry: {
    logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | undefined;
    metricsAddress: string | undefined;
    healthAddress: { host: string; port: number } | undefined;
    shutdownGraceMs: number;
    tracesExporter: 'none' | 'otlp' | 'console';
  };
  api: {
    host: string;
    port: number;
    rateLimitPerMinute: number;
    bodyLimitBytes: number;
    assetMaxBytes: number;
    allowPrivateWebhooks: boolean;
    webhookRetryScheduleS: number[] | undefined;
  };
}

const ProviderLimitsJson = z.record(
  z.string(),
  z.strictObject({
    submitsPerSecond: z.number().positive().optional(),
    /** The provider's circuit breaker: `failures` outage-like failures within `windowMs` open it for `coolDownMs`. */
    breaker: z
      .strictObject({
        failures: z.number().int().min(1).max(1000).optional(),
        windowMs: z.number().int().min(100).max(86_400_000).optional(),
        coolDownMs: z.number().int().min(100).max(86_400_000).optional(),
      })
      .optional(),
  }),
);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): Config {
  // An empty variable counts as unset: docker compose passes unset optional variables as empty strings.
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const e = parsed.data;
  let profile;
  try {
    profile = loadTemporalProfile(env);
  } catch (err) {
    if (err instanceof TemporalProfileError) throw new ConfigError(err.message);
    throw err;
  }
  const connection = profile.connection;
  return {
    temporalAddress: profile.address,
    temporalConnection: () => connection,
    namespace: profile.namespace ?? e.TEMPORAL_NAMESPACE,
    taskQueue: e.STORYREEL_TASK_QUEUE,
    workDir: resolve(cwd, e.STORYREEL_WORK_DIR),
    outDir: resolve(cwd, e.STORYREEL_OUT_DIR),
    maxConcurrentActivities: e.STORYREEL_MAX_ACTIVITIES,
    maxCachedWorkflows: e.STORYREEL_MAX_WORKFLOWS,
    temporalCliPath: e.TEMPORAL_CLI_PATH,
    cacheDir: join(e.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'storyreel'),
    envBaseURL: { 'openai-videos': e.OPENAI_BASE_URL },
    providerLimits: parseLimits(e.STORYREEL_PROVIDER_LIMITS),
    workflowBundlePath: e.STORYREEL_WORKFLOW_BUNDLE,
    workerRoles: [...new Set(e.STORYREEL_WORKER_ROLES.split(','))] as WorkerRole[],
    deployment: deploymentOf(e.STORYREEL_DEPLOYMENT_NAME, e.STORYREEL_BUILD_ID),
    telemetry: {
      logLevel: e.STORYREEL_LOG_LEVEL,
      metricsAddress: e.STORYREEL_METRICS_ADDRESS,
      healthAddress: e.STORYREEL_HEALTH_ADDRESS ? splitHostPort(e.STORYREEL_HEALTH_ADDRESS) : undefined,
      shutdownGraceMs: Math.round(e.STORYREEL_SHUTDOWN_GRACE_S * 1000),
      tracesExporter: e.OTEL_TRACES_EXPORTER,
    },
    api: {
      host: e.STORYREEL_API_HOST,
      port: e.STORYREEL_API_PORT,
      rateLimitPerMinute: e.STORYREEL_API_RATE_LIMIT,
      bodyLimitBytes: e.STORYREEL_API_BODY_LIMIT,
      assetMaxBytes: e.STORYREEL_ASSET_MAX_BYTES,
      allowPrivateWebhooks: e.STORYREEL_WEBHOOK_ALLOW_PRIVATE === '1' || e.STORYREEL_WEBHOOK_ALLOW_PRIVATE === 'true',
      webhookRetryScheduleS: e.STORYREEL_WEBHOOK_RETRY_SCHEDULE?.split(',').map(Number),
    },
  };
}

function deploymentOf(deploymentName: string | undefined, buildId: string | undefined): Config['deployment'] {
  if (!deploymentName && !buildId) return undefined;
  if (!deploymentName || !buildId)
    throw new ConfigError('STORYREEL_DEPLOYMENT_NAME and STORYREEL_BUILD_ID go together: set both for a versioned worker, or neither');
  return { deploymentName, buildId };
}

function splitHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  if (port > 65_535) throw new ConfigError(`${text}: port must be at most 65535`);
  return { host: text.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
}

function parseLimits(text: string | undefined): Config['providerLimits'] {
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError('STORYREEL_PROVIDER_LIMITS: not valid JSON (example: {"openai-videos":{"submitsPerSecond":2}})');
  }
  const parsed = ProviderLimitsJson.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(`STORYREEL_PROVIDER_LIMITS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
