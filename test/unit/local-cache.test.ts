/** The bounded local clip cache: least recently used first, never an acquired file, only verified bytes. */
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheError, LocalFileCache } from '../../src/store/local-cache.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function file(bytes = 100_000) {
  const body = randomBytes(bytes);
  return { body, ref: { cacheKey: sha(randomBytes(8)), sha256: sha(body), bytes } };
}

describe('LocalFileCache', () => {
  it('evicts the least recently used files first, down to its bound', async () => {
    const cache = new LocalFileCache(await mkdtemp(join(tmpdir(), 'storyreel-cache-')), 250_000);
    const files = [file(), file(), file()];
    let fetched = 0;
    for (const [i, f] of files.entries()) {
      const held = await cache.acquire(f.ref, (tmp) => ((fetched += 1), writeFile(tmp, f.body)));
      held.release();
      // Distinct use times, oldest first, independent of the clock's resolution.
      await utimes(held.path, new Date(1000 * (i + 1)), new Date(1000 * (i + 1)));
    }
    expect(fetched).toBe(3);
    await cache.evict();
    expect(existsSync(cache.pathOf(files[0]!.ref.cacheKey))).toBe(false);
    expect(existsSync(cache.pathOf(files[2]!.ref.cacheKey))).toBe(true);
    expect(await cache.size()).toBeLessThanOrEqual(250_000);
    // A hit costs no fetch.
    (await cache.acquire(files[2]!.ref, () => Promise.reject(new Error('fetched again')))).release();
  });

  it('never evicts an acquired file, and catches up once it is released', async () => {
    const cache = new LocalFileCache(await mkdtemp(join(tmpdir(), 'storyreel-cache-')), 150_000);
    const [a, b] = [file(), file()];
    const held = await cache.acquire(a.ref, (tmp) => writeFile(tmp, a.body));
    await utimes(held.path, new Date(1000), new Date(1000));
    (await cache.acquire(b.ref, (tmp) => writeFile(tmp, b.body))).release();
    expect(sha(await readFile(held.path))).toBe(a.ref.sha256);
    held.release();
    await cache.evict();
    expect(existsSync(held.path)).toBe(false);
    expect(await cache.size()).toBeLessThanOrEqual(150_000);
  });

  it('refuses bytes that do not match the sha256, leaving nothing in the cache', async () => {
    const cache = new LocalFileCache(await mkdtemp(join(tmpdir(), 'storyreel-cache-')), 1e9);
    const f = file();
    await expect(cache.acquire(f.ref, (tmp) => writeFile(tmp, randomBytes(f.ref.bytes)))).rejects.toBeInstanceOf(CacheError);
    expect(await cache.size()).toBe(0);
    expect(existsSync(cache.pathOf(f.ref.cacheKey))).toBe(false);
  });
});
