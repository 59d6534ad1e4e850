/**
 * The assembly activity heartbeats from ffmpeg's own progress, so a long normalization or decode never goes quiet
 * for long (issue 11 item 8: a 2-minute re-encode against a 30 s heartbeat timeout). Runs the real activity in
 * Temporal's MockActivityEnvironment and records when each heartbeat came: a 40 s 720p clip at 30 fps has to be
 * normalized to 640x360 at 24 fps (seconds of x264, more on a loaded machine), and no gap between heartbeats may
 * exceed 4 s — far inside a 30 s heartbeat timeout. How long the normalization takes depends on the machine, so the
 * test does not demand a duration: it demands that heartbeats kept coming *during* it (several of them, and no gap
 * longer than a third of it). Without progress heartbeats there is one beat when it starts and the next when it ends.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemblyActivities, type AssembleInput, type AssembleOutput } from '../../activities/assembly.js';
import { Output } from '../../src/storyboard/schema.js';
import { genClip } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
const MAX_GAP_MS = 4000;
let dir: string;
let long: string;
let short: string;

beforeAll(async () => {
  dir = await tempDir('storyreel-assembly-activity-');
  long = join(dir, 'long-720p30.mp4');
  short = join(dir, 'short.mp4');
  await Promise.all([
    run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=1280x720:r=30:d=40',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000:duration=40',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      long,
    ]),
    genClip(short, { width: 640, height: 360, fps: 24, seconds: 1, color: 0x2040e0 }),
  ]);
});

describe('assembleVideo heartbeats', () => {
  it(`never goes more than ${MAX_GAP_MS / 1000} s without a heartbeat during a long normalization`, async () => {
    const env = new MockActivityEnvironment();
    const beats: { atMs: number; fraction: number; step: string }[] = [];
    const t0 = performance.now();
    env.on('heartbeat', (d: { fraction: number; step: string }) => beats.push({ atMs: performance.now() - t0, ...d }));
    const activities = assemblyActivities({ tmpDir: join(dir, 'tmp') });
    const input: AssembleInput = {
      productionId: 'heartbeats',
      plan: {
        title: 'Heartbeats',
        house: { width: 640, height: 360, fps: 24, sampleRate: 48000 as const, channels: 2 as const },
        output: Output.parse({ captions: false, poster: true, contactSheet: true }),
      },
      clips: [
        { sceneId: 'long', title: 'Long', path: long, transition: { type: 'cut', seconds: 0 } },
        { sceneId: 'short', title: 'Short', path: short, transition: { type: 'cut', seconds: 0 } },
      ],
      outDir: join(dir, 'out'),
    };
    const out = await env.run<[AssembleInput], AssembleOutput, typeof activities.assembleVideo>(activities.assembleVideo, input);
    const totalMs = performance.now() - t0;
    expect(out.method).toBe('copy');
    expect(out.clips[0]!.normalized).toEqual(['size 1280x720', '30.000 fps']);
    expect(out.frames).toBe(40 * 24 + 24);
    expect(out.verification).toMatchObject({ ok: true, decode: 'joins' });
    const times = [0, ...beats.map((b) => b.atMs), totalMs];
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const normalizingFrom = beats.find((b) => b.step.startsWith('normalizing long'))!.atMs;
    const normalizingMs = beats.find((b) => b.step === 'assembling')!.atMs - normalizingFrom;
    console.log(
      `${beats.length} heartbeats over ${(totalMs / 1000).toFixed(1)} s (normalizing took ${(normalizingMs / 1000).toFixed(1)} s); ` +
        `longest gap ${Math.max(...gaps).toFixed(0)} ms`,
    );
    // The heartbeats kept coming through the normalization, however long this machine took for it.
    const normalizingTo = normalizingFrom + normalizingMs;
    const during = [normalizingFrom, ...beats.map((b) => b.atMs).filter((t) => t > normalizingFrom && t < normalizingTo), normalizingTo];
    const gapsDuring = during.slice(1).map((t, i) => t - during[i]!);
    expect(normalizingMs).toBeGreaterThan(1000);
    expect(during.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...gapsDuring)).toBeLessThanOrEqual(normalizingMs / 3);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(MAX_GAP_MS);
    // Progress only moves forward, through every step, and ends at 1.
    for (let i = 1; i < beats.length; i++) expect(beats[i]!.fraction).toBeGreaterThanOrEqual(beats[i - 1]!.fraction);
    expect(new Set(beats.map((b) => b.step.replace(/ \(.*/, '')))).toEqual(
      new Set(['probing clips', 'normalizing long', 'assembling', 'verifying', 'poster and contact sheet', 'assembled']),
    );
    expect(beats.at(-1)).toMatchObject({ fraction: 1, step: 'assembled' });
  });
});
