import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../workflows/manifest.js';
import { sceneWorkflowId } from '../../src/contracts/names.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { frameByIndex, lastFrame, meanAbsDiff } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const EXAMPLES = resolve(import.meta.dirname, '../../examples');

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

async function produce(storyboard: unknown, id: string, dir?: string): Promise<Manifest> {
  const d = dir ?? (await tempDir());
  const { plan } = await tw.client.plan(await writeStoryboard(d, storyboard), { productionId: id });
  await tw.client.submit(plan);
  const result = await tw.client.result(id);
  return JSON.parse(await readFile(result.manifestPath, 'utf8')) as Manifest;
}

const clip = (m: Manifest, id: string) => m.scenes.find((s) => s.id === id)!.clip!.path;

/**
 * What a reference image must look like at the scene's size, computed independently of the renderer's own fitting
 * (src/media/frames.ts scales then crops): here the centred crop box of the target aspect is worked out in the test,
 * cropped first, then scaled. A stretched, uncentred or unfitted first frame differs from it.
 */
async function fittedRgb(image: string, w: number, h: number, _dir: string) {
  const probe = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    image,
  ]);
  const [sw, sh] = probe.stdout.trim().split(',').map(Number) as [number, number];
  const scale = Math.max(w / sw, h / sh);
  const cw = Math.round(w / scale);
  const ch = Math.round(h / scale);
  const box = `crop=${cw}:${ch}:${Math.floor((sw - cw) / 2)}:${Math.floor((sh - ch) / 2)},scale=${w}:${h}`;
  const raw = await run('ffmpeg', ['-v', 'error', '-i', image, '-vf', box, '-frames:v', '1', '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  return { data: raw.stdout, w, h };
}

describe('continuity modes end to end (local provider)', () => {
  let manifest: Manifest;
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(join(dir, 'refs'));
    for (const f of ['mara.png', 'lighthouse.png', 'harbour-dawn.png']) await copyFile(join(EXAMPLES, 'refs', f), join(dir, 'refs', f));
    const sb = parse(await readFile(join(EXAMPLES, 'continuity.yaml'), 'utf8')) as Record<string, unknown>;
    sb.providers = { local: { pollIntervalMs: 50 } };
    manifest = await produce(sb, 'continuity-modes', dir);
  });

  it('the junctions of a 3-scene chain match pixel for pixel (within a small tolerance)', async () => {
    expect(manifest.state).toBe('completed');
    for (const [prev, next] of [
      ['b1-tower', 'b2-lamp'],
      ['b2-lamp', 'b3-beam'],
    ] as const) {
      const end = await lastFrame(clip(manifest, prev));
      const start = await frameByIndex(clip(manifest, next), 0);
      expect(meanAbsDiff(end.data, start.data), `${prev} → ${next}`).toBeLessThan(3);
    }
  });

  it('a chained scene prepares its first frame while its cache is looked up (the hand-off: one round trip fewer)', async () => {
    const history = await tw.temporal.workflow.getHandle(sceneWorkflowId('continuity-modes', 'b2-lamp')).fetchHistory();
    const events = history.events ?? [];
    const scheduled = (type: string) =>
      events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)?.eventId?.toString();
    const completedOf = (eventId: string | undefined) =>
      Number(events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === eventId)?.eventId);
    const prepare = Number(scheduled('prepareInputs'));
    // Scheduled before the lookup finished: both in flight at once.
    expect(prepare).toBeGreaterThan(0);
    expect(prepare).toBeLessThan(completedOf(scheduled('lookupClip')));
  });

  it('an anchor scene starts from its reference image', async () => {
    const ref = await fittedRgb(join(dir, 'refs', 'mara.png'), 960, 540, dir);
    const first = await frameByIndex(clip(manifest, 'a1-portrait'), 0);
    expect(meanAbsDiff(ref.data, first.data)).toBeLessThan(3);
  });

  it('with reanchorEvery, the re-anchored scene starts from the reference, not from its predecessor', async () => {
    const a3 = manifest.scenes.find((s) => s.id === 'a3-walk')!;
    expect(a3.dependsOn).toEqual([]);
    const ref = await fittedRgb(join(dir, 'refs', 'mara.png'), 960, 540, dir);
    const first = await frameByIndex(clip(manifest, 'a3-walk'), 0);
    const predecessorEnd = await lastFrame(clip(manifest, 'a2-turn'));
    expect(meanAbsDiff(ref.data, first.data)).toBeLessThan(3);
    expect(meanAbsDiff(predecessorEnd.data, first.data)).toBeGreaterThan(10);
    // while the plain chain link before it does continue from its predecessor
    const a2first = await frameByIndex(clip(manifest, 'a2-turn'), 0);
    expect(meanAbsDiff((await lastFrame(clip(manifest, 'a1-portrait'))).data, a2first.data)).toBeLessThan(3);
  });

  it('keyframes: starts on the first image and ends on the last', async () => {
    const c = clip(manifest, 'c1-dawn');
    const first = await frameByIndex(c, 0);
    const last = await lastFrame(c);
    expect(meanAbsDiff((await fittedRgb(join(dir, 'refs', 'lighthouse.png'), 960, 540, dir)).data, first.data)).toBeLessThan(3);
    expect(meanAbsDiff((await fittedRgb(join(dir, 'refs', 'harbour-dawn.png'), 960, 540, dir)).data, last.data)).toBeLessThan(3);
  });
});

describe('scheduling from the dependency graph', () => {
  it('two independent 3-scene chains run concurrently while each chain stays in order', async () => {
    const chain = (name: string) => [
      { id: `${name}1`, prompt: `${name} opens` },
      { id: `${name}2`, prompt: `${name} goes on`, continuity: 'chain' },
      { id: `${name}3`, prompt: `${name} ends`, continuity: 'chain' },
    ];
    const m = await produce(
      {
        title: 'Two chains',
        defaults: { provider: 'local', size: '320x180', seconds: 1, maxParallelScenes: 4 },
        providers: { local: { latencyMs: 1500, pollIntervalMs: 50 } },
        scenes: [...chain('x'), ...chain('y')],
      },
      'two-chains',
    );
    const t = (id: string) => {
      const s = m.scenes.find((x) => x.id === id)!;
      return { start: Date.parse(s.timings.startedAt!), end: Date.parse(s.timings.finishedAt!) };
    };
    for (const c of ['x', 'y']) {
      expect(t(`${c}2`).start).toBeGreaterThanOrEqual(t(`${c}1`).end);
      expect(t(`${c}3`).start).toBeGreaterThanOrEqual(t(`${c}2`).end);
    }
    for (const k of [1, 2, 3]) {
      const x = t(`x${k}`);
      const y = t(`y${k}`);
      expect(Math.min(x.end, y.end) - Math.max(x.start, y.start), `x${k} and y${k} overlap`).toBeGreaterThan(500);
    }
  });
});
