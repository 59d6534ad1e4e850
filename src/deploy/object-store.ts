/**
 * An S3-compatible object store on 127.0.0.1: versitygw (built by binaries.ts) over its POSIX backend, where each
 * bucket is a directory under <dir>/data and each object a file (metadata in extended attributes), with one bucket
 * created for storyreel.
 *
 * Credentials: the root account's access key and secret are generated on every start unless given, and reach
 * versitygw only through its environment (ROOT_ACCESS_KEY_ID / ROOT_SECRET_ACCESS_KEY); request logging is off,
 * so they appear in no log.
 */
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeployBinaries } from './binaries.js';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { choosePort } from './ports.js';

export const DEFAULT_BUCKET = 'storyreel';
const REGION = 'us-east-1';
const HEALTH_PATH = '/health';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ObjectStoreOptions {
  /** Holds data/ (the buckets) and versitygw.log; kept between runs. */
  dir: string;
  binaries: DeployBinaries;
  port?: number;
  bucket?: string;
  /** Default: generated for this run. */
  credentials?: S3Credentials;
  log?: (msg: string) => void;
}

export interface ObjectStore {
  /** http://127.0.0.1:<port>; clients must use path-style addressing. */
  endpoint: string;
  port: number;
  region: string;
  bucket: string;
  /** Secret: pass on through environment variables only. */
  credentials: S3Credentials;
  dataDir: string;
  stop(): Promise<void>;
  /** Starts it again on the same port, data and credentials (after stop()). */
  start(): Promise<void>;
}

/** An S3 client for this store (path-style: the bucket is in the path, not the host name). */
export function objectStoreClient(store: Pick<ObjectStore, 'endpoint' | 'region' | 'credentials'>): S3Client {
  return new S3Client({ endpoint: store.endpoint, region: store.region, forcePathStyle: true, credentials: store.credentials });
}

export async function startObjectStore(opts: ObjectStoreOptions): Promise<ObjectStore> {
  const log = opts.log ?? (() => {});
  const dataDir = join(opts.dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const port = await choosePort(opts.port);
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = opts.credentials ?? {
    accessKeyId: `storyreel-${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
  const bucket = opts.bucket ?? DEFAULT_BUCKET;

  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = await spawnManaged({
      name: 'versitygw',
      command: opts.binaries.versitygw,
      args: ['--port', `127.0.0.1:${port}`, '--region', REGION, '--health', HEALTH_PATH, '--quiet', 'posix', dataDir],
      env: { PATH: process.env.PATH, ROOT_ACCESS_KEY_ID: credentials.accessKeyId, ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey },
      logFile: join(opts.dir, 'versitygw.log'),
      stopSignal: 'SIGTERM',
    });
    await waitUntilReady(proc, async () => (await fetch(`${endpoint}${HEALTH_PATH}`)).ok, 30_000);
    log(`object store: ${endpoint} (versitygw pid ${proc.pid}, data ${dataDir})`);
  };
  await start();
  const store: ObjectStore = {
    endpoint,
    port,
    region: REGION,
    bucket,
    credentials,
    dataDir,
    start,
    async stop() {
      await proc?.stop(30_000);
    },
  };
  await ensureBucket(store, log);
  return store;
}

async function ensureBucket(store: ObjectStore, log: (msg: string) => void): Promise<void> {
  const s3 = objectStoreClient(store);
  try {
    const exists = await s3.send(new HeadBucketCommand({ Bucket: store.bucket })).then(
      () => true,
      (err: unknown) => {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw err;
      },
    );
    if (!exists) {
      await s3.send(new CreateBucketCommand({ Bucket: store.bucket }));
      log(`object store: bucket ${store.bucket} created`);
    }
  } finally {
    s3.destroy();
  }
}
