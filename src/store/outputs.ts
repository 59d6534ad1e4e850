/**
 * Where a production's outputs (the final video, its sidecars, manifest and lockfile) end up beyond the assembling
 * worker's disk. With a directory store they stay in the output directory the client chose; with object storage
 * they are also uploaded to <prefix>/outputs/<production id>/<file name>, where any host (and, through a presigned
 * URL, anyone holding the link) can fetch them.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { StoreError } from './clip-store.js';
import type { S3Objects } from './s3.js';

export interface OutputStore {
  /** Uploads a finished output file; returns its URI (s3://…), or undefined when outputs stay where they are. */
  publish(productionId: string, file: string): Promise<string | undefined>;
  /** A time-limited HTTPS link to a published output; undefined when outputs are plain files. */
  url(productionId: string, name: string, expiresInS?: number): Promise<string | undefined>;
}

export const localOutputs: OutputStore = {
  publish: () => Promise.resolve(undefined),
  url: () => Promise.resolve(undefined),
};

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checked(what: string, value: string): string {
  if (!SAFE_ID.test(value) || value.includes('..'))
    throw new StoreError(`${what} ${JSON.stringify(value.slice(0, 80))} cannot name an object`);
  return value;
}

/** SigV4 presigned URLs are valid for at most 7 days. */
const MAX_URL_S = 7 * 24 * 3600;

export class S3Outputs implements OutputStore {
  constructor(readonly objects: S3Objects) {}

  key(productionId: string, name: string): string {
    return this.objects.key('outputs', checked('production id', productionId), checked('output name', name));
  }

  async publish(productionId: string, file: string): Promise<string> {
    const key = this.key(productionId, basename(file));
    const { size } = await stat(file);
    const type = file.endsWith('.mp4') ? 'video/mp4' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    await this.objects.put(key, createReadStream(file), { ContentLength: size, ContentType: type });
    return this.objects.uri(key);
  }

  async url(productionId: string, name: string, expiresInS = 24 * 3600): Promise<string> {
    const expiresIn = Math.min(Math.max(1, Math.round(expiresInS)), MAX_URL_S);
    return getSignedUrl(this.objects.s3, new GetObjectCommand({ Bucket: this.objects.at.bucket, Key: this.key(productionId, name) }), {
      expiresIn,
    });
  }
}
