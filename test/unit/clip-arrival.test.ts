/**
 * A clip is decoded when it arrives, not only at the end (issue 11 item 12): downloadClip compares the clip with the
 * request (size, frame rate, sound) and never stores one that differs; the failure is output_invalid and not retried.
 * The store hashes what it hands out: a cached clip changed on disk is dropped (made again), never used.
 */
import { copyFile, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type ApplicationFailure } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { sceneActivities, type PreparedInputs, type SceneDeps } from '../../activities/scene.js';
import { toFailure } from '../../activities/to-failure.js';
import { ProviderError } from '../../src/providers/errors.js';
import type { ProviderRegistry } from '../../src/providers/registry.js';
import type { VideoProvider } from '../../src/providers/types.js';
import { DirectoryClipStore, type ClipRecord } from '../../src/store/clip-store.js';
import { sha256File } from '../../src/store/files.js';
import { genClip, type ClipSpec } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

let dir: string;
const clips: Record<string, string> = {};
const SPECS: Record<string, ClipSpec> = {
  good: { width: 160, height: 90, fps: 24, seconds: 1, color: 0x2040e0 },
  wrongSize: { width: 320, height: 180, fps: 24, seconds: 1, color: 0x2040e0 },
  wrongFps: { width: 160, height: 90, fps: 15, seconds: 1, color: 0x2040e0 },
  silent: { width: 160, height: 90, fps: 24, seconds: 1, color: 0x2040e0, audio: false },
};

beforeAll(async () => {
  dir = await tempDir('storyreel-arrival-');
  await Promise.all(
    Object.entries(SPECS).map(async ([name, spec]) => {
      clips[name] = join(dir, `${name}.mp4`);
      await genClip(clips[name], spec);
    }),
  );
});

/** The activities over a provider whose every job's output is `source`. */
function activitiesFor(source: string, storeDir: string) {
  const provider = {
    async download(_jobId: string, dest: string) {
      await copyFile(source, dest);
      return sha256File(dest);
    },
  } as unknown as VideoProvider;
  const deps: SceneDeps = {
    store: new DirectoryClipStore(storeDir),
    providers: { get: () => provider } as unknown as ProviderRegistry,
    tmpDir: join(storeDir, 'tmp'),
  };
  return { acts: sceneActivities(deps), store: deps.store };
}

const KEY = 'ab'.repeat(32);
const scene = {
  id: 's1',
  cacheKey: KEY,
  seconds: 1,
  fps: 24,
  size: { width: 160, height: 90 },
  provider: 'local',
  model: 'local-v1',
  prompt: 'arrival',
};
const download = (acts: ReturnType<typeof activitiesFor>['acts']): Promise<ClipRecord> =>
  new MockActivityEnvironment().run(acts.downloadClip, { productionId: 'p', scene, settings: {}, jobId: 'job-1', costUsd: 0 });

describe('downloadClip verifies a clip against the request before storing it', () => {
  it.each([
    ['wrongSize', /it is 320x180, 160x90 was requested/],
    ['wrongFps', /it runs at 15 fps, 24 or 25 or 30 or 60 fps was requested/],
    ['silent', /it has no audio track, audio was requested/],
  ])('%s: output_invalid naming what differs, not retried, nothing stored', async (name, reason) => {
    const storeDir = await tempDir('storyreel-arrival-store-');
    const { acts, store } = activitiesFor(clips[name]!, storeDir);
    const err = await download(acts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'output_invalid', retryable: false, jobId: 'job-1' });
    expect((err as Error).message).toMatch(reason);
    expect((err as Error).message).toMatch(/It was not stored/);
    const failure = toFailure(err) as ApplicationFailure;
    expect([failure.type, failure.nonRetryable]).toEqual(['output_invalid', true]);
    expect(await store.get(KEY)).toBeUndefined();
    expect(await readdir(join(storeDir, 'clips')).catch(() => [])).toEqual([]);
  });

  it('a clip that is what was requested is stored with its facts', async () => {
    const { acts } = activitiesFor(clips.good!, await tempDir('storyreel-arrival-store-'));
    const rec = await download(acts);
    expect(rec).toMatchObject({ cacheKey: KEY, width: 160, height: 90, fps: 24, hasAudio: true, jobId: 'job-1' });
  });
});

describe('the chain hand-off: the last frame is taken when the clip arrives', () => {
  const next = (size: { width: number; height: number }) => ({
    ...scene,
    id: 's2',
    size,
    continuity: { firstFrame: { kind: 'previous-last-frame' as const, sceneId: 's1' }, references: [] },
  });
  const prepare = (
    acts: ReturnType<typeof activitiesFor>['acts'],
    predecessor: ClipRecord,
    size: { width: number; height: number },
  ): Promise<PreparedInputs> => new MockActivityEnvironment().run(acts.prepareInputs, { scene: next(size) as never, predecessor });

  it('the next scene at the same size starts from the frame taken in the check (no second decode); another size decodes', async () => {
    const storeDir = await tempDir('storyreel-arrival-store-');
    const { acts, store } = activitiesFor(clips.good!, storeDir);
    const rec = await download(acts);
    const taken = store.framePath(rec.sha256, 'last-160x90');
    expect((await stat(taken)).size).toBeGreaterThan(0);
    // Mark the still: if the next scene decoded the clip again, the mark would be overwritten.
    await writeFile(taken, 'taken-at-arrival');
    const same = await prepare(acts, rec, { width: 160, height: 90 });
    expect(same.firstFrame).toMatchObject({ path: taken });
    expect(await readFile(taken, 'utf8')).toBe('taken-at-arrival');
    // A next scene at another size has no still yet: it is made from the clip (a real PNG).
    const other = await prepare(acts, rec, { width: 96, height: 96 });
    expect(other.firstFrame!.path).toBe(store.framePath(rec.sha256, 'last-96x96'));
    expect((await readFile(other.firstFrame!.path)).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('the clip store verifies what it hands out', () => {
  it('a stored clip changed on disk (same size) is dropped and reported missing, so it is made again', async () => {
    const storeDir = await tempDir('storyreel-arrival-store-');
    const { acts, store } = activitiesFor(clips.good!, storeDir);
    const rec = await download(acts);
    expect(await acts.lookupClip({ cacheKey: KEY })).toMatchObject({ sha256: rec.sha256 });

    // one byte flipped in the middle: the size still matches, the content does not
    const { size } = await stat(rec.path);
    const f = await open(rec.path, 'r+');
    const b = Buffer.alloc(1);
    await f.read(b, 0, 1, Math.floor(size / 2));
    b[0] = b[0]! ^ 0xff;
    await f.write(b, 0, 1, Math.floor(size / 2));
    await f.close();
    expect((await stat(rec.path)).size).toBe(size);

    expect(await acts.lookupClip({ cacheKey: KEY })).toBeNull();
    expect(await stat(rec.path).catch(() => 'gone')).toBe('gone');
    // made again: the next download stores an intact clip under the same key
    const again = await download(acts);
    expect(again.sha256).toBe(rec.sha256);
    expect(await store.get(KEY)).toMatchObject({ sha256: rec.sha256 });
  });
});
