/**
 * verifyClip with real ffmpeg on generated clips: a good clip passes with its facts (decoded frame count, size, fps,
 * duration, audio); each way a clip can differ from the request is named; a corrupt or truncated clip is rejected by
 * the decode; progress reaches 1; a cancelled check kills ffmpeg.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, open, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { FfmpegCancelledError } from '../../src/media/ffmpeg.js';
import { clipProblems, MediaVerificationError, verifyClip } from '../../src/media/verify-clip.js';
import { extractLastFrame } from '../../src/media/frames.js';
import { genClip } from '../helpers/av.js';
import { frameByIndex, meanAbsDiff } from '../helpers/media.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
let dir: string;
let good: string;
let silent: string;
beforeAll(async () => {
  dir = await tempDir('storyreel-verify-clip-');
  good = join(dir, 'good.mp4');
  silent = join(dir, 'silent.mp4');
  await Promise.all([
    genClip(good, { width: 320, height: 180, fps: 24, seconds: 2, color: 0x2040e0 }),
    genClip(silent, { width: 320, height: 180, fps: 24, seconds: 1, color: 0xd02020, audio: false }),
  ]);
});

const asked = { width: 320, height: 180, fps: 24, durationS: 2, audio: true };

async function rejection(p: Promise<unknown>): Promise<MediaVerificationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaVerificationError);
  return err as MediaVerificationError;
}

describe('verifyClip', () => {
  it('decodes a good clip and returns its facts; progress reaches 1', async () => {
    const seen: number[] = [];
    const v = await verifyClip(good, asked, undefined, (f) => seen.push(f));
    expect(v).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: 320, height: 180, fps: 24, frames: 48, durationS: 2 });
    expect(v.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
    expect(seen.at(-1)).toBe(1);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  it('names every way the clip differs from the request', async () => {
    const err = await rejection(verifyClip(good, { width: 640, height: 360, fps: 30, durationS: 4, audio: false }));
    expect(err.problems).toEqual([
      'it is 320x180, 640x360 was requested',
      'it runs at 24 fps, 30 fps was requested',
      'it lasts 2.000 s, 4 s (±0.25) was requested',
      'it has an audio track, none was requested',
    ]);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('failed verification: it is 320x180, 640x360 was requested;');
    const missing = await rejection(verifyClip(silent, { durationS: 1, audio: true }));
    expect(missing.problems).toEqual(['it has no audio track, audio was requested']);
  });

  it('accepts a duration within the tolerance', async () => {
    await expect(verifyClip(good, { durationS: 2.2 })).resolves.toMatchObject({ frames: 48 });
    await rejection(verifyClip(good, { durationS: 2.2, durationToleranceS: 0.1 }));
  });

  it('rejects a clip whose frames cannot be decoded', async () => {
    const bad = join(dir, 'corrupt.mp4');
    await copyFile(good, bad);
    const fh = await open(bad, 'r+');
    const { size } = await fh.stat();
    for (let pos = Math.round(size * 0.3); pos < size * 0.8; pos += 997) await fh.write(Buffer.alloc(48, 0x5a), 0, 48, pos);
    await fh.close();
    const err = await rejection(verifyClip(bad, asked));
    expect(err.problems.join('\n')).toMatch(/^it cannot be decoded: /);
  });

  it('rejects a truncated clip', async () => {
    const cut = join(dir, 'truncated.mp4');
    await copyFile(good, cut);
    await truncate(cut, Math.round((await stat(cut)).size * 0.5));
    const err = await rejection(verifyClip(cut, asked));
    expect(err.problems.join('\n')).toMatch(/cannot be decoded|truncated or damaged/);
  });

  it('rejects what is not a video at all', async () => {
    const text = join(dir, 'notes.mp4');
    await (await open(text, 'w')).close();
    const err = await rejection(verifyClip(text, asked));
    expect(err.problems[0]).toMatch(/^it is not a readable video/);
  });

  it('a cancelled check kills ffmpeg', async () => {
    const long = join(dir, 'long.mp4');
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=1280x720:r=24:d=40',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      long,
    ]);
    const ac = new AbortController();
    const p = verifyClip(long, {}, ac.signal, (f) => {
      if (f < 1) ac.abort();
    });
    await expect(p).rejects.toBeInstanceOf(FfmpegCancelledError);
  });

  it("writes the clip's last frame in the same decode: the frame extractLastFrame takes, and only for a clip that passes", async () => {
    const moving = join(dir, 'moving.mp4');
    // testsrc2 changes every frame, so the second-to-last frame is told apart from the last.
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x180:r=24:d=2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      moving,
    ]);
    const still = join(dir, 'still.png');
    const v = await verifyClip(moving, { width: 320, height: 180 }, undefined, undefined, {
      lastFrame: { path: still, size: { width: 320, height: 180 } },
    });
    expect(v.frames).toBe(48);
    const rgb = async (png: string) =>
      (await run('ffmpeg', ['-v', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer' })).stdout;
    const got = await rgb(still);
    const [last, before] = [await frameByIndex(moving, 47), await frameByIndex(moving, 46)];
    expect(meanAbsDiff(got, last.data)).toBeLessThan(1);
    expect(meanAbsDiff(got, before.data)).toBeGreaterThan(meanAbsDiff(got, last.data) + 1);
    // At another size it is byte for byte the still a chained scene made before (a separate ffmpeg run).
    const small = { width: 160, height: 90 };
    const [inDecode, separate] = [join(dir, 'in-decode.png'), join(dir, 'separate.png')];
    await verifyClip(moving, {}, undefined, undefined, { lastFrame: { path: inDecode, size: small } });
    await extractLastFrame(moving, separate, small);
    expect((await readFile(inDecode)).equals(await readFile(separate))).toBe(true);
    // A clip that fails leaves no still behind.
    const refused = join(dir, 'refused.png');
    await rejection(verifyClip(moving, { fps: 30 }, undefined, undefined, { lastFrame: { path: refused, size: small } }));
    expect(existsSync(refused)).toBe(false);
  });

  it('compares facts with the request (pure)', () => {
    const facts = { codec: 'h264', pixFmt: 'yuv420p', width: 320, height: 180, fps: 24, frames: 40, durationS: 2, audio: null };
    expect(clipProblems(facts, {}, 48)).toEqual(['only 40 of the 48 frames its index lists could be decoded: truncated or damaged']);
    expect(clipProblems({ ...facts, frames: 48 }, { width: 320 }, 48)).toEqual([]);
  });
});
