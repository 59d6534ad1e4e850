/**
 * Which store a worker uses, from its environment:
 *   STORYREEL_STORE unset (or a path)   the work directory's store/ and jobs/ (one machine, or a shared disk)
 *   STORYREEL_STORE=s3://bucket/prefix  S3-compatible object storage (s3.ts for the AWS_* variables); each worker
 *                                       keeps a local cache of at most STORYREEL_CACHE_MAX_BYTES (default 20 GB)
 * The description returned names the location, never a credential.
 */
import { join, resolve } from 'node:path';
import { DirectoryClipStore, type ClipStore } from './clip-store.js';
import { FileJobLedger, type JobLedger } from './job-ledger.js';
import { LocalFileCache } from './local-cache.js';
import { localOutputs, S3Outputs, type OutputStore } from './outputs.js';
import { assertConditionalWrites, parseS3Url, s3ClientFromEnv, S3Objects, S3StoreError } from './s3.js';
import { S3ClipStore } from './s3-clip-store.js';
import { S3JobLedger } from './s3-job-ledger.js';

export interface Storage {
  clips: ClipStore;
  jobs: JobLedger;
  outputs: OutputStore;
  /** e.g. "s3://storyreel/team-a (endpoint http://127.0.0.1:9000, cache 20.0 GB)"; no secrets. */
  description: string;
  close(): void;
}

export const DEFAULT_CACHE_MAX_BYTES = 20e9;

export function storageRoots(workDir: string) {
  return { store: join(workDir, 'store'), jobs: join(workDir, 'jobs'), cache: join(workDir, 'cache'), tmp: join(workDir, 'tmp') };
}

export async function openStorage(env: Readonly<Record<string, string | undefined>>, workDir: string): Promise<Storage> {
  const roots = storageRoots(workDir);
  const where = env.STORYREEL_STORE || undefined;
  if (!where || !where.startsWith('s3://')) {
    const root = where ? resolve(where) : workDir;
    const dirs = where ? { store: join(root, 'store'), jobs: join(root, 'jobs') } : roots;
    return {
      clips: new DirectoryClipStore(dirs.store),
      jobs: new FileJobLedger(dirs.jobs),
      outputs: localOutputs,
      description: `directory ${root}`,
      close() {},
    };
  }
  const at = parseS3Url(where);
  const maxBytes = env.STORYREEL_CACHE_MAX_BYTES ? Number(env.STORYREEL_CACHE_MAX_BYTES) : DEFAULT_CACHE_MAX_BYTES;
  if (!Number.isFinite(maxBytes) || maxBytes < 1e6)
    throw new S3StoreError('STORYREEL_CACHE_MAX_BYTES: a number of bytes, at least 1000000 (e.g. 20000000000 for 20 GB)');
  const s3 = s3ClientFromEnv(env);
  const objects = new S3Objects(s3, at);
  try {
    await assertConditionalWrites(objects);
  } catch (err) {
    s3.destroy();
    if (err instanceof S3StoreError) throw err;
    throw new S3StoreError(
      `${where}: the object store cannot be used (${(err as Error).name}: ${(err as Error).message}); check STORYREEL_STORE, AWS_ENDPOINT_URL_S3 and the credentials`,
    );
  }
  const endpoint = originOf(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return {
    clips: new S3ClipStore(objects, new LocalFileCache(roots.cache, maxBytes), join(roots.cache, 'frames')),
    jobs: new S3JobLedger(objects),
    outputs: new S3Outputs(objects),
    description: `${where} (${endpoint ? `endpoint ${endpoint}, ` : ''}local cache ${(maxBytes / 1e9).toFixed(1)} GB)`,
    close: () => s3.destroy(),
  };
}

/** The endpoint without user info, path or query (nothing that could carry a credential) for descriptions. */
function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return '(unparsable endpoint)';
  }
}
