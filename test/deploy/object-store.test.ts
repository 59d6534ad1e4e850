/** The stack's S3-compatible store through the official AWS SDK: an object put is the object got, byte for byte. */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { objectStoreClient } from '../../src/deploy/object-store.js';

const store = inject('stackObjectStore');
const s3 = objectStoreClient(store);
afterAll(() => s3.destroy());

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('the object store (versitygw, POSIX backend) through @aws-sdk/client-s3', () => {
  it('stores and returns an object, lists it, and deletes it', async () => {
    const key = `clips/${randomBytes(4).toString('hex')}/clip.bin`;
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body, ContentType: 'application/octet-stream' }));

    const got = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    const bytes = await got.Body!.transformToByteArray();
    expect(bytes.length).toBe(body.length);
    expect(sha256(bytes)).toBe(sha256(body));
    expect(got.ContentType).toBe('application/octet-stream');

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: key.split('/').slice(0, 2).join('/') }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([[key, body.length]]);

    await s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key }));
    const gone = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key })).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(S3ServiceException);
    expect((gone as S3ServiceException).name).toBe('NoSuchKey');
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrong = objectStoreClient({ ...store, credentials: { ...store.credentials, secretAccessKey: 'not-the-secret' } });
    try {
      const err = await wrong.send(new ListObjectsV2Command({ Bucket: store.bucket })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3ServiceException);
      expect((err as S3ServiceException).$metadata.httpStatusCode).toBe(403);
    } finally {
      wrong.destroy();
    }
  });
});
