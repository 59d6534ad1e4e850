/**
 * `storyreel run` from the CLI through the google provider against its mock (started here), with every continuity
 * mode the models support: Veo 3.1 on the Gemini API with anchor (first frame from a reference image), chain (first
 * frame = the previous scene's last frame), keyframes (first and last frame) and extend (Veo's own scene extension
 * of the previous clip), then Gemini Omni chained after it. ffprobe on final.mp4, one create per scene counted in
 * the mock's log, frame continuity measured, and the key absent from everything the CLI printed.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fitImage } from '../../src/media/frames.js';
import { startGoogleMock, type GoogleMock } from '../../src/mock/google/server.js';
import type { Manifest } from '../../workflows/manifest.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { frameByIndex, lastFrame, meanAbsDiff, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'AIza-cli-secret-3e51';

let mock: GoogleMock;
beforeAll(async () => {
  mock = await startGoogleMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 40 } });
});
afterAll(async () => {
  await mock?.close();
});

describe('storyreel run through google (Veo 3.1 and Gemini Omni on the mock)', () => {
  it('anchor, chain, keyframes, extend (Veo) and chain into Omni make one verified final.mp4, one create per scene', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'refs'));
    for (const f of ['mara.png', 'harbour-dawn.png']) await copyFile(join(ROOT, 'examples/refs', f), join(dir, 'refs', f));
    const file = await writeStoryboard(dir, {
      title: 'Google continuity',
      defaults: { provider: 'google', model: 'veo-3.1-generate-001', size: '1280x720', seconds: 4, maxParallelScenes: 4 },
      output: { captions: false },
      providers: { google: { baseURL: mock.url, pollIntervalMs: 50 } },
      characters: [{ id: 'mara', name: 'Mara', description: 'a keeper in a yellow coat', references: ['refs/mara.png'] }],
      scenes: [
        { id: 'anchor', prompt: 'Mara looks out to sea', characters: ['mara'], continuity: 'anchor', anchor: 'mara' },
        { id: 'chain', prompt: 'She turns toward the tower', continuity: 'chain' },
        { id: 'keys', prompt: 'Dawn breaks over the harbour', continuity: 'keyframes', lastFrame: 'refs/harbour-dawn.png', seconds: 8 },
        { id: 'more', prompt: 'The light climbs the tower', continuity: 'extend', seconds: 7 },
        { id: 'omni', prompt: 'Gulls lift off the breakwater', continuity: 'chain', model: 'gemini-omni-1.1-flash', seconds: 5 },
      ],
    });
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-google-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(dir, 'work'),
      STORYREEL_OUT_DIR: join(dir, 'out'),
      GEMINI_API_KEY: KEY,
    };
    const worker = await startCliWorker(env, dir);
    const r = await run(process.execPath, [join(ROOT, 'bin/storyreel.js'), 'run', file, '--id', 'google-cli'], {
      cwd: dir,
      env,
      maxBuffer: 32 << 20,
    }).finally(() => worker.stop());
    expect(r.stdout + r.stderr).toContain('completed');
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(worker.stderr()).not.toContain(KEY);

    const out = join(dir, 'out', 'google-cli');
    const s = await streamsOf(join(out, 'final.mp4'));
    expect([s.width, s.height, s.video.length, s.audio.length, s.frames]).toEqual([1280, 720, 1, 1, (4 + 4 + 8 + 7 + 5) * 24]);

    const creates = mock.requests().filter((q) => q.method === 'POST' && /predictLongRunning|\/interactions$/.test(q.path));
    expect(creates.map((q) => `${q.path} ${q.status}`)).toEqual([
      ...Array(4).fill('/v1beta/models/veo-3.1-generate-001:predictLongRunning 200'),
      '/v1beta/interactions 200',
    ]);
    const asked = Object.fromEntries(mock.jobs().map((j) => [String(j.received.prompt).split('.')[0], j.received]));
    expect(asked['Mara looks out to sea']).toMatchObject({ image: true, lastFrame: false, durationSeconds: 4 });
    expect(asked['She turns toward the tower']).toMatchObject({ image: true, lastFrame: false });
    expect(asked['Dawn breaks over the harbour']).toMatchObject({ image: true, lastFrame: true, durationSeconds: 8 });
    expect(asked['The light climbs the tower']).toMatchObject({
      video: expect.stringMatching(/\/v1beta\/files\/[a-z0-9]+:download/) as string,
    });
    expect(asked['The light climbs the tower']).not.toHaveProperty('durationSeconds');
    expect(asked['Gulls lift off the breakwater']).toMatchObject({ task: 'image_to_video', images: 1, duration: '5s' });

    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const clip = (id: string) => manifest.scenes.find((m) => m.id === id)!.clip!.path;
    // anchor: the clip opens on the reference image, fitted to the scene's size
    const fitted = join(dir, 'mara-fitted.png');
    await fitImage(join(dir, 'refs/mara.png'), fitted, { width: 1280, height: 720 });
    expect(meanAbsDiff((await frameByIndex(fitted, 0)).data, (await frameByIndex(clip('anchor'), 0)).data)).toBeLessThan(4);
    // chain, keyframes and the Omni scene each open on their predecessor's last frame
    for (const [prev, next] of [
      ['anchor', 'chain'],
      ['chain', 'keys'],
      ['more', 'omni'],
    ] as const) {
      const diff = meanAbsDiff((await lastFrame(clip(prev))).data, (await frameByIndex(clip(next), 0)).data);
      expect(diff, `${prev} → ${next}`).toBeLessThan(4);
    }
    // the extension is the new 7 s only (the stitched 15 s result trimmed by the 8 s it extends)
    expect(Math.round((await streamsOf(clip('more'))).durationS)).toBe(7);
  });
});
