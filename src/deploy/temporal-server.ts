/**
 * The Temporal server (the pinned release, built by binaries.ts) on PostgreSQL: persistence and visibility both on
 * the postgres12 plugin, one cluster, all four services in one process, every port on 127.0.0.1. On first start it
 * creates the schema, the namespace and storyreel's search attributes, and it returns only once a client can use
 * them.
 *
 * The server reads its config from <dir>/config/storyreel.yaml, rendered as a template by the server itself: the
 * database password is `{{ env … }}` there and reaches the process only through its environment.
 */
import { Connection, type TLSConfig } from '@temporalio/client';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { STORYREEL_DYNAMIC_CONFIG } from '../temporal/dev-server.js';
import type { DeployBinaries } from './binaries.js';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { choosePort } from './ports.js';
import type { PostgresAddress } from './postgres.js';
import { ensureNamespace } from './temporal-namespace.js';
import { ensureTemporalSchema, SQL_PLUGIN, TEMPORAL_DATABASES, type TemporalDatabases } from './temporal-schema.js';

/** Fixed when the persistence database is created; a server with another count refuses that database. */
export const NUM_HISTORY_SHARDS = 4;
const PASSWORD_ENV = 'STORYREEL_TEMPORAL_SQL_PASSWORD';
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
/** cluster_membership.rpc_port is a smallint in the PostgreSQL schema. */
const MAX_MEMBERSHIP_PORT = 32_768;

export type TemporalPorts = Record<(typeof SERVICES)[number], { grpc: number; membership: number }>;

export interface TemporalServerOptions {
  /** Holds config/ and temporal.log. */
  dir: string;
  binaries: DeployBinaries;
  postgres: PostgresAddress;
  /** Default `temporal` and `temporal_visibility`; another pair runs a second, independent cluster on the same PostgreSQL. */
  databases?: TemporalDatabases;
  namespace?: string;
  /** Ports to reuse when they are free (a restarted stack keeps its address); the frontend's gRPC port is the address. */
  ports?: Partial<TemporalPorts>;
  log?: (msg: string) => void;
  /**
   * TLS on the frontend (what clients and workers reach), PEM files: the server's certificate and key, and the CA
   * that signed the server's certificate and, with `requireClientCert`, the clients' (mTLS). The server's own
   * internal clients (its worker service) connect with `clientCertFile`/`clientKeyFile` when mTLS is required.
   */
  tls?: FrontendTls;
}

export interface FrontendTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** The name in the server's certificate (default localhost). */
  serverName?: string;
  requireClientCert?: boolean;
  clientCertFile?: string;
  clientKeyFile?: string;
}

export interface TemporalServer {
  /** host:port of the frontend, for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  ports: TemporalPorts;
  logFile: string;
  pid(): number | undefined;
  /** Graceful stop (SIGTERM); the database keeps everything. */
  stop(): Promise<void>;
  /** Starts the server again on the same ports and database (after stop()), returning once it serves. */
  start(): Promise<void>;
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServer> {
  const log = opts.log ?? (() => {});
  const namespace = opts.namespace ?? 'default';
  const databases = opts.databases ?? TEMPORAL_DATABASES;
  await ensureTemporalSchema(opts.postgres, databases, opts.binaries, log);
  const ports = await choosePorts(opts.ports);
  const address = `127.0.0.1:${ports.frontend.grpc}`;
  const configDir = join(opts.dir, 'config');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'dynamicconfig.yaml'), dynamicConfigYaml());
  await writeFile(
    join(configDir, 'storyreel.yaml'),
    serverConfigYaml(opts.postgres, databases, ports, join(configDir, 'dynamicconfig.yaml'), opts.tls),
  );
  const logFile = join(opts.dir, 'temporal.log');

  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = await spawnManaged({
      name: 'temporal server',
      command: opts.binaries.temporalServer,
      args: ['--root', opts.dir, '--config', 'config', '--env', 'storyreel', '--allow-no-auth', 'start'],
      env: { PATH: process.env.PATH, [PASSWORD_ENV]: opts.postgres.password },
      logFile,
      stopSignal: 'SIGTERM',
    });
    await waitUntilReady(proc, () => serving(address, opts.tls), 120_000);
    log(`temporal server: ${address} (pid ${proc.pid}, log ${logFile})`);
  };
  await start();
  await ensureNamespace(address, namespace, log, opts.tls ? await clientTls(opts.tls) : undefined);
  return {
    address,
    namespace,
    ports,
    logFile,
    pid: () => (proc?.exitStatus() === undefined ? proc?.pid : undefined),
    start,
    async stop() {
      await proc?.stop(60_000);
    },
  };
}

/** What storyreel's own calls to a TLS frontend present (the CA, and the client pair when mTLS is required). */
export async function clientTls(tls: FrontendTls): Promise<TLSConfig> {
  return {
    serverNameOverride: tls.serverName ?? 'localhost',
    serverRootCACertificate: await readFile(tls.caFile),
    ...(tls.clientCertFile && tls.clientKeyFile
      ? { clientCertPair: { crt: await readFile(tls.clientCertFile), key: await readFile(tls.clientKeyFile) } }
      : {}),
  };
}

async function serving(address: string, tls: FrontendTls | undefined): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2000, ...(tls ? { tls: await clientTls(tls) } : {}) });
  try {
    const res = await connection.healthService.check({});
    return res.status === 1; // SERVING
  } finally {
    await connection.close();
  }
}

async function choosePorts(preferred: Partial<TemporalPorts> = {}): Promise<TemporalPorts> {
  const taken = new Set<number>();
  const pick = async (want: number | undefined, below?: number) => {
    let port = await choosePort(want && !taken.has(want) ? want : undefined, below);
    while (taken.has(port)) port = await choosePort(undefined, below);
    taken.add(port);
    return port;
  };
  const out: Partial<TemporalPorts> = {};
  for (const s of SERVICES)
    out[s] = { grpc: await pick(preferred[s]?.grpc), membership: await pick(preferred[s]?.membership, MAX_MEMBERSHIP_PORT) };
  return out as TemporalPorts;
}

/** The server's global.tls block: TLS on the frontend only (the services talk to each other on 127.0.0.1). */
function frontendTlsConfig(tls: FrontendTls) {
  const client = { serverName: tls.serverName ?? 'localhost', rootCaFiles: [tls.caFile] };
  return {
    frontend: {
      server: {
        certFile: tls.certFile,
        keyFile: tls.keyFile,
        ...(tls.requireClientCert ? { requireClientAuth: true, clientCaFiles: [tls.caFile] } : {}),
      },
      client,
    },
    // The worker service's own client to the frontend (system workflows).
    systemWorker: {
      ...(tls.requireClientCert && tls.clientCertFile && tls.clientKeyFile
        ? { certFile: tls.clientCertFile, keyFile: tls.clientKeyFile }
        : {}),
      client,
    },
  };
}

function dynamicConfigYaml(): string {
  return stringify(Object.fromEntries(Object.entries(STORYREEL_DYNAMIC_CONFIG).map(([k, v]) => [k, [{ value: v }]])));
}

function serverConfigYaml(
  pg: PostgresAddress,
  databases: TemporalDatabases,
  ports: TemporalPorts,
  dynamicConfigFile: string,
  tls?: FrontendTls,
): string {
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: SQL_PLUGIN,
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: `{{ env "${PASSWORD_ENV}" }}`,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const config = {
    log: { stdout: true, level: 'warn', format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: NUM_HISTORY_SHARDS,
      datastores: {
        'postgres-default': datastore(databases.persistence, 20),
        'postgres-visibility': datastore(databases.visibility, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' }, ...(tls ? { tls: frontendTlsConfig(tls) } : {}) },
    services: Object.fromEntries(
      SERVICES.map((s) => [s, { rpc: { grpcPort: ports[s].grpc, membershipPort: ports[s].membership, bindOnIP: '127.0.0.1' } }]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend.grpc}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  // The server renders this file as a Go template when a comment in its first 1 KB says so.
  return `# enable-template (the password comes from the server's environment)\n${stringify(config)}`;
}
