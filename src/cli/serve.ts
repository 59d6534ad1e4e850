/**
 * `storyreel serve`: the HTTP API and the studio, a Temporal client like every other command. With `--worker` it
 * also runs a worker in the same process (one process for a small setup); without, workers run elsewhere.
 * Listens on 127.0.0.1 unless told otherwise.
 */
import { readFile } from 'node:fs/promises';
import { buildApi } from '../api/server.js';
import { WEBHOOK_SECRET_ENV } from '../webhooks/signing.js';
import { config, connect, EXIT, installRuntime, UsageError, workerFromConfig, type Io } from './common.js';

export interface ServeOptions {
  host?: string;
  port?: string;
  worker?: boolean;
  embedded?: boolean;
  logRequests?: boolean;
}

export async function serveCommand(opts: ServeOptions, io: Io): Promise<number> {
  const cfg = config();
  const port = opts.port !== undefined ? Number(opts.port) : cfg.api.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError('--port must be a port number (0: any free port)');
  const host = opts.host ?? cfg.api.host;
  if (opts.worker || opts.embedded) installRuntime('WARN');
  const conn = await connect(cfg, { embedded: !!opts.embedded, ui: false, io });
  const worker = opts.worker ? await workerFromConfig(cfg, conn.address) : undefined;
  const running = worker?.worker.run();
  const app = await buildApi(
    conn.client,
    {
      workDir: cfg.workDir,
      outDir: cfg.outDir,
      bodyLimitBytes: cfg.api.bodyLimitBytes,
      assetMaxBytes: cfg.api.assetMaxBytes,
      rateLimitPerMinute: cfg.api.rateLimitPerMinute,
      allowPrivateWebhooks: cfg.api.allowPrivateWebhooks,
      webhooksEnabled: !!process.env[WEBHOOK_SECRET_ENV],
      ...(cfg.api.webhookRetryScheduleS ? { webhookRetryScheduleS: cfg.api.webhookRetryScheduleS } : {}),
      env: process.env,
      version: await packageVersion(),
    },
    opts.logRequests ? { level: 'info' } : false,
  );
  const address = await app.listen({ host, port });
  io.err(`storyreel serve: listening on ${address} (studio: ${address}/studio/, API: ${address}/v1, OpenAPI: ${address}/openapi.json)`);
  io.err(`temporal ${conn.address}, task queue ${cfg.taskQueue}${worker ? ', worker in this process' : ''}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.err('storyreel serve: stopping');
  await app.close();
  if (worker) {
    worker.worker.shutdown();
    await running;
    await worker.close();
  }
  await conn.close();
  return EXIT.ok;
}

async function packageVersion(): Promise<string> {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(await readFile(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // the other layout (source checkout or dist/)
    }
  }
  return '0.0.0';
}
