/**
 * The object-storage store against the stack's real S3 server (versitygw): conditional writes are honoured, the
 * first clip stored for a key wins across hosts, the ledger loses no entry under concurrent writers, a worker's
 * local cache stays within its bound and refetches (verified) what it evicted, outputs come back through presigned
 * URLs, and no secret reaches a description or an error.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Objects, assertConditionalWrites, s3ClientFromEnv } from '../../src/store/s3.js';
import { S3ClipStore } from '../../src/store/s3-clip-store.js';
import { S3JobLedger } from '../../src/store/s3-job-ledger.js';
import { LocalFileCache } from '../../src/store/local-cache.js';
import { S3Outputs } from '../../src/store/outputs.js';
import { openStorage } from '../../src/store/storage.js';
import type { LedgerJob } from '../../src/store/job-ledger.js';

const store = inject('stackObjectStore');
const env = {
  AWS_ENDPOINT_URL_S3: store.endpoint,
  AWS_REGION: store.region,
  AWS_ACCESS_KEY_ID: store.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
};
const s3 = s3ClientFromEnv(env);
const prefix = `test-${randomUUID().slice(0, 8)}`;
const objects = new S3Objects(s3, { bucket: store.bucket, prefix });
afterAll(() => s3.destroy());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const key = () => sha(randomBytes(16));

/** A worker's view of the store: its own cache directory, as on its own host. */
async function host(maxBytes = 1e9) {
  const dir = await mkdtemp(join(tmpdir(), 'storyreel-s3-host-'));
  const cache = new LocalFileCache(join(dir, 'cache'), maxBytes);
  return { dir, cache, clips: new S3ClipStore(objects, cache, join(dir, 'frames')) };
}

async function tempClip(dir: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, `${randomUUID()}.tmp`);
  await writeFile(p, bytes);
  return p;
}

const meta = (cacheKey: string) => ({
  cacheKey,
  durationS: 2,
  width: 320,
  height: 180,
  fps: 24,
  hasAudio: true,
  provider: 'local',
  model: 'local',
  jobId: 'job-1',
  prompt: 'p',
  productionId: 'p1',
  sceneId: 's1',
  costUsd: 0,
  createdAt: new Date().toISOString(),
});

describe('S3-compatible store (versitygw)', () => {
  it('honours If-None-Match and If-Match, which the ledger relies on', async () => {
    await assertConditionalWrites(objects);
    const k = objects.key('probe', randomUUID());
    expect(await objects.create(k, '1')).toBe(true);
    expect(await objects.create(k, '2')).toBe(false);
    const got = await objects.getText(k);
    expect(got?.text).toBe('1');
    expect(await objects.replace(k, '3', '"not-the-etag"')).toBe(false);
    expect(await objects.replace(k, '3', got!.etag)).toBe(true);
    expect((await objects.getText(k))?.text).toBe('3');
  });

  it('keeps the first clip stored for a key when two hosts race, and each host reads those bytes', async () => {
    const [a, b] = [await host(), await host()];
    const k = key();
    const [bytesA, bytesB] = [randomBytes(200_000), randomBytes(210_000)];
    const [ra, rb] = await Promise.all([
      a.clips.put(await tempClip(a.dir, bytesA), meta(k)),
      b.clips.put(await tempClip(b.dir, bytesB), meta(k)),
    ]);
    expect(ra.sha256).toBe(rb.sha256);
    const winner = ra.sha256 === sha(bytesA) ? bytesA : bytesB;
    expect(ra.sha256).toBe(sha(winner));
    for (const h of [a, b]) {
      const held = await h.clips.acquire([(await h.clips.get(k))!]);
      expect(sha(await readFile(held.paths[0]!))).toBe(sha(winner));
      held.release();
    }
    expect((await a.clips.list()).map((r) => r.cacheKey)).toContain(k);
  });

  it("keeps a host's cache within its bound, never evicting a clip in use, and refetches an evicted clip intact", async () => {
    const writer = await host();
    const reader = await host(1_000_000);
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await writer.clips.put(await tempClip(writer.dir, randomBytes(400_000)), meta(key())));
    const first = await reader.clips.acquire([records[0]!]);
    for (const r of records.slice(1)) (await reader.clips.acquire([r])).release();
    // Held: the first stays although it is the least recently used; the cache is at most one clip over its bound.
    expect(await readFile(first.paths[0]!).then(sha)).toBe(records[0]!.sha256);
    first.release();
    await reader.cache.evict();
    expect(await reader.cache.size()).toBeLessThanOrEqual(1_000_000);
    const again = await reader.clips.acquire([records[0]!]);
    expect(sha(await readFile(again.paths[0]!))).toBe(records[0]!.sha256);
    again.release();
  });

  it('loses no ledger entry when many workers record jobs for one clip at once', async () => {
    const ledgers = [new S3JobLedger(objects), new S3JobLedger(objects), new S3JobLedger(objects)];
    const cacheKey = key();
    const jobs: LedgerJob[] = Array.from({ length: 12 }, (_, i) => ({
      cacheKey,
      provider: 'openai-videos',
      endpoint: '',
      jobId: `video_${i}`,
      fingerprint: 'f',
      clientRef: `ref-${i}`,
      productionId: 'p',
      sceneId: `s${i}`,
      createdAt: new Date().toISOString(),
      state: 'created',
    }));
    await Promise.all(jobs.map((j, i) => ledgers[i % 3]!.record(j)));
    expect((await ledgers[0]!.forClip(cacheKey)).map((j) => j.jobId).sort()).toEqual(jobs.map((j) => j.jobId).sort());
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ledgers[i % 3]!.recordCreate('openai-videos', 'ref-x', { attempt: i + 1, state: 'sent', at: new Date().toISOString() }),
      ),
    );
    expect((await ledgers[1]!.creates('openai-videos', 'ref-x')).map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await ledgers[2]!.claimant('openai-videos', 'video_3')).toEqual({ cacheKey, clientRef: 'ref-3' });
  });

  it('publishes outputs that a presigned URL serves to a plain HTTP client, and only for that object', async () => {
    const outputs = new S3Outputs(objects);
    const dir = await mkdtemp(join(tmpdir(), 'storyreel-out-'));
    const body = randomBytes(300_000);
    await writeFile(join(dir, 'final.mp4'), body);
    const uri = await outputs.publish('prod-1', join(dir, 'final.mp4'));
    expect(uri).toBe(`s3://${store.bucket}/${prefix}/outputs/prod-1/final.mp4`);
    const url = await outputs.url('prod-1', 'final.mp4', 600);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(body));
    const other = await fetch(url.replace('final.mp4', 'manifest.json'));
    expect(other.status).toBe(403);
    expect(() => outputs.key('../etc', 'x')).toThrow(/cannot name an object/);
  });

  it('opens from the environment with no secret in its description or its errors', async () => {
    const work = await mkdtemp(join(tmpdir(), 'storyreel-s3-env-'));
    const storage = await openStorage({ ...env, STORYREEL_STORE: `s3://${store.bucket}/${prefix}` }, work);
    expect(storage.description).toContain(`s3://${store.bucket}/${prefix}`);
    expect(storage.description).not.toContain(store.credentials.secretAccessKey);
    storage.close();
    const wrong = 'wrong-secret-' + randomBytes(8).toString('hex');
    const err = await openStorage({ ...env, AWS_SECRET_ACCESS_KEY: wrong, STORYREEL_STORE: `s3://${store.bucket}/${prefix}` }, work).catch(
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot be used.*credentials/);
    expect((err as Error).message).not.toContain(wrong);
    await expect(openStorage({ STORYREEL_STORE: 's3://Bad_Bucket' }, work)).rejects.toThrow(/STORYREEL_STORE: expected s3:\/\//);
  });
});
