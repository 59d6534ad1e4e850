import { copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadStoryboard } from '../../src/load/load-storyboard.js';
import { DirectoryClipStore } from '../../src/store/clip-store.js';
import { StoryboardError } from '../../src/storyboard/errors.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';

const run = promisify(execFile);
const REFS = resolve(import.meta.dirname, '../../examples/refs');

describe('reference files are checked when a storyboard is loaded', () => {
  it('they exist, are images, and are big enough — each problem names its path', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'not-an-image.png'), 'hello');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', join(dir, 'tiny.png')]);
    await copyFile(join(REFS, 'mara.png'), join(dir, 'mara.png'));
    const file = await writeStoryboard(dir, {
      title: 'Refs',
      characters: [
        { id: 'a', name: 'A', description: 'x', references: ['missing.png'] },
        { id: 'b', name: 'B', description: 'x', references: ['not-an-image.png'] },
        { id: 'c', name: 'C', description: 'x', references: ['tiny.png'] },
        { id: 'd', name: 'D', description: 'x', references: ['mara.png'] },
      ],
      scenes: [{ id: 's', prompt: 'x' }],
    });
    const err = (await loadStoryboard(file).catch((e: unknown) => e)) as StoryboardError;
    expect(err).toBeInstanceOf(StoryboardError);
    expect(err.issues.map((i) => i.path)).toEqual([
      'characters[0].references[0]',
      'characters[1].references[0]',
      'characters[2].references[0]',
    ]);
    expect(err.issues[0]!.message).toMatch(/not found/);
    expect(err.issues[1]!.message).toMatch(/is not a PNG, JPEG or WebP image/);
    expect(err.issues[2]!.message).toMatch(/is 32x32; use at least 64x64/);
  });

  it('loads good images with their size and hash', async () => {
    const dir = await tempDir();
    await copyFile(join(REFS, 'mara.png'), join(dir, 'mara.png'));
    const file = await writeStoryboard(dir, {
      title: 'Refs',
      characters: [{ id: 'd', name: 'D', description: 'x', references: ['mara.png'] }],
      scenes: [{ id: 's', prompt: 'x' }],
    });
    const loaded = await loadStoryboard(file);
    expect(loaded.assets['mara.png']).toMatchObject({
      width: 640,
      height: 360,
      mime: 'image/png',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });
});

describe('the clip store', () => {
  it('gc removes clips unused for the given time and keeps recently used ones', async () => {
    const dir = await tempDir();
    const store = new DirectoryClipStore(join(dir, 'store'));
    const put = async (key: string) => {
      const tmp = join(dir, `${key}.tmp.mp4`);
      await writeFile(tmp, key);
      return store.put(tmp, {
        cacheKey: key,
        durationS: 1,
        width: 2,
        height: 2,
        fps: 24,
        hasAudio: false,
        provider: 'p',
        model: 'm',
        jobId: 'j',
        prompt: 'x',
        productionId: 'p',
        sceneId: 's',
        costUsd: 0,
        createdAt: '',
      });
    };
    const old = 'a'.repeat(64);
    const fresh = 'b'.repeat(64);
    await put(old);
    await put(fresh);
    const longAgo = new Date(Date.now() - 40 * 86_400_000);
    await utimes(store.clipPath(old).replace(/\.mp4$/, '.json'), longAgo, longAgo);
    await mkdir(join(dir, 'store', 'frames'), { recursive: true });
    await writeFile(store.framePath(old, 'last-2x2'), 'png');
    const dry = await store.gc({ unusedForMs: 30 * 86_400_000, dryRun: true });
    expect(dry.removed).toHaveLength(3);
    expect(await store.get(old)).toBeDefined();
    await store.gc({ unusedForMs: 30 * 86_400_000 });
    expect(await store.get(old)).toBeUndefined();
    expect((await store.get(fresh))?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await readFile(store.clipPath(fresh), 'utf8')).toBe(fresh);
    expect(() => store.clipPath('../etc/passwd')).toThrow(/not a cache key/);
  });
});
