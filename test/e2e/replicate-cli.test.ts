/**
 * `storyreel run` from the CLI through the replicate provider against its mock (started here), with every
 * continuity mode Veo 3.1 Fast on Replicate supports: anchor (first frame from a reference image), chain (first
 * frame = the previous scene's last frame), keyframes (first and last frame), independent. ffprobe on final.mp4,
 * one create per scene counted in the mock's log, and the key absent from everything the CLI printed.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fitImage } from '../../src/media/frames.js';
import { startReplicateMock, type ReplicateMock } from '../../src/mock/replicate/server.js';
import type { Manifest } from '../../workflows/manifest.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { frameByIndex, lastFrame, meanAbsDiff, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'r8_cli-secret-8d02b7';

let mock: ReplicateMock;
beforeAll(async () => {
  mock = await startReplicateMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 50 } });
});
afterAll(async () => {
  await mock?.close();
});

describe('storyreel run through replicate (google/veo-3.1-fast on the mock)', () => {
  it('anchor, chain, keyframes and independent scenes make one verified final.mp4, one create per scene', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'refs'));
    for (const f of ['mara.png', 'harbour-dawn.png']) await copyFile(join(ROOT, 'examples/refs', f), join(dir, 'refs', f));
    const file = await writeStoryboard(dir, {
      title: 'Replicate continuity',
      defaults: { provider: 'replicate', model: 'google/veo-3.1-fast', size: '1280x720', seconds: 4, maxParallelScenes: 4 },
      output: { captions: false },
      providers: { replicate: { baseURL: mock.baseURL, pollIntervalMs: 50 } },
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
      STORYREEL_TASK_QUEUE: `e2e-rep-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(dir, 'work'),
      STORYREEL_OUT_DIR: join(dir, 'out'),
      REPLICATE_API_TOKEN: KEY,
    };
    const worker = await startCliWorker(env, dir);
    const r = await run(process.execPath, [join(ROOT, 'bin/storyreel.js'), 'run', file, '--id', 'rep-cli'], {
      cwd: dir,
      env,
      maxBuffer: 32 << 20,
    }).finally(() => worker.stop());
    expect(r.stdout + r.stderr).toContain('completed');
    expect(r.stdout + r.stderr).not.toContain(KEY);

    const out = join(dir, 'out', 'rep-cli');
    const s = await streamsOf(join(out, 'final.mp4'));
    expect([s.width, s.height, s.video.length, s.audio.length, s.frames]).toEqual([1280, 720, 1, 1, 4 * 4 * 24]);

    const creates = mock.requests().filter((q) => q.method === 'POST' && q.path === '/v1/models/google/veo-3.1-fast/predictions');
    expect(creates.map((q) => q.status)).toEqual([201, 201, 201, 201]);
    const inputs = Object.fromEntries(mock.predictions().map((p) => [String(p.input.prompt).split('.')[0], p.input]));
    const images = (i: Record<string, unknown> | undefined) => [typeof i?.image, typeof i?.last_frame];
    expect(images(inputs['Mara looks out to sea'])).toEqual(['string', 'undefined']);
    expect(images(inputs['She turns toward the tower'])).toEqual(['string', 'undefined']);
    expect(images(inputs['Dawn breaks over the harbour'])).toEqual(['string', 'string']);
    expect(images(inputs['Gulls over open water'])).toEqual(['undefined', 'undefined']);

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
