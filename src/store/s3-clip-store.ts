/**
 * The clip store in S3-compatible object storage, for workers on several hosts. Same contract as the directory
 * store (clip-store.ts): content-addressed by cache key, the first clip stored for a key wins, forever.
 *
 * Layout under <prefix>/:
 *   clips/<k0k1>/<cacheKey>/<sha256>.mp4   the bytes; named by their own hash, so two workers that raced to store
 *                                          the same key never overwrite each other's object
 *   clips/<k0k1>/<cacheKey>.json           the record, created once with If-None-Match: * (the race's one winner),
 *                                          naming the object above; written after it, so a record always has bytes
 * A loser's object is left unreferenced (a few MB, once per race).
 *
 * Each worker keeps copies in a bounded local cache (local-cache.ts): a clip it stored, or one it read for an
 * assembly or a last frame. Records returned carry the path the clip has in this worker's cache.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertCacheKey, StoreError, type AcquiredClips, type ClipRecord, type ClipStore } from './clip-store.js';
import { sha256File } from './files.js';
import type { LocalFileCache } from './local-cache.js';
import type { S3Objects } from './s3.js';

/** What the store keeps in a record object: the record without the host-local path, plus where the bytes are. */
type StoredRecord = Omit<ClipRecord, 'path'> & { object: string };

export class S3ClipStore implements ClipStore {
  constructor(
    readonly objects: S3Objects,
    readonly cache: LocalFileCache,
    /** Where derived stills go on this host. */
    readonly framesDir: string,
  ) {}

  private recordKey(cacheKey: string): string {
    assertCacheKey(cacheKey);
    return this.objects.key('clips', cacheKey.slice(0, 2), `${cacheKey}.json`);
  }

  private clipKey(cacheKey: string, sha256: string): string {
    assertCacheKey(cacheKey);
    assertCacheKey(sha256);
    return this.objects.key('clips', cacheKey.slice(0, 2), cacheKey, `${sha256}.mp4`);
  }

  framePath(cacheKey: string, name: string): string {
    assertCacheKey(cacheKey);
    if (!/^[a-z0-9-]+$/.test(name)) throw new StoreError(`bad frame name ${name}`);
    return join(this.framesDir, `${cacheKey}-${name}.png`);
  }

  private toRecord(stored: StoredRecord): ClipRecord {
    const { object: _object, ...rest } = stored;
    return { ...rest, path: this.cache.pathOf(stored.cacheKey) };
  }

  private async stored(cacheKey: string): Promise<StoredRecord | undefined> {
    const got = await this.objects.getText(this.recordKey(cacheKey));
    return got ? (JSON.parse(got.text) as StoredRecord) : undefined;
  }

  async get(cacheKey: string): Promise<ClipRecord | undefined> {
    const stored = await this.stored(cacheKey);
    if (!stored) return undefined;
    // The record is written after its bytes; a missing or short object means someone removed it by hand.
    if ((await this.objects.size(stored.object)) !== stored.bytes) return undefined;
    return this.toRecord(stored);
  }

  async put(
    tempFile: string,
    record: Omit<ClipRecord, 'path' | 'sha256' | 'bytes'>,
    known?: { sha256: string; bytes: number },
  ): Promise<ClipRecord> {
    const existing = await this.get(record.cacheKey);
    if (existing) {
      await rm(tempFile, { force: true });
      return existing;
    }
    const { sha256, bytes } = known ?? (await sha256File(tempFile));
    const object = this.clipKey(record.cacheKey, sha256);
    await this.objects.put(object, createReadStream(tempFile), { ContentLength: bytes, ContentType: 'video/mp4' });
    const stored: StoredRecord = { ...record, sha256, bytes, object };
    if (!(await this.objects.create(this.recordKey(record.cacheKey), `${JSON.stringify(stored, null, 2)}\n`))) {
      // Another worker stored this key first: its clip is the answer (ours may differ in bytes, not in content).
      await rm(tempFile, { force: true });
      const winner = await this.get(record.cacheKey);
      if (!winner) throw new StoreError(`clip ${record.cacheKey}: a record exists but its clip is missing`);
      return winner;
    }
    await this.cache.adopt({ cacheKey: record.cacheKey, sha256, bytes }, tempFile);
    return this.toRecord(stored);
  }

  async acquire(records: readonly Pick<ClipRecord, 'cacheKey' | 'sha256' | 'bytes'>[]): Promise<AcquiredClips> {
    const held: { path: string; release: () => void }[] = [];
    try {
      for (const r of records) {
        held.push(
          await this.cache.acquire(r, async (tmp) => {
            const stored = await this.stored(r.cacheKey);
            if (!stored || stored.sha256 !== r.sha256)
              throw new StoreError(`clip ${r.cacheKey} (sha256 ${r.sha256.slice(0, 12)}…) is not in the store`);
            await pipeline(await this.objects.getStream(stored.object), createWriteStream(tmp));
          }),
        );
      }
    } catch (err) {
      for (const h of held) h.release();
      throw err;
    }
    return { paths: held.map((h) => h.path), release: () => held.forEach((h) => h.release()) };
  }

  async list(): Promise<ClipRecord[]> {
    const out: ClipRecord[] = [];
    let token: string | undefined;
    do {
      const page = await this.objects.s3.send(
        new ListObjectsV2Command({ Bucket: this.objects.at.bucket, Prefix: this.objects.key('clips', ''), ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const m = /\/([0-9a-f]{64})\.json$/.exec(o.Key ?? '');
        const rec = m ? await this.get(m[1]!) : undefined;
        if (rec) out.push(rec);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => a.cacheKey.localeCompare(b.cacheKey));
  }

  /** Object storage expires unused clips through the bucket's lifecycle rules (docs/deploy.md), not per read. */
  async touch(): Promise<void> {}
}
