/**
 * `storyreel worker` in a child process, for CLI tests against the suite's server: with TEMPORAL_ADDRESS set, `run`,
 * `resume` and `batch run` only submit and follow, so a test runs the worker the way a user would.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/storyreel.js');

export interface CliWorker {
  /** The worker process id: its Temporal identity is `<pid>@<host>`. */
  pid: number;
  /** What the worker printed on stderr so far. */
  stderr(): string;
  /** SIGTERM, then waits for the process to exit (a graceful shutdown). */
  stop(): Promise<void>;
  /** Sends a signal without waiting. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process exited. */
  exited: Promise<number | null>;
  /** True while the process runs. */
  alive(): boolean;
}

/** Starts `storyreel worker` with `env` (merged over process.env) and waits until it polls. */
export async function startCliWorker(env: Record<string, string | undefined>, cwd?: string): Promise<CliWorker> {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    cwd: cwd ?? process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((ready, fail) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('worker: task queue')) ready();
    });
    void exited.then((code) => fail(new Error(`storyreel worker exited (${code}) before polling:\n${err}`)));
  });
  return {
    pid: child.pid!,
    stderr: () => err,
    kill: (signal) => void child.kill(signal),
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
