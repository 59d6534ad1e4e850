/**
 * A production through ComfyUI from the CLI (`storyreel run`), against the ComfyUI mock started here, with every
 * continuity mode the shipped workflows support (independent, chain, anchor, keyframes) and a workflow the storyboard
 * brings itself (an API-format file with placeholders). The final video is probed; the chained scene is shown to
 * start on the previous clip's last frame.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startComfyMock, type ComfyMock, type HistoryEntry } from '../../src/mock/comfyui/server.js';
import type { Manifest } from '../../workflows/manifest.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { colorDistance, frameByIndex, lastFrame, patchColor, streamsOf } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/storyreel.js');
const REFS = join(ROOT, 'examples/refs');
let mock: ComfyMock;

beforeAll(async () => {
  mock = await startComfyMock({ timing: { msPerStep: 5, loadMs: 10, msPerNode: 2 } });
});
afterAll(async () => {
  await mock?.close();
});

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      maxBuffer: 32 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('storyreel run through ComfyUI', () => {
  it('makes final.mp4 with independent, chained, anchored and keyframed scenes and a bring-your-own workflow', async () => {
    const dir = await tempDir();
    for (const f of ['mara.png', 'harbour-dawn.png', 'lighthouse.png']) await copyFile(join(REFS, f), join(dir, f));
    // Bring your own workflow: LTX-Video exported in API format, with placeholders where the request goes.
    const own = JSON.parse(await readFile(join(ROOT, 'src/providers/comfyui/templates/ltxv-t2v.json'), 'utf8')) as Record<
      string,
      { inputs: Record<string, unknown> }
    >;
    own['6']!.inputs.text = 'film still, {{prompt}}';
    Object.assign(own['70']!.inputs, { width: '{{width}}', height: '{{height}}', length: '{{frames}}' });
    await writeFile(join(dir, 'my-ltx.json'), JSON.stringify(own, null, 2));

    const file = await writeStoryboard(dir, {
      title: 'Harbour through ComfyUI',
      defaults: { provider: 'comfyui', model: 'wan2.2-i2v', size: '832x480', seconds: 2, maxParallelScenes: 3 },
      output: { captions: false },
      providers: {
        comfyui: {
          baseURL: mock.url,
          pollIntervalMs: 50,
          workflows: {
            'my-ltx': { file: 'my-ltx.json', fps: 24, frameCount: { multipleOf: 8, plusOne: true }, sizes: ['832x480'] },
          },
        },
      },
      characters: [{ id: 'mara', name: 'Mara', description: 'a keeper in a yellow coat', references: ['mara.png'] }],
      scenes: [
        { id: 'open', model: 'wan2.2-t2v', prompt: 'Dawn over a quiet harbour', continuity: 'independent' },
        { id: 'follow', prompt: 'The camera drifts along the quay', continuity: 'chain' },
        { id: 'keeper', prompt: 'Mara looks out to sea', characters: ['mara'], continuity: 'anchor', anchor: 'mara' },
        {
          id: 'turn',
          model: 'wan2.2-flf2v',
          prompt: 'From the tower to the harbour',
          continuity: 'keyframes',
          anchor: 'lighthouse.png',
          lastFrame: 'harbour-dawn.png',
        },
        { id: 'coda', model: 'my-ltx', prompt: 'Gulls over the water', continuity: 'independent' },
      ],
    });
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-comfy-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(dir, 'work'),
      STORYREEL_OUT_DIR: join(dir, 'out'),
    };
    const plan = await cli(['plan', file], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/follow\s+comfyui\/wan2\.2-i2v\s+2s\s+-\s+chain\s+open/);

    // With TEMPORAL_ADDRESS set, `run` submits and follows; a worker process does the work, as for a user.
    const worker = await startCliWorker(env, dir);
    const r = await cli(['run', file, '--id', 'comfy-e2e'], env).finally(() => worker.stop());
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const final = join(dir, 'out', 'comfy-e2e', 'final.mp4');
    const s = await streamsOf(final);
    expect([s.video.length, s.width, s.height]).toEqual([1, 832, 480]);

    // What reached ComfyUI: one run per scene, each with the images its mode needs.
    const graphs = Object.values(mock.history()).map(
      (h: HistoryEntry) => h.prompt[2] as Record<string, { class_type: string; inputs: Record<string, unknown> }>,
    );
    expect(graphs).toHaveLength(5);
    const loads = (g: (typeof graphs)[number]) => Object.values(g).filter((n) => n.class_type === 'LoadImage').length;
    const byText = (t: string) => graphs.find((g) => Object.values(g).some((n) => String(n.inputs.text ?? '').includes(t)))!;
    expect(loads(byText('Dawn over a quiet harbour'))).toBe(0);
    expect(loads(byText('drifts along the quay'))).toBe(1);
    expect(loads(byText('Mara looks out to sea'))).toBe(1);
    expect(loads(byText('From the tower to the harbour'))).toBe(2);
    const ltx = byText('film still, ');
    expect(ltx['70']!.inputs).toMatchObject({ width: 832, height: 480, length: 49 });

    // The chained scene starts on the exact last frame of the opening scene.
    const manifest = JSON.parse(await readFile(join(dir, 'out', 'comfy-e2e', 'manifest.json'), 'utf8')) as Manifest;
    const clip = (id: string) => manifest.scenes.find((m) => m.id === id)!.clip!.path;
    // Wan and LTX make 4n+1 / 8n+1 frames (33 at 16 fps, 49 at 24: one frame over 2 s); the clip is cut to the
    // planned length when it arrives, so every stored clip lasts exactly the 2 s the plan says.
    for (const m of manifest.scenes) expect(m.clip!.durationS, m.id).toBeCloseTo(2, 2);
    const clips = manifest.scenes.reduce((t, m) => t + m.clip!.durationS, 0);
    expect(Math.abs(s.durationS - clips)).toBeLessThan(0.15);
    const patch = (f: { data: Buffer; w: number; h: number }) => patchColor(f, 8, 8, 24);
    const openLast = patch(await lastFrame(clip('open')));
    const followFirst = patch(await frameByIndex(clip('follow'), 0));
    const followLate = patch(await lastFrame(clip('follow')));
    expect(colorDistance(followFirst, openLast)).toBeLessThan(12);
    expect(colorDistance(followLate, openLast)).toBeGreaterThan(30);
  });
});
