/**
 * PostgreSQL from Debian's packages (/usr/lib/postgresql/<major>/bin), one cluster in a directory of ours, on
 * 127.0.0.1 and a free port.
 *
 * PostgreSQL refuses to start as root ("root" execution of the PostgreSQL server is not permitted), and this
 * machine runs everything as root. So when we are root, initdb and the server run as Debian's `postgres` system
 * user (created by the postgresql-common package; `nobody` when it is missing) through `setpriv --reuid`, which
 * execs in place (no PAM session, no extra process between us and the postmaster, unlike runuser/su), with the
 * cluster directory chowned to that user. Every directory above it must be traversable by that user.
 *
 * Access: the role `temporal` (the cluster's superuser) with a password generated on every start and set over the
 * Unix socket, whose directory only that user (and root) can enter; TCP on 127.0.0.1 requires the password
 * (scram-sha-256). The password travels only through environment variables and stdin, never argv or files.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { aptInstall } from '../setup.js';
import { isProcessAlive } from '../store/files.js';
import { spawnManaged, waitUntilReady, type RunAs } from './managed-process.js';
import { choosePort } from './ports.js';

export const POSTGRES_USER = 'temporal';

export interface PostgresOptions {
  /** Holds data/ (the cluster), run/ (the socket) and postgres.log; kept between runs. */
  dir: string;
  port?: number;
  log?: (msg: string) => void;
}

/** How to reach the server over TCP: plain data, so it can be handed to another process (a test file). */
export interface PostgresAddress {
  host: string;
  port: number;
  user: string;
  /** Valid while the server that issued it runs; pass it on through environment variables only. */
  password: string;
}

export interface Postgres extends PostgresAddress {
  /** The major version that runs (Debian's). */
  version: string;
  /** Stops the server (fast shutdown: open sessions are ended) and waits for it. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data (after stop()). */
  start(): Promise<void>;
}

/** The bin directory of the newest PostgreSQL that Debian installed, or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? join(root, majors[0], 'bin') : undefined;
}

/** Installs Debian's `postgresql` package when no server is installed. */
export async function ensurePostgresInstalled(log: (msg: string) => void): Promise<string> {
  const found = findPostgresBin();
  if (found) {
    log(`postgresql: ${found}`);
    return found;
  }
  if (!(await aptInstall('postgresql', log)) || !findPostgresBin()) {
    throw new Error('PostgreSQL is not installed and could not be installed here: install Debian package postgresql (>= 12)');
  }
  return findPostgresBin()!;
}

/** Which user the server runs as: ourselves unless we are root (see the file comment). */
export function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
    const [, , uid, gid] = r.stdout.trim().split(':');
    if (r.status === 0 && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error('running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as');
}

export async function startPostgres(opts: PostgresOptions): Promise<Postgres> {
  const log = opts.log ?? (() => {});
  const bin = await ensurePostgresInstalled(() => {});
  const version = bin.split('/').at(-2)!;
  const runAs = postgresRunAs();
  const dataDir = join(opts.dir, 'data');
  const socketDir = join(opts.dir, 'run');
  await mkdir(opts.dir, { recursive: true });
  for (const d of [dataDir, socketDir]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
    if (runAs) await chown(d, runAs.uid, runAs.gid);
  }
  const asUser = (cmd: string, args: string[], input?: string) =>
    spawnSync(
      runAs ? 'setpriv' : cmd,
      runAs ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--', cmd, ...args] : args,
      { encoding: 'utf8', ...(input !== undefined ? { input } : {}), env: { PATH: process.env.PATH, LC_ALL: 'C' } },
    );
  if (runAs && asUser('test', ['-w', dataDir]).status !== 0) {
    throw new Error(
      `PostgreSQL runs as uid ${runAs.uid} (it refuses root), which cannot reach ${dataDir}: make every directory above it traversable (chmod o+x) or choose a directory elsewhere`,
    );
  }

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`postgres: initdb ${dataDir}`);
    const r = asUser(join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      POSTGRES_USER,
      '-E',
      'UTF8',
      '--locale=C',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
    ]);
    if (r.status !== 0) throw new Error(`initdb failed (exit ${r.status}): ${r.stderr.trim()}`);
  }
  stopStaleServer(dataDir, bin, asUser, log);

  const port = await choosePort(opts.port);
  const password = randomBytes(24).toString('hex');

  let proc: Awaited<ReturnType<typeof spawnManaged>> | undefined;
  const start = async () => {
    proc = await spawnManaged({
      name: 'postgres',
      command: join(bin, 'postgres'),
      args: [
        '-D',
        dataDir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-p',
        String(port),
        '-c',
        `unix_socket_directories=${socketDir}`,
        // Temporal's services each keep pools to both stores; headroom for a server restart's overlap.
        '-c',
        'max_connections=300',
      ],
      env: { PATH: process.env.PATH, LC_ALL: 'C' },
      logFile: join(opts.dir, 'postgres.log'),
      stopSignal: 'SIGINT',
      ...(runAs ? { runAs } : {}),
    });
    const isReady = join(bin, 'pg_isready');
    await waitUntilReady(
      proc,
      async () => spawnSync(isReady, ['-q', '-h', socketDir, '-p', String(port)], { env: { PATH: process.env.PATH } }).status === 0,
      60_000,
    );
    // Over the socket (trust; root may enter the 0700 directory); the statement goes through stdin, not argv.
    runPsql(
      bin,
      ['-h', socketDir, '-p', String(port), '-U', POSTGRES_USER, '-d', 'postgres'],
      {},
      `ALTER ROLE ${POSTGRES_USER} WITH PASSWORD '${password}';`,
    );
    log(`postgres ${version}: 127.0.0.1:${port} (pid ${proc.pid}, data ${dataDir})`);
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    user: POSTGRES_USER,
    password,
    version,
    start,
    async stop() {
      await proc?.stop(60_000);
    },
  };
}

/** Runs SQL over TCP with the address's password (in the environment); returns unaligned, tuples-only output. */
export function psql(addr: PostgresAddress, statement: string, database = 'postgres'): string {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: install Debian package postgresql');
  return runPsql(
    bin,
    ['-h', addr.host, '-p', String(addr.port), '-U', addr.user, '-d', database],
    { PGPASSWORD: addr.password },
    statement,
  );
}

function runPsql(bin: string, connect: string[], env: Record<string, string>, statement: string): string {
  const r = spawnSync(join(bin, 'psql'), [...connect, '-v', 'ON_ERROR_STOP=1', '-tA', '-f', '-'], {
    input: statement,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  if (r.status !== 0) throw new Error(`psql failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** A postmaster left running on this cluster by a run that was killed: shut it down so ours can start. */
function stopStaleServer(
  dataDir: string,
  bin: string,
  asUser: (cmd: string, args: string[]) => ReturnType<typeof spawnSync>,
  log: (msg: string) => void,
): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !isProcessAlive(pid)) return;
  log(`postgres: stopping the server a previous run left on ${dataDir} (pid ${pid})`);
  const r = asUser(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60']);
  if (r.status !== 0)
    throw new Error(`PostgreSQL (pid ${pid}) is running on ${dataDir} and could not be stopped: ${String(r.stderr).trim()}`);
}
