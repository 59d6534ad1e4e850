/**
 * S3-compatible object storage: where it is (STORYREEL_STORE=s3://bucket/prefix), the client, and the conditional
 * writes the store and the job ledger rely on.
 *
 * Environment (the AWS SDK's own names, so a deployment's usual settings apply):
 *   AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL)   a non-AWS server (versitygw, MinIO, Ceph, R2, …); path-style is used
 *   AWS_REGION (default us-east-1)
 *   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN   secrets: passed to the SDK, never logged or echoed
 *   STORYREEL_S3_FORCE_PATH_STYLE=0|1           override the addressing style (default: path-style with an endpoint)
 * Without keys in the environment, the SDK's default chain is used (profiles, instance and container roles).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';

export class S3StoreError extends Error {
  override readonly name = 'S3StoreError';
}

export interface S3Location {
  bucket: string;
  /** '' or a prefix without leading or trailing slash. */
  prefix: string;
}

/** s3://bucket[/prefix] → location; a clear error naming the variable otherwise. */
export function parseS3Url(url: string, variable = 'STORYREEL_STORE'): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m)
    throw new S3StoreError(
      `${variable}: expected s3://<bucket>/<prefix> (a bucket name of 3–63 lowercase letters, digits, dots or hyphens), got ${JSON.stringify(url.slice(0, 80))}`,
    );
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((p) => p === '..' || p === '.'))
    throw new S3StoreError(`${variable}: the prefix must not contain . or .. segments`);
  return { bucket: m[1]!, prefix };
}

export function s3ClientFromEnv(env: Readonly<Record<string, string | undefined>>): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const pathStyle = env.STORYREEL_S3_FORCE_PATH_STYLE ? env.STORYREEL_S3_FORCE_PATH_STYLE === '1' : endpoint !== undefined;
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {};
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: pathStyle,
    ...keys,
  });
}

export const statusOf = (err: unknown): number | undefined =>
  err instanceof S3ServiceException
    ? err.$metadata.httpStatusCode
    : (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

const isMissing = (err: unknown) => statusOf(err) === 404 || (err as Error)?.name === 'NoSuchKey' || (err as Error)?.name === 'NotFound';
/** 412: the condition failed; 409: a conditional write raced another one (S3 answers ConditionalRequestConflict). */
const isConditionFailed = (err: unknown) => statusOf(err) === 412 || statusOf(err) === 409;

/** Object keys under a location; `parts` are our own names (hex, fixed words), never user text. */
export class S3Objects {
  constructor(
    readonly s3: S3Client,
    readonly at: S3Location,
  ) {}

  key(...parts: string[]): string {
    return [this.at.prefix, ...parts].filter(Boolean).join('/');
  }

  uri(key: string): string {
    return `s3://${this.at.bucket}/${key}`;
  }

  /** The object's text and ETag, or undefined when there is none. */
  async getText(key: string): Promise<{ text: string; etag: string } | undefined> {
    try {
      const got = await this.s3.send(new GetObjectCommand({ Bucket: this.at.bucket, Key: key }));
      return { text: await got.Body!.transformToString('utf8'), etag: got.ETag ?? '' };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async getStream(key: string): Promise<Readable> {
    const got = await this.s3.send(new GetObjectCommand({ Bucket: this.at.bucket, Key: key }));
    return got.Body as Readable;
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await this.s3.send(new HeadObjectCommand({ Bucket: this.at.bucket, Key: key }))).ContentLength;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async put(
    key: string,
    body: PutObjectCommandInput['Body'],
    extra: Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body'> = {},
  ): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.at.bucket, Key: key, Body: body, ...extra }));
  }

  /**
   * Writes only when no object has this key (If-None-Match: *). Returns false when one already exists: another
   * writer was first, and its object stands.
   */
  async create(key: string, body: string, contentType = 'application/json'): Promise<boolean> {
    try {
      await this.put(key, body, { IfNoneMatch: '*', ContentType: contentType });
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  /** Replaces the object only while its ETag is still `etag` (If-Match). Returns false when someone wrote in between. */
  async replace(key: string, body: string, etag: string): Promise<boolean> {
    try {
      await this.put(key, body, { IfMatch: etag, ContentType: 'application/json' });
      return true;
    } catch (err) {
      if (isConditionFailed(err) || isMissing(err)) return false;
      throw err;
    }
  }

  /**
   * Read-modify-write of a JSON object under optimistic concurrency: `change` gets the current value (undefined
   * when absent) and returns the new one, or undefined to leave it as it is. Retried while other writers interleave.
   */
  async update<T>(key: string, change: (current: T | undefined) => T | undefined): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.getText(key);
      const next = change(current ? (JSON.parse(current.text) as T) : undefined);
      if (next === undefined) return;
      const body = `${JSON.stringify(next, null, 2)}\n`;
      if (current ? await this.replace(key, body, current.etag) : await this.create(key, body)) return;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30 * (attempt + 1)));
    }
    throw new S3StoreError(`${this.uri(key)}: gave up after 50 concurrent updates`);
  }
}

/**
 * Refuses a server that ignores conditional writes (it would let two workers both believe they created the same
 * ledger entry): creates a probe object twice with If-None-Match: * and expects the second to be refused, then
 * replaces it with a stale If-Match and expects that refused too.
 */
export async function assertConditionalWrites(objects: S3Objects): Promise<void> {
  const key = objects.key('probes', `conditional-${randomUUID()}`);
  const first = await objects.create(key, '{"probe":1}');
  const second = await objects.create(key, '{"probe":2}');
  const stale = first && (await objects.replace(key, '{"probe":3}', '"0123456789abcdef0123456789abcdef"'));
  await objects.s3.send(new DeleteObjectCommand({ Bucket: objects.at.bucket, Key: key })).catch(() => undefined);
  if (!first || second || stale) {
    throw new S3StoreError(
      `${objects.uri(key)}: this S3 server does not honour conditional writes (If-None-Match / If-Match), which storyreel's job ledger needs to stay exactly-once across workers; use a server that does (AWS S3, versitygw ≥ 1.8, MinIO, R2) or a shared directory`,
    );
  }
}
