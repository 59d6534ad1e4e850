/**
 * `storyreel run` from the CLI through the kling provider against its mock (started here, checking every token
 * against the keys), with every continuity mode kling-v3 supports: anchor (first frame from a reference image),
 * chain (first frame = the previous scene's last frame), keyframes (first and end frame), independent. ffprobe on
 * final.mp4, one create per scene counted in the mock's log, and neither key in anything the CLI printed.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fitImage } from '../../src/media/frames.js';
import { startKlingMock, type KlingMock } from '../../src/mock/kling/server.js';
import type { Manifest } from '../../workflows/manifest.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { frameByIndex, lastFrame, meanAbsDiff, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const AK = 'ak-cli-4e21d0';
const SK = 'sk-cli-secret-77c3a9';

let mock: KlingMock;
beforeAll(async () => {
  mock = await startKlingMock({ accessKey: AK, secretKey: SK, timing: { queuedMs: 50, msPerVideoSecond: 50 } });
});
afterAll(async () => {
  await mock?.close();
});

describe('storyreel run through kling (kling-v3 on the mock)', () => {
  it('anchor, chain, keyframes and independent scenes make one verified final.mp4, one create per scene', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'refs'));
    for (const f of ['mara.png', 'harbour-dawn.png']) await copyFile(join(ROOT, 'examples/refs', f), join(dir, 'refs', f));
    const file = await writeStoryboard(dir, {
      title: 'Kling continuity',
      defaults: { provider: 'kling', model: 'kling-v3', size: '1280x720', seconds: 3, maxParallelScenes: 4 },
      output: { captions: false },
      providers: { kling: { baseURL: mock.baseURL, pollIntervalMs: 50 } },
      characters: [{ id: 'mara', name: 'Mara', description: 'a keeper in a yellow coat', references: ['refs/mara.png'] }],
      scenes: [
        { id: 'anchor', prompt: 'Mara looks out to sea', characters: ['mara'], continuity: 'anchor', anchor: 'mara' },
        { id: 'chain', prompt: 'She turns toward the tower', continuity: 'chain' },
        { id: 'keys', prompt: 'Dawn breaks over the harbour', continuity: 'keyframes', lastFrame: 'refs/harbour-dawn.png' },
        { id: 'free', prompt: 'Gulls over open water' },
      ],
    });
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-kling-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(dir, 'work'),
      STORYREEL_OUT_DIR: join(dir, 'out'),
      KLING_ACCESS_KEY: AK,
      KLING_SECRET_KEY: SK,
    };
    const worker = await startCliWorker(env, dir);
    const r = await run(process.execPath, [join(ROOT, 'bin/storyreel.js'), 'run', file, '--id', 'kling-cli'], {
      cwd: dir,
      env,
      maxBuffer: 32 << 20,
    }).finally(() => worker.stop());
    const printed = r.stdout + r.stderr;
    expect(printed).toContain('completed');
    for (const secret of [AK, SK]) expect(printed).not.toContain(secret);

    const out = join(dir, 'out', 'kling-cli');
    const s = await streamsOf(join(out, 'final.mp4'));
    expect([s.width, s.height, s.video.length, s.audio.length, s.frames]).toEqual([1280, 720, 1, 1, 4 * 3 * 24]);

    const creates = mock.requests().filter((q) => q.method === 'POST' && q.path.startsWith('/v1/videos/'));
    expect(creates.map((q) => q.status)).toEqual([200, 200, 200, 200]);
    const asked = Object.fromEntries(mock.tasks().map((t) => [t.prompt.split('.')[0], { kind: t.kind, frames: t.frames, mode: t.mode }]));
    expect(asked['Mara looks out to sea']).toEqual({ kind: 'image2video', frames: { first: true, last: false }, mode: 'std' });
    expect(asked['She turns toward the tower']).toEqual({ kind: 'image2video', frames: { first: true, last: false }, mode: 'std' });
    expect(asked['Dawn breaks over the harbour']).toEqual({ kind: 'image2video', frames: { first: true, last: true }, mode: 'std' });
    expect(asked['Gulls over open water']).toEqual({ kind: 'text2video', frames: { first: false, last: false }, mode: 'std' });

    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const clip = (id: string) => manifest.scenes.find((m) => m.id === id)!.clip!.path;
    // anchor: the clip opens on the reference image, fitted to the scene's size
    const fitted = join(dir, 'mara-fitted.png');
    await fitImage(join(dir, 'refs/mara.png'), fitted, { width: 1280, height: 720 });
    expect(meanAbsDiff((await frameByIndex(fitted, 0)).data, (await frameByIndex(clip('anchor'), 0)).data)).toBeLessThan(4);
    // chain and keyframes: each opens on its predecessor's last frame
    for (const [prev, next] of [
      ['anchor', 'chain'],
      ['chain', 'keys'],
    ] as const) {
      const diff = meanAbsDiff((await lastFrame(clip(prev))).data, (await frameByIndex(clip(next), 0)).data);
      expect(diff, `${prev} → ${next}`).toBeLessThan(4);
    }
    // and an independent scene does not
    expect(meanAbsDiff((await lastFrame(clip('keys'))).data, (await frameByIndex(clip('free'), 0)).data)).toBeGreaterThan(10);
  });
});
