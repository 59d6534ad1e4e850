/**
 * A bounded local cache of content-addressed files (a worker's copies of clips kept in object storage), evicted
 * least recently used first once their total passes `maxBytes`.
 *
 * Files are named by their cache key and written by temp + rename after their sha256 matched, so a file in the cache
 * is always whole. A file acquired by a caller (an assembly reading it) is never evicted until released; the cache
 * may then stay above its bound until the release. Recency is the file's mtime (set on every use), so it survives a
 * worker restart.
 */
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCacheKey } from './clip-store.js';
import { sha256File, tempPathFor } from './files.js';

export class CacheError extends Error {
  override readonly name = 'CacheError';
}

export interface CachedFile {
  cacheKey: string;
  sha256: string;
  bytes: number;
}

export class LocalFileCache {
  private readonly pins = new Map<string, number>();
  /** One fill per key at a time within this process. */
  private readonly filling = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  pathOf(cacheKey: string): string {
    assertCacheKey(cacheKey);
    return join(this.dir, cacheKey.slice(0, 2), `${cacheKey}.mp4`);
  }

  /** A temp path inside the cache directory (same filesystem, so adopting it is a rename). */
  async tempPath(cacheKey: string): Promise<string> {
    const target = this.pathOf(cacheKey);
    await mkdir(join(target, '..'), { recursive: true });
    return tempPathFor(target);
  }

  /**
   * The local path of `file`, pinned until `release()`: present and the right size, or fetched by `fill(tempPath)`
   * (which must write the whole file there) and checked against its sha256 before it is renamed into place.
   */
  async acquire(file: CachedFile, fill: (tempPath: string) => Promise<void>): Promise<{ path: string; release: () => void }> {
    this.pin(file.cacheKey);
    let released = false;
    const release = () => {
      if (!released) this.unpin(file.cacheKey);
      released = true;
    };
    try {
      const path = await this.ensure(file, fill);
      return { path, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Moves a verified file into the cache (it belongs to the cache afterwards) and evicts what no longer fits. */
  async adopt(file: CachedFile, source: string): Promise<string> {
    const path = this.pathOf(file.cacheKey);
    await mkdir(join(path, '..'), { recursive: true });
    await rename(source, path);
    await this.evict();
    return path;
  }

  private async ensure(file: CachedFile, fill: (tempPath: string) => Promise<void>): Promise<string> {
    const path = this.pathOf(file.cacheKey);
    if ((await stat(path).catch(() => undefined))?.size === file.bytes) {
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
      return path;
    }
    let pending = this.filling.get(file.cacheKey);
    if (!pending) {
      pending = this.fillOnce(file, fill, path).finally(() => this.filling.delete(file.cacheKey));
      this.filling.set(file.cacheKey, pending);
    }
    return pending;
  }

  private async fillOnce(file: CachedFile, fill: (tempPath: string) => Promise<void>, path: string): Promise<string> {
    const tmp = await this.tempPath(file.cacheKey);
    try {
      await fill(tmp);
      const got = await sha256File(tmp);
      if (got.sha256 !== file.sha256 || got.bytes !== file.bytes) {
        throw new CacheError(
          `clip ${file.cacheKey}: fetched ${got.bytes} bytes with sha256 ${got.sha256.slice(0, 12)}…, expected ${file.bytes} bytes, ${file.sha256.slice(0, 12)}…`,
        );
      }
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
    await this.evict();
    return path;
  }

  private pin(key: string) {
    this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
  }

  private unpin(key: string) {
    const n = (this.pins.get(key) ?? 1) - 1;
    if (n <= 0) this.pins.delete(key);
    else this.pins.set(key, n);
  }

  /** Total bytes of the cached files (temp files of fills in progress excluded). */
  async size(): Promise<number> {
    return (await this.entries()).reduce((t, e) => t + e.bytes, 0);
  }

  private async entries(): Promise<{ key: string; path: string; bytes: number; usedMs: number }[]> {
    const out: { key: string; path: string; bytes: number; usedMs: number }[] = [];
    const shards = await readdir(this.dir).catch(() => [] as string[]);
    for (const shard of shards) {
      for (const name of await readdir(join(this.dir, shard)).catch(() => [] as string[])) {
        const m = /^([0-9a-f]{64})\.mp4$/.exec(name);
        if (!m) continue;
        const path = join(this.dir, shard, name);
        const s = await stat(path).catch(() => undefined);
        if (s) out.push({ key: m[1]!, path, bytes: s.size, usedMs: s.mtimeMs });
      }
    }
    return out;
  }

  /** Removes least recently used, unpinned files until the total fits in maxBytes. */
  async evict(): Promise<string[]> {
    const entries = (await this.entries()).sort((a, b) => a.usedMs - b.usedMs);
    let total = entries.reduce((t, e) => t + e.bytes, 0);
    const removed: string[] = [];
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      if (this.pins.has(e.key)) continue;
      await rm(e.path, { force: true });
      total -= e.bytes;
      removed.push(e.key);
    }
    return removed;
  }
}
