/**
 * A long-running server process of the stack: started with its output in a log file, stopped with the signal that
 * makes it shut down cleanly, and never outliving the Node process that started it.
 *
 * Two guards against orphans: an 'exit' hook sends every live child its stop signal, and on Linux the child is
 * started through util-linux `setpriv --pdeathsig`, so the kernel sends that signal even when Node dies without
 * running hooks (SIGKILL, a crash). setpriv also switches to an unprivileged user when asked (PostgreSQL refuses
 * to run as root); it applies the death signal after the switch, since a credential change clears it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { findOnPath } from '../temporal/dev-server.js';

export interface RunAs {
  uid: number;
  gid: number;
}

export interface ManagedProcessOptions {
  /** A short name for messages ("postgres", "temporal server"). */
  name: string;
  command: string;
  args: string[];
  /** The whole environment of the child (secrets go here, never into args). */
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** The signal that shuts this program down cleanly (PostgreSQL: SIGINT, a fast shutdown). */
  stopSignal: NodeJS.Signals;
  runAs?: RunAs;
  cwd?: string;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Exit code (or signal name) once the process has exited; undefined while it runs. */
  exitStatus(): number | string | undefined;
  /** Sends the stop signal, waits up to `timeoutMs` (then SIGKILL) until the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

const live = new Set<ChildProcess & { stopSignal: NodeJS.Signals }>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill(child.stopSignal);
  });
}

export async function spawnManaged(opts: ManagedProcessOptions): Promise<ManagedProcess> {
  await mkdir(dirname(opts.logFile), { recursive: true });
  const setpriv = findOnPath('setpriv');
  if (opts.runAs && !setpriv) throw new Error(`${opts.name}: setpriv (util-linux) is needed to run it as an unprivileged user`);
  const [command, args] = setpriv
    ? [
        setpriv,
        [
          ...(opts.runAs ? [`--reuid=${opts.runAs.uid}`, `--regid=${opts.runAs.gid}`, '--clear-groups'] : []),
          `--pdeathsig=${opts.stopSignal.replace(/^SIG/, '')}`,
          '--',
          opts.command,
          ...opts.args,
        ],
      ]
    : [opts.command, opts.args];
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    // detached: its own process group, so a terminal's Ctrl-C reaches only us, and we stop the servers in order.
    child = spawn(command, args, { env: opts.env, stdio: ['ignore', fd, fd], detached: true, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  } finally {
    closeSync(fd);
  }
  const tracked = Object.assign(child, { stopSignal: opts.stopSignal });
  live.add(tracked);
  installExitHook();
  let status: number | string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      status = code ?? signal ?? 'unknown';
      live.delete(tracked);
      resolve();
    });
    child.once('error', (err) => {
      status = err.message;
      live.delete(tracked);
      resolve();
    });
  });
  if (child.pid === undefined) {
    await exited;
    throw new Error(`${opts.name}: could not start ${opts.command} (${String(status)})`);
  }
  const pid = child.pid;
  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    exitStatus: () => status,
    async stop(timeoutMs = 30_000) {
      if (status !== undefined) return;
      child.kill(opts.stopSignal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `ready` until it returns true. Fails early with the process's log file named when the process exits, and
 * after `timeoutMs` (stopping the process).
 */
export async function waitUntilReady(proc: ManagedProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = proc.exitStatus();
    if (status !== undefined) throw new Error(`${proc.name} exited (${status}) before it was ready; see ${proc.logFile}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await proc.stop(5000);
      throw new Error(`${proc.name} was not ready within ${timeoutMs / 1000} s; see ${proc.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
