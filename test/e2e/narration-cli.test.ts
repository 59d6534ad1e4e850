/**
 * The lighthouse demo speaks (issue 16): `storyreel run examples/lighthouse.yaml` against the suite's server with a
 * worker process. Measured on the final video:
 * - speech is audible inside every scene's caption window and the speech band is silent outside them (the clips'
 *   own tones are removed by a steep high-pass: espeak-ng's consonants and formants sit above 2 kHz, the local
 *   renderer's sine tones below);
 * - every scene's first caption starts within 100 ms of the speech it shows;
 * - the chained scene "the-lamp", asked for 3 s, needs ~3.3 s for its narration: plan shows 3s→3.5s, and the final
 *   video has its 84 frames (3.5 s × 24 fps) in place.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import type { Manifest } from '../../workflows/manifest.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/storyreel.js');
const WINDOW_S = 0.01;

async function cli(args: string[], env: Record<string, string>) {
  const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    maxBuffer: 32 << 20,
  });
  return { stdout, stderr };
}

/** RMS (dBFS) per 10 ms of the speech band (above ~2 kHz) of the video's audio. */
async function speechBandLevels(video: string): Promise<number[]> {
  const hp = Array.from({ length: 4 }, () => 'highpass=f=2000:poles=2').join(',');
  const child = spawn('ffmpeg', ['-v', 'error', '-i', video, '-vn', '-af', hp, '-ac', '1', '-ar', '16000', '-f', 'f32le', '-']);
  const chunks: Buffer[] = [];
  for await (const c of child.stdout) chunks.push(c as Buffer);
  const pcm = Buffer.concat(chunks);
  const samples = new Float32Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 4));
  const per = 16_000 * WINDOW_S;
  const out: number[] = [];
  for (let i = 0; i + per <= samples.length; i += per) {
    let sum = 0;
    for (let k = i; k < i + per; k++) sum += samples[k]! ** 2;
    out.push(10 * Math.log10(sum / per + 1e-12));
  }
  return out;
}

function parseSrt(text: string): { startS: number; endS: number; text: string }[] {
  const t = (s: string) => {
    const [h, m, rest] = s.split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(rest!.replace(',', '.'));
  };
  return text
    .trim()
    .split(/\n\n+/)
    .map((block) => {
      const lines = block.split('\n');
      const [a, b] = lines[1]!.split(' --> ');
      return { startS: t(a!), endS: t(b!), text: lines.slice(2).join(' ') };
    });
}

describe('the lighthouse demo speaks', () => {
  it('narration audible in every scene, silent between, captions on the speech, the chained scene lengthened', async () => {
    const work = await tempDir();
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-narration-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(work, 'work'),
      STORYREEL_OUT_DIR: join(work, 'out'),
    };
    const planText = (await cli(['plan', 'examples/lighthouse.yaml', '--id', 'lighthouse-speech'], env)).stdout;
    expect(planText).toMatch(/the-lamp\s+local\/local-v1\s+3s→3\.5s\s+\d\.\d\ds\s+chain/);
    const plan = JSON.parse((await cli(['plan', 'examples/lighthouse.yaml', '--json', '--id', 'lighthouse-speech'], env)).stdout) as {
      scenes: { id: string; seconds: number; speech?: { speechS: number; tailS: number; requestedSeconds: number; measured: boolean } }[];
    };
    const lamp = plan.scenes.find((s) => s.id === 'the-lamp')!;
    expect(lamp.speech!.measured).toBe(true);
    expect(lamp.speech!.requestedSeconds).toBe(3);
    expect(lamp.speech!.speechS + lamp.speech!.tailS).toBeGreaterThan(3);
    expect(lamp.seconds).toBe(3.5);

    const worker = await startCliWorker(env, ROOT);
    const r = await cli(['run', 'examples/lighthouse.yaml', '--id', 'lighthouse-speech'], env).finally(() => worker.stop());
    expect(r.stdout + r.stderr).toContain('completed');
    const dir = join(work, 'out', 'lighthouse-speech');
    const final = join(dir, 'final.mp4');

    // Frames: every scene at its planned (speech-fitted) length; the chained scene at 84 frames, not 72.
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest & {
      scenes: { id: string; seconds: number; timing?: { frames: number } }[];
    };
    expect(manifest.scenes.find((s) => s.id === 'the-lamp')!.seconds).toBe(3.5);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_frames',
      '-of',
      'csv=p=0',
      final,
    ]);
    const transitions = 0.5 + 1; // crossfade into the-climb, fadeblack into ship-safe
    const expectedFrames = Math.round((plan.scenes.reduce((t, s) => t + s.seconds, 0) - transitions) * 24);
    expect(Number(stdout.trim())).toBe(expectedFrames);
    const requestedFrames = Math.round((6 * 3 - transitions) * 24);
    expect(expectedFrames).toBeGreaterThan(requestedFrames);

    const cues = parseSrt(await readFile(join(dir, 'final.srt'), 'utf8'));
    const levels = await speechBandLevels(final);
    const at = (s: number) => Math.min(levels.length - 1, Math.max(0, Math.round(s / WINDOW_S)));
    const SPEECH_DB = -45;
    const report: string[] = [];
    // Each scene's first cue: speech starts within 100 ms of it, and is loud inside the cue.
    const firsts = cues.filter((c, i) => i === 0 || cues[i - 1]!.endS < c.startS - 0.3);
    expect(firsts).toHaveLength(6);
    for (const c of firsts) {
      let onset = at(c.startS - 0.3);
      while (onset < at(c.endS) && levels[onset]! < SPEECH_DB) onset++;
      const onsetS = onset * WINDOW_S;
      const peak = Math.max(...levels.slice(at(c.startS), at(c.endS)));
      report.push(
        `${c.startS.toFixed(2)}s cue, speech at ${onsetS.toFixed(2)}s (${Math.round((onsetS - c.startS) * 1000)} ms), peak ${peak.toFixed(1)} dB`,
      );
      expect(Math.abs(onsetS - c.startS)).toBeLessThan(0.1);
      expect(peak).toBeGreaterThan(-35);
    }
    // Outside every caption (with 150 ms of slack) the speech band is quiet.
    const inside = (s: number) => cues.some((c) => s >= c.startS - 0.15 && s <= c.endS + 0.15);
    const outside = levels.filter((_, i) => !inside(i * WINDOW_S));
    const loudestOutside = Math.max(...outside);
    report.push(`outside captions: ${outside.length} windows, loudest ${loudestOutside.toFixed(1)} dB`);
    console.log(report.join('\n'));
    expect(outside.length).toBeGreaterThan(100);
    expect(loudestOutside).toBeLessThan(SPEECH_DB - 5);
  }, 600_000);
});
