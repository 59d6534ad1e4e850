/**
 * speechFit extend end to end (issue 16 item 3): a scene fixed at 2 s whose narration needs more keeps its 2 s clip
 * and holds the last frame until the speech is over. Measured on the final video: its frame count is the sum of the
 * planned scene lengths (the held scene's whole frames included), not the 2 s the scene asked for.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/storyreel.js');

const STORYBOARD = `title: Held
defaults: { provider: local, size: 320x180, fps: 24, seconds: 2, voice: en-us }
scenes:
  - id: held
    prompt: A lamp in the dark
    seconds: 2
    speechFit: extend
    narration: The keeper climbed the long stair while the storm came in from the sea.
  - id: after
    prompt: The sea at dawn
`;

async function cli(args: string[], env: Record<string, string>) {
  return run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 32 << 20 });
}

describe('speechFit extend', () => {
  it('holds the 2 s clip until the narration is over: final.mp4 has the frames of the planned scene lengths', async () => {
    const work = await tempDir();
    const file = join(work, 'held.yaml');
    await writeFile(file, STORYBOARD);
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-speechfit-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(work, 'work'),
      STORYREEL_OUT_DIR: join(work, 'out'),
    };
    const plan = JSON.parse((await cli(['plan', file, '--json', '--id', 'held'], env)).stdout) as {
      scenes: { id: string; seconds: number; generateSeconds?: number; frames: number; speech?: { speechS: number; tailS: number } }[];
    };
    const held = plan.scenes[0]!;
    expect(held.generateSeconds).toBe(2);
    expect(held.seconds).toBeGreaterThan(2);
    expect(held.seconds).toBeGreaterThanOrEqual(held.speech!.speechS + held.speech!.tailS);

    const worker = await startCliWorker(env, ROOT);
    const r = await cli(['run', file, '--id', 'held'], env).finally(() => worker.stop());
    expect(r.stdout + r.stderr).toContain('completed');
    const { stdout } = await run('ffprobe', [
      ...['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0'],
      join(work, 'out', 'held', 'final.mp4'),
    ]);
    const frames = Number(stdout.trim());
    console.log(`held: ${held.seconds} s (${held.frames} frames, 2 s made); final.mp4 ${frames} frames`);
    expect(frames).toBe(plan.scenes.reduce((t, s) => t + s.frames, 0));
    expect(frames).toBeGreaterThan(4 * 24);
  }, 300_000);
});
