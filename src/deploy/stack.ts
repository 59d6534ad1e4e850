/**
 * The production-shaped stack on one machine: PostgreSQL, the Temporal server on it, and an S3-compatible object
 * store, each a real process on 127.0.0.1 with its data under one directory:
 *
 *   <dir>/postgres/        the PostgreSQL cluster (data/, run/, postgres.log)
 *   <dir>/temporal/        the server's config/ and temporal.log (its state is in PostgreSQL)
 *   <dir>/object-store/    versitygw's buckets (data/<bucket>/…) and versitygw.log
 *   <dir>/ports.json       the ports of the last run, reused when free so addresses stay the same
 *
 * It is what `npm run stack` runs and what the deploy test suite starts once.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../store/files.js';
import { ensureDeployBinaries, type DeployBinaries } from './binaries.js';
import { startObjectStore, type ObjectStore, type S3Credentials } from './object-store.js';
import { ensurePostgresInstalled, startPostgres, type Postgres } from './postgres.js';
import { startTemporalServer, type TemporalPorts, type TemporalServer } from './temporal-server.js';

export interface StackOptions {
  dir: string;
  /** The per-user build cache (config.ts cacheDir). */
  cacheDir: string;
  /** The object store's root credentials; generated for this run when omitted. */
  s3Credentials?: S3Credentials;
  log?: (msg: string) => void;
}

export interface Stack {
  dir: string;
  binaries: DeployBinaries;
  postgres: Postgres;
  temporal: TemporalServer;
  objectStore: ObjectStore;
  /** Stops everything (Temporal first, PostgreSQL last); the data stays for the next run. */
  stop(): Promise<void>;
}

interface SavedPorts {
  postgres?: number;
  temporal?: TemporalPorts;
  objectStore?: number;
}

/** Installs PostgreSQL and builds the Go servers when missing (cached); what `npm run setup:deploy` does. */
export async function prepareStack(cacheDir: string, log: (msg: string) => void): Promise<DeployBinaries> {
  await ensurePostgresInstalled(log);
  return ensureDeployBinaries(cacheDir, log);
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const binaries = await prepareStack(opts.cacheDir, log);
  const portsFile = join(opts.dir, 'ports.json');
  const saved = await readSavedPorts(portsFile);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const postgres = await startPostgres({ dir: join(opts.dir, 'postgres'), ...(saved.postgres ? { port: saved.postgres } : {}), log });
    stops.push(() => postgres.stop());
    const objectStore = await startObjectStore({
      dir: join(opts.dir, 'object-store'),
      binaries,
      ...(saved.objectStore ? { port: saved.objectStore } : {}),
      ...(opts.s3Credentials ? { credentials: opts.s3Credentials } : {}),
      log,
    });
    stops.push(() => objectStore.stop());
    const temporal = await startTemporalServer({
      dir: join(opts.dir, 'temporal'),
      binaries,
      postgres,
      ...(saved.temporal ? { ports: saved.temporal } : {}),
      log,
    });
    stops.push(() => temporal.stop());
    await writeJsonAtomic(portsFile, {
      postgres: postgres.port,
      temporal: temporal.ports,
      objectStore: objectStore.port,
    } satisfies SavedPorts);
    return { dir: opts.dir, binaries, postgres, temporal, objectStore, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The previous run's ports; none when the file is missing or unreadable (new ports are chosen then). */
async function readSavedPorts(file: string): Promise<SavedPorts> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SavedPorts;
  } catch {
    return {};
  }
}

/**
 * What a worker or client needs to use the stack, as environment variables: the non-secret ones, and the object
 * store's credentials apart (never print them; the stack command writes them to a file only its user can read).
 * The AWS_* names are the ones the AWS SDKs read by themselves.
 */
export function stackEnvironment(stack: Pick<Stack, 'temporal' | 'objectStore'>): {
  plain: Record<string, string>;
  secret: Record<string, string>;
} {
  return {
    plain: {
      TEMPORAL_ADDRESS: stack.temporal.address,
      TEMPORAL_NAMESPACE: stack.temporal.namespace,
      AWS_ENDPOINT_URL_S3: stack.objectStore.endpoint,
      AWS_REGION: stack.objectStore.region,
      STORYREEL_S3_BUCKET: stack.objectStore.bucket,
      // Workers keep clips, the job ledger and outputs there (src/store/storage.ts).
      STORYREEL_STORE: `s3://${stack.objectStore.bucket}/storyreel`,
    },
    secret: {
      AWS_ACCESS_KEY_ID: stack.objectStore.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.objectStore.credentials.secretAccessKey,
    },
  };
}
