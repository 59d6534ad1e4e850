/**
 * Liveness and readiness for an orchestrator (Kubernetes probes, docker compose healthchecks), as a small HTTP
 * server beside a worker. It binds 127.0.0.1 unless told otherwise and answers only GET /healthz and GET /readyz
 * with a small JSON body; it exposes nothing else (no configuration, no ids, no secrets).
 *
 *   /healthz  200 while the process is alive and its worker has not failed (also while it drains: a draining
 *             worker must not be killed early), 503 once the worker failed or stopped.
 *   /readyz   200 only while the worker polls and the Temporal server answers; 503 while it starts, drains or
 *             cannot reach the server (a rolling deploy waits for it; a draining worker takes no new tasks).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthProbe {
  /** null when alive; otherwise why not. */
  liveness(): string | null;
  /** null when ready; otherwise why not (may ask the server, so it is async). */
  readiness(): Promise<string | null>;
}

export interface HealthServer {
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(probe: HealthProbe, opts: { host?: string; port?: number } = {}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, { error: 'method not allowed' });
    if (path === '/healthz') {
      const why = probe.liveness();
      return answer(why ? 503 : 200, why ? { status: 'unhealthy', reason: why } : { status: 'ok' });
    }
    if (path === '/readyz') {
      probe.readiness().then(
        (why) => answer(why ? 503 : 200, why ? { status: 'not ready', reason: why } : { status: 'ready' }),
        (err: unknown) => answer(503, { status: 'not ready', reason: (err as Error).message }),
      );
      return;
    }
    answer(404, { error: 'not found: GET /healthz or /readyz' });
  });
  server.keepAliveTimeout = 1000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Worker states, as @temporalio/worker names them. */
type WorkerState = 'INITIALIZED' | 'RUNNING' | 'STOPPED' | 'STOPPING' | 'DRAINING' | 'DRAINED' | 'FAILED';

/**
 * The probe of a worker process: live unless its worker failed or stopped; ready while it polls (RUNNING) and
 * the server's health check answers SERVING within `timeoutMs`.
 */
export function workerProbe(
  worker: { getState(): WorkerState },
  serverHealth: (signal: AbortSignal) => Promise<boolean>,
  timeoutMs = 3000,
): HealthProbe {
  return {
    liveness() {
      const state = worker.getState();
      return state === 'FAILED' || state === 'STOPPED' ? `worker ${state.toLowerCase()}` : null;
    },
    async readiness() {
      const state = worker.getState();
      if (state !== 'RUNNING') return `worker ${state.toLowerCase()}`;
      const serving = await serverHealth(AbortSignal.timeout(timeoutMs)).catch(() => false);
      return serving ? null : 'the Temporal server does not answer';
    },
  };
}
