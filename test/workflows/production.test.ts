import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { localLook } from '../../src/providers/local/provider.js';
import { MARKER_PATCH } from '../../src/media/render-card.js';
import type { Manifest } from '../../workflows/manifest.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { colorDistance, frameByIndex, frameRgb, lastFrame, meanAbsDiff, patchColor, rgbOf, streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

const storyboard = {
  title: 'Three Scenes',
  defaults: { provider: 'local', size: '640x360', fps: 24, seconds: 2 },
  providers: { local: { pollIntervalMs: 50 } },
  scenes: [
    { id: 'dawn', title: 'Dawn', prompt: 'The sun rises over a quiet bay' },
    { id: 'boat', title: 'Boat', prompt: 'A red boat leaves the harbour', continuity: 'chain', seconds: 3 },
    { id: 'gulls', title: 'Gulls', prompt: 'Gulls wheel above the mast' },
  ],
};

describe('produceStoryboard on the real dev server (local provider)', () => {
  let manifest: Manifest;
  let finalPath: string;

  it('produces a verified final.mp4 with every scene where it belongs', async () => {
    const dir = await tempDir();
    const file = await writeStoryboard(dir, storyboard);
    const { plan } = await tw.client.plan(file, { productionId: 'three-scenes' });
    const submitted = await tw.client.submit(plan);
    expect(submitted.attached).toBe(false);

    const seen = new Set<string>();
    const result = await tw.client.watch(submitted.productionId, (p) => p.scenes.forEach((s) => seen.add(s.state)), 100);
    expect(result.state).toBe('completed');
    expect(seen).toContain('ready');
    finalPath = result.outputPath!;

    const s = await streamsOf(finalPath);
    expect(s.video).toHaveLength(1);
    expect(s.audio).toHaveLength(1);
    expect([s.width, s.height]).toEqual([640, 360]);
    expect(s.frames).toBe((2 + 3 + 2) * 24);
    expect(Math.abs(s.durationS - 7)).toBeLessThanOrEqual(3 / 24);

    manifest = JSON.parse(await readFile(result.manifestPath, 'utf8')) as Manifest;
    expect(manifest.state).toBe('completed');
    expect(manifest.output?.verification.ok).toBe(true);
    expect(manifest.scenes.map((m) => [m.id, m.startS, m.endS])).toEqual([
      ['dawn', 0, 2],
      ['boat', 2, 5],
      ['gulls', 5, 7],
    ]);
    for (const m of manifest.scenes) {
      expect(m.jobId).toMatch(/^local_/);
      expect(m.clip?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(m.attempts).toHaveLength(1);
    }

    // The lockfile: what really ran, with tool versions.
    const lock = JSON.parse(await readFile(result.lockfilePath!, 'utf8')) as {
      scenes: { id: string; provider: string; prompt: string; jobIds: string[]; clipSha256: string; inputs: { firstFrame: unknown } }[];
      tools: Record<string, string>;
    };
    expect(lock.tools).toMatchObject({
      storyreel: expect.any(String),
      node: process.version,
      ffmpeg: expect.stringMatching(/^ffmpeg version/),
      temporalSdk: '1.24.0',
    });
    expect(lock.scenes.map((s) => [s.id, s.jobIds.length, s.clipSha256])).toEqual(manifest.scenes.map((m) => [m.id, 1, m.clip!.sha256]));
    expect(lock.scenes[1]!.inputs.firstFrame).toEqual({ lastFrameOf: 'dawn' });
    expect(lock.scenes[0]!.prompt).toBe(plan.scenes[0]!.prompt);

    // Each scene's colour marker at its midpoint is that scene's own colour.
    for (const [i, m] of manifest.scenes.entries()) {
      const frame = await frameRgb(finalPath, (m.startS! + m.endS!) / 2);
      const got = patchColor(frame, MARKER_PATCH.x + 4, MARKER_PATCH.y + 4, MARKER_PATCH.size - 8);
      const expected = rgbOf(localLook({ prompt: plan.scenes[i]!.prompt, title: plan.scenes[i]!.title }).color);
      expect(colorDistance(got, expected), `scene ${m.id}`).toBeLessThan(12);
    }
  });

  it("starts a chained scene on its predecessor's last frame", async () => {
    const dawn = manifest.scenes[0]!.clip!.path;
    const boat = manifest.scenes[1]!.clip!.path;
    const end = await lastFrame(dawn);
    const start = await frameByIndex(boat, 0);
    expect(meanAbsDiff(end.data, start.data)).toBeLessThan(3);
    // and the junction really is a continuation: different from the boat's own look later on
    const later = await frameByIndex(boat, 48);
    expect(meanAbsDiff(end.data, later.data)).toBeGreaterThan(10);
  });

  it('does not start a second production for the same production id', async () => {
    const dir = await tempDir();
    const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard), { productionId: 'three-scenes' });
    const again = await tw.client.submit(plan);
    expect(again.attached).toBe(true);
    expect(again.state).toBe('COMPLETED');
    const runs = [];
    for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = 'three-scenes'` })) runs.push(w.runId);
    expect(runs).toHaveLength(1);
  });

  it('attaches to a running production instead of starting another', async () => {
    const dir = await tempDir();
    const slow = {
      ...storyboard,
      title: 'Slow',
      providers: { local: { latencyMs: 3000, pollIntervalMs: 100 } },
      scenes: storyboard.scenes.map((sc) => ({ ...sc, prompt: `${sc.prompt}, slowly` })),
    };
    const { plan } = await tw.client.plan(await writeStoryboard(dir, slow), { productionId: 'slow-one' });
    const first = await tw.client.submit(plan);
    const second = await tw.client.submit(plan);
    expect(first.attached).toBe(false);
    expect(second).toMatchObject({ attached: true, state: 'RUNNING', runId: first.runId });
    const progress = await tw.client.status('slow-one');
    expect(progress.state).toBe('running');
    expect(progress.scenes.map((s) => s.id)).toEqual(['dawn', 'boat', 'gulls']);
    expect((await tw.client.result('slow-one')).state).toBe('completed');
  });

  it('takes every clip from the store when the same scenes are produced again', async () => {
    const dir = await tempDir();
    const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard), { productionId: 'three-scenes-again' });
    const submitted = await tw.client.submit(plan);
    const result = await tw.client.result(submitted.productionId);
    expect(result.state).toBe('completed');
    expect(result.scenes.map((s) => [s.cached, s.attempts.length])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
    ]);
    expect(result.scenes.map((s) => s.clip?.sha256)).toEqual(manifest.scenes.map((m) => m.clip?.sha256));
  });
});
