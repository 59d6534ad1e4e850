/**
 * `storyreel run` from the CLI through the runway provider against its mock (started here), with every continuity
 * mode Runway's models support, each on a model that takes it: anchor (a reference image as first frame) on
 * gen4_turbo, which is image-to-video only; chain (the previous scene's last frame) on gen4.5; keyframes (first and
 * last frame) on veo3.1_fast; an independent text-to-video scene. ffprobe on final.mp4, one create per scene counted
 * in the mock's log, the frames checked, and the key absent from everything the CLI printed.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fitImage } from '../../src/media/frames.js';
import { startRunwayMock, type RunwayMock } from '../../src/mock/runway/server.js';
import type { Manifest } from '../../workflows/manifest.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { frameByIndex, lastFrame, meanAbsDiff, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'key_cli-secret-3c71d0';

let mock: RunwayMock;
beforeAll(async () => {
  mock = await startRunwayMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 50 } });
});
afterAll(async () => {
  await mock?.close();
});

describe('storyreel run through runway (gen4_turbo, gen4.5 and veo3.1_fast on the mock)', () => {
  it('anchor, chain, keyframes and independent scenes make one verified final.mp4, one create per scene', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'refs'));
    for (const f of ['mara.png', 'harbour-dawn.png']) await copyFile(join(ROOT, 'examples/refs', f), join(dir, 'refs', f));
    const file = await writeStoryboard(dir, {
      title: 'Runway continuity',
      defaults: { provider: 'runway', model: 'veo3.1_fast', size: '1280x720', seconds: 4, maxParallelScenes: 4 },
      output: { captions: false },
      providers: { runway: { baseURL: mock.baseURL, pollIntervalMs: 50 } },
      characters: [{ id: 'mara', name: 'Mara', description: 'a keeper in a yellow coat', references: ['refs/mara.png'] }],
      scenes: [
        { id: 'anchor', model: 'gen4_turbo', prompt: 'Mara looks out to sea', characters: ['mara'], continuity: 'anchor', anchor: 'mara' },
        { id: 'chain', model: 'gen4.5', prompt: 'She turns toward the tower', continuity: 'chain' },
        { id: 'keys', prompt: 'Dawn breaks over the harbour', continuity: 'keyframes', lastFrame: 'refs/harbour-dawn.png' },
        { id: 'free', prompt: 'Gulls over open water' },
      ],
    });
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-rw-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(dir, 'work'),
      STORYREEL_OUT_DIR: join(dir, 'out'),
      RUNWAYML_API_SECRET: KEY,
    };
    const worker = await startCliWorker(env, dir);
    const r = await run(process.execPath, [join(ROOT, 'bin/storyreel.js'), 'run', file, '--id', 'rw-cli'], {
      cwd: dir,
      env,
      maxBuffer: 32 << 20,
    }).finally(() => worker.stop());
    expect(r.stdout + r.stderr).toContain('completed');
    expect(r.stdout + r.stderr).not.toContain(KEY);

    const out = join(dir, 'out', 'rw-cli');
    const s = await streamsOf(join(out, 'final.mp4'));
    expect([s.width, s.height, s.video.length, s.audio.length, s.frames]).toEqual([1280, 720, 1, 1, 4 * 4 * 24]);

    const creates = mock.requests().filter((q) => q.method === 'POST');
    expect(creates.map((q) => q.status)).toEqual([200, 200, 200, 200]);
    const byPrompt = Object.fromEntries(mock.tasks().map((t) => [t.promptText.split('.')[0], t]));
    const sent = (prompt: string) => {
      const t = byPrompt[prompt]!;
      return [t.model, t.endpoint, t.firstFrame, t.lastFrame];
    };
    expect(sent('Mara looks out to sea')).toEqual(['gen4_turbo', 'image_to_video', true, false]);
    expect(sent('She turns toward the tower')).toEqual(['gen4.5', 'image_to_video', true, false]);
    expect(sent('Dawn breaks over the harbour')).toEqual(['veo3.1_fast', 'image_to_video', true, true]);
    expect(sent('Gulls over open water')).toEqual(['veo3.1_fast', 'text_to_video', false, false]);

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
