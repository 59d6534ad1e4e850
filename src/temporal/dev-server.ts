/**
 * The Temporal CLI and its dev server: where the binary comes from, and starting/stopping `temporal server
 * start-dev` (a real Temporal server with SQLite persistence and the Web UI).
 *
 * Binary resolution order: TEMPORAL_CLI_PATH, `temporal` on PATH, the per-user cache built by setup
 * (`go install github.com/temporalio/cli/cmd/temporal@v1.5.1`, the last tag `go install` accepts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { isProcessAlive, writeJsonAtomic } from '../store/files.js';
import { devServerSearchAttributeArgs } from './names.js';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export function cachedCliPath(cacheDir: string): string {
  return join(cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function resolveTemporalCli(opts: {
  explicit?: string | undefined;
  cacheDir: string;
}): { path: string; source: string } | undefined {
  if (opts.explicit) return existsSync(opts.explicit) ? { path: opts.explicit, source: 'TEMPORAL_CLI_PATH' } : undefined;
  const onPath = findOnPath('temporal');
  if (onPath) return { path: onPath, source: 'PATH' };
  const cached = cachedCliPath(opts.cacheDir);
  if (existsSync(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

export class TemporalCliMissingError extends Error {
  override readonly name = 'TemporalCliMissingError';
  constructor() {
    super(
      'the Temporal CLI was not found; run `npm run setup` (it builds and caches it), or set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use an existing server',
    );
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

/**
 * Dynamic config storyreel relies on, for the dev server and the production-shaped server alike: task priorities
 * (the new matcher) and one task-queue partition, so a per-queue rate limit (maxTaskQueueActivitiesPerSecond) is
 * enforced in one place rather than averaged over four.
 */
export const STORYREEL_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number>> = {
  'matching.useNewMatcher': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export const DEV_SERVER_DYNAMIC_CONFIG = Object.entries(STORYREEL_DYNAMIC_CONFIG).flatMap(([k, v]) => [
  '--dynamic-config-value',
  `${k}=${v}`,
]);

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file for persistence across restarts; in-memory when omitted. */
  dbFile?: string;
  port?: number;
  /** Serve the Web UI on this port; headless when omitted. */
  uiPort?: number;
  /** Server log goes here (it is noisy); default: discarded. */
  logFile?: string;
  extraArgs?: string[];
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  port: number;
  uiUrl: string | undefined;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and waits until it answers health checks. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    'warn',
    '--log-format',
    'json',
    ...DEV_SERVER_DYNAMIC_CONFIG,
  ];
  args.push(...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']));
  if (opts.dbFile) {
    await mkdir(join(opts.dbFile, '..'), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  args.push(...devServerSearchAttributeArgs(), ...(opts.extraArgs ?? []));
  let fd: number | undefined;
  if (opts.logFile) {
    await mkdir(join(opts.logFile, '..'), { recursive: true });
    fd = openSync(opts.logFile, 'a');
  }
  const child: ChildProcess = spawn(opts.cliPath, args, { stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore'], detached: false });
  if (fd !== undefined) closeSync(fd);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  while (!(await healthy(opts.cliPath, address))) {
    if (exited !== undefined)
      throw new Error(`temporal server start-dev exited with ${exited}${opts.logFile ? `; see ${opts.logFile}` : ''}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server start-dev did not become healthy on ${address}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    port,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    pid: child.pid ?? 0,
    stop: () => stopProcess(child),
  };
}

async function healthy(cliPath: string, address: string): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  if (!(await portOpen(host, Number(port)))) return false;
  try {
    const { stdout } = await promisify(execFile)(cliPath, ['operator', 'cluster', 'health', '--address', address], { timeout: 5000 });
    return stdout.includes('SERVING');
  } catch {
    return false;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

/**
 * The embedded server of a work dir: reuses one that is already running for it (recorded in server.json),
 * otherwise starts one with the database in the work dir, so productions survive restarts.
 */
export async function ensureWorkDirServer(opts: {
  cliPath: string;
  workDir: string;
  ui: boolean;
}): Promise<DevServer & { reused: boolean }> {
  const stateFile = join(opts.workDir, 'temporal', 'server.json');
  try {
    const prev = JSON.parse(await readFile(stateFile, 'utf8')) as { pid: number; port: number; uiPort?: number };
    if (isProcessAlive(prev.pid) && (await healthy(opts.cliPath, `127.0.0.1:${prev.port}`))) {
      return {
        address: `127.0.0.1:${prev.port}`,
        port: prev.port,
        uiUrl: prev.uiPort ? `http://127.0.0.1:${prev.uiPort}` : undefined,
        pid: prev.pid,
        reused: true,
        stop: async () => {},
      };
    }
  } catch {
    // none recorded
  }
  const uiPort = opts.ui ? await freePort() : undefined;
  const server = await startDevServer({
    cliPath: opts.cliPath,
    dbFile: join(opts.workDir, 'temporal', 'dev.db'),
    ...(uiPort ? { uiPort } : {}),
    logFile: join(opts.workDir, 'temporal', 'server.log'),
  });
  await writeJsonAtomic(stateFile, { pid: server.pid, port: server.port, ...(uiPort ? { uiPort } : {}) });
  return {
    ...server,
    reused: false,
    stop: async () => {
      await server.stop();
      await rm(stateFile, { force: true });
    },
  };
}
