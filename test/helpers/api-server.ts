/**
 * A real `storyreel serve --worker` process on the suite's Temporal server (its own task queue and work dir), the
 * keys to call it with, and a fetch wrapper that records every JSON answer (for the OpenAPI check).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { KeyStore, keysFile } from '../../src/api/keys.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { tempDir } from './files.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/storyreel.js');

export interface Recorded {
  method: string;
  route: string;
  status: number;
  body: unknown;
}

export interface ApiServer {
  url: string;
  work: string;
  workDir: string;
  outDir: string;
  taskQueue: string;
  webhookSecret: string;
  env: Record<string, string>;
  keys: { read: string; write: string; admin: string };
  recorded: Recorded[];
  /** fetch with a key (default: write); JSON bodies are sent as JSON, strings as YAML. */
  call(
    method: string,
    path: string,
    opts?: { key?: string | null; body?: unknown; headers?: Record<string, string>; route?: string },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are JSON read loosely; the OpenAPI test checks their shapes
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Ends the process: SIGKILL (a crash) or SIGTERM (a clean stop). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again on the same work dir, queue and port. */
  restart(): Promise<void>;
  log(): string;
}

/** `port`: listen there (0: any free port); a fixed port lets a test name the server's address in its environment. */
export async function startApiServer(extraEnv: Record<string, string> = {}, opts: { port?: number } = {}): Promise<ApiServer> {
  const work = await tempDir('storyreel-api-');
  const workDir = join(work, 'work');
  const outDir = join(work, 'out');
  const taskQueue = `api-${randomUUID()}`;
  const webhookSecret = newWebhookSecret();
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    STORYREEL_TASK_QUEUE: taskQueue,
    STORYREEL_WORK_DIR: workDir,
    STORYREEL_OUT_DIR: outDir,
    STORYREEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    STORYREEL_WEBHOOK_SECRET: webhookSecret,
    ...extraEnv,
  };
  const store = new KeyStore(keysFile(workDir));
  const keys = {
    read: (await store.create({ name: 'reader', scope: 'read' })).key,
    write: (await store.create({ name: 'writer', scope: 'write' })).key,
    admin: (await store.create({ name: 'admin', scope: 'admin' })).key,
  };
  let child: ChildProcess | undefined;
  let output = '';
  let port = opts.port ?? 0;
  const launch = async () => {
    const proc = spawn(process.execPath, [BIN, 'serve', '--worker', '--port', String(port)], {
      cwd: work,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const url = await new Promise<string>((ok, fail) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /listening on (http:\/\/[\d.:]+)/.exec(output.slice(-2000));
        if (m) ok(m[1]!);
      };
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => fail(new Error(`storyreel serve exited ${code}:\n${output}`)));
    });
    port = Number(new URL(url).port);
    return url;
  };
  const url = await launch();
  const recorded: Recorded[] = [];
  const server: ApiServer = {
    url,
    work,
    workDir,
    outDir,
    taskQueue,
    webhookSecret,
    env,
    keys,
    recorded,
    async call(method, path, opts = {}) {
      const key = opts.key === undefined ? keys.write : opts.key;
      const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...opts.headers };
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= typeof opts.body === 'string' ? 'application/yaml' : 'application/json';
      }
      const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      const json = res.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as unknown) : text;
      if (opts.route) recorded.push({ method, route: opts.route, status: res.status, body: json });
      return { status: res.status, body: json, headers: res.headers };
    },
    async stop(signal = 'SIGTERM') {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      await exited;
    },
    async restart() {
      await server.stop('SIGKILL');
      server.url = await launch();
    },
    log: () => output,
  };
  return server;
}

/** Polls `fn` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * Waits until the webhook deliveries at `path` (a production's or a batch's `/webhooks`) have all finished. Deliveries
 * run side by side and a webhook promises no order: an earlier event's retry may still be due when the last event has
 * arrived, so a test counts what was received only after this.
 */
export async function untilDeliveriesFinished(api: ApiServer, path: string): Promise<void> {
  await until(`every delivery at ${path} finished`, async () => {
    const { body } = await api.call('GET', path);
    const all = (body.deliveries ?? []) as { state: string }[];
    return all.length > 0 && all.every((d) => d.state !== 'pending') ? true : undefined;
  });
}
