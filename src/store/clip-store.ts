/**
 * The clip store: finished clips, content-addressed by the plan's cache key, shared by every run that uses it.
 * A clip is stored once (atomic rename or conditional write after its sha256 is verified) and never regenerated
 * while it is there; what the store hands out is hashed again first (a clip changed on disk is dropped and made
 * again, never used). Two implementations: a directory (DirectoryClipStore, below: one machine) and S3-compatible
 * object storage (S3ClipStore in s3-clip-store.ts: workers on any host, each with a bounded local cache).
 *
 * DirectoryClipStore's layout under `root`: clips/<k0k1>/<cacheKey>.mp4 and .json (the record), frames/<name>.png (derived stills).
 * No path is built from user text: cache keys are 64 hex characters, checked on every call.
 */
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClipRecord } from '../contracts/clips.js';
import { sha256File, writeJsonAtomic } from './files.js';

export type { ClipRecord };

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

const KEY = /^[0-9a-f]{64}$/;

export function assertCacheKey(key: string): void {
  if (!KEY.test(key)) throw new StoreError(`not a cache key: ${JSON.stringify(key).slice(0, 80)}`);
}

/** Local paths of clips for as long as the caller uses them (a cache never evicts an acquired clip). */
export interface AcquiredClips {
  /** One local path per record, in order. */
  paths: string[];
  release(): void;
}

export interface ClipStore {
  /** Where derived stills are written on this host (scratch that can be derived again; never shared). */
  framePath(cacheKey: string, name: string): string;
  /** The record when the clip is present and intact; undefined otherwise. */
  get(cacheKey: string): Promise<ClipRecord | undefined>;
  /**
   * Moves a verified temp file into the store (the temp file is gone afterwards). Idempotent: when the key is
   * already stored, the first clip wins and is returned, whichever worker stored it.
   */
  put(
    tempFile: string,
    record: Omit<ClipRecord, 'path' | 'sha256' | 'bytes'>,
    known?: { sha256: string; bytes: number },
  ): Promise<ClipRecord>;
  /** Local files for these clips, verified against their sha256, until release(). */
  acquire(records: readonly Pick<ClipRecord, 'cacheKey' | 'sha256' | 'bytes' | 'path'>[]): Promise<AcquiredClips>;
  list(): Promise<ClipRecord[]>;
  /** Records that a clip was used now (gc keeps recently used clips). */
  touch(cacheKey: string): Promise<void>;
}

export class DirectoryClipStore implements ClipStore {
  constructor(readonly root: string) {}

  /** Clips are files already: their own paths, checked to be there. */
  async acquire(records: readonly Pick<ClipRecord, 'cacheKey' | 'path' | 'bytes'>[]): Promise<AcquiredClips> {
    const paths: string[] = [];
    for (const r of records) {
      const stored = await this.get(r.cacheKey);
      const path = stored?.path ?? r.path;
      if ((await stat(path).catch(() => undefined))?.size !== r.bytes) throw new StoreError(`clip ${r.cacheKey} is missing from the store`);
      paths.push(path);
    }
    return { paths, release() {} };
  }

  clipPath(cacheKey: string): string {
    assertCacheKey(cacheKey);
    return join(this.root, 'clips', cacheKey.slice(0, 2), `${cacheKey}.mp4`);
  }

  private recordPath(cacheKey: string): string {
    return this.clipPath(cacheKey).replace(/\.mp4$/, '.json');
  }

  /** A still derived from a clip (e.g. its last frame at a given size). `name` must be ours, not user text. */
  framePath(cacheKey: string, name: string): string {
    assertCacheKey(cacheKey);
    if (!/^[a-z0-9-]+$/.test(name)) throw new StoreError(`bad frame name ${name}`);
    return join(this.root, 'frames', `${cacheKey}-${name}.png`);
  }

  /**
   * The record when the clip is present and intact: its bytes hash to the sha256 stored with it. A clip that does not
   * (changed on disk, truncated) is dropped here, so the caller makes it again rather than use it. `verify: false`
   * only compares sizes (listing the store).
   */
  async get(cacheKey: string, opts: { verify?: boolean } = {}): Promise<ClipRecord | undefined> {
    let record: ClipRecord;
    try {
      record = JSON.parse(await readFile(this.recordPath(cacheKey), 'utf8')) as ClipRecord;
    } catch {
      return undefined;
    }
    // The record's own path may be from a store that moved: the clip is where this store keeps it.
    const path = this.clipPath(cacheKey);
    try {
      const s = await stat(path);
      if (s.size !== record.bytes) return opts.verify === false ? undefined : await this.drop(cacheKey);
    } catch {
      return undefined;
    }
    if (opts.verify !== false && (await sha256File(path)).sha256 !== record.sha256) return this.drop(cacheKey);
    return record.path === path ? record : { ...record, path };
  }

  /** Removes a clip, its record and its derived stills; true when there was a clip under this key. */
  async remove(cacheKey: string): Promise<boolean> {
    const had = await stat(this.recordPath(cacheKey)).then(
      () => true,
      () => false,
    );
    await rm(this.clipPath(cacheKey), { force: true });
    await rm(this.recordPath(cacheKey), { force: true });
    let frames: string[] = [];
    try {
      frames = (await readdir(join(this.root, 'frames'))).filter((f) => f.startsWith(`${cacheKey}-`));
    } catch {
      // no stills yet
    }
    for (const f of frames) await rm(join(this.root, 'frames', f), { force: true });
    return had;
  }

  private async drop(cacheKey: string): Promise<undefined> {
    await this.remove(cacheKey);
    return undefined;
  }

  /**
   * Moves a verified temp file into the store. Idempotent: a second put of the same key keeps the first clip
   * (whatever a retry produced, the store's answer for a key never changes once written).
   */
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
    // `known`: the hash computed while the file was streamed in; saves reading it again.
    const { sha256, bytes } = known ?? (await sha256File(tempFile));
    const path = this.clipPath(record.cacheKey);
    await mkdir(join(this.root, 'clips', record.cacheKey.slice(0, 2)), { recursive: true });
    await rename(tempFile, path);
    const full: ClipRecord = { ...record, path, sha256, bytes };
    await writeJsonAtomic(this.recordPath(record.cacheKey), full);
    return full;
  }

  async list(): Promise<ClipRecord[]> {
    const out: ClipRecord[] = [];
    let shards: string[];
    try {
      shards = await readdir(join(this.root, 'clips'));
    } catch {
      return out;
    }
    for (const shard of shards.sort()) {
      for (const f of (await readdir(join(this.root, 'clips', shard))).sort()) {
        if (!f.endsWith('.json')) continue;
        const rec = await this.get(f.slice(0, -5), { verify: false });
        if (rec) out.push(rec);
      }
    }
    return out;
  }

  /** Records that a clip was used now (gc keeps recently used clips). */
  async touch(cacheKey: string): Promise<void> {
    const now = new Date();
    await utimes(this.recordPath(cacheKey), now, now).catch(() => undefined);
  }

  /**
   * Removes clips (and their derived stills) not used for `unusedForMs`, and stray temp files.
   * A clip's last use is its record's mtime (set when stored and on every cache hit).
   */
  async gc(opts: { unusedForMs: number; dryRun?: boolean; now?: number }): Promise<{ removed: string[]; bytes: number }> {
    const cutoff = (opts.now ?? Date.now()) - opts.unusedForMs;
    const removed: string[] = [];
    let bytes = 0;
    const remove = async (p: string) => {
      bytes += (await stat(p)).size;
      removed.push(p);
      if (!opts.dryRun) await rm(p, { force: true });
    };
    const stale = new Set<string>();
    for (const rec of await this.list()) {
      const { mtimeMs } = await stat(this.recordPath(rec.cacheKey));
      if (mtimeMs < cutoff) stale.add(rec.cacheKey);
    }
    for (const dir of ['clips', 'frames']) {
      const walk = async (d: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(d, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const p = join(d, e.name);
          if (e.isDirectory()) await walk(p);
          else if (e.name.endsWith('.tmp') || stale.has(/^([0-9a-f]{64})/.exec(e.name)?.[1] ?? '')) await remove(p);
        }
      };
      await walk(join(this.root, dir));
    }
    return { removed, bytes };
  }
}
