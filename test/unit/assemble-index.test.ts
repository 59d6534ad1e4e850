/**
 * The in-process MP4 index reader that lets one ffprobe stand for a set of identical clips: it must agree with
 * ffprobe on frame counts and audio, give equal copy keys exactly when clips can be joined by a stream copy, and
 * step aside (undefined) for anything it does not understand.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipFacts } from '../../src/media/fingerprint.js';
import { parseMoov, quickFacts, readMoov } from '../../src/media/mp4-index.js';
import { probe } from '../../src/media/probe.js';
import { genClip, type ClipSpec } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
let dir: string;
const base: ClipSpec = { width: 320, height: 180, fps: 24, seconds: 1, color: 0x3366cc };
const specs: Record<string, Partial<ClipSpec>> = {
  a: {},
  b: { seconds: 1.5, color: 0xcc3333 },
  noAudio: { audio: false },
  mono: { audio: { sampleRate: 44100, channels: 1 } },
  wide: { width: 640, height: 360 },
  fps30: { fps: 30 },
  baseline: {
    videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-r', '24', '-g', '48'],
  },
};
const file = (k: string) => join(dir, `${k}.mp4`);

beforeAll(async () => {
  dir = await tempDir('storyreel-index-');
  await Promise.all(Object.entries(specs).map(([k, s]) => genClip(file(k), { ...base, ...s })));
});

describe('mp4 index', () => {
  it('agrees with ffprobe on frames and audio', async () => {
    for (const k of Object.keys(specs)) {
      const q = (await quickFacts(file(k)))!;
      const f = clipFacts(await probe(file(k), { countPackets: true }));
      expect(q.frames, k).toBe(f.frames);
      expect(q.audio, k).toEqual(f.hasAudio ? { sampleRate: f.audioRate, channels: f.audioChannels } : null);
    }
  });

  it('gives equal copy keys to clips a stream copy can join, and different ones otherwise', async () => {
    const key = async (k: string) => (await quickFacts(file(k)))!.copyKey;
    const a = await key('a');
    // Length, colour and audio do not matter for the video copy.
    expect(await key('b')).toBe(a);
    expect(await key('noAudio')).toBe(a);
    expect(await key('mono')).toBe(a);
    for (const k of ['wide', 'fps30', 'baseline']) expect(await key(k), k).not.toBe(a);
    // The same holds for ffprobe's fingerprint.
    const fp = async (k: string) => clipFacts(await probe(file(k))).videoFingerprint;
    expect(await fp('b')).toBe(await fp('a'));
    expect(await fp('baseline')).not.toBe(await fp('a'));
  });

  it('finds moov after mdat, and steps aside for what it does not understand', async () => {
    const late = join(dir, 'late.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', file('a'), '-c', 'copy', late]);
    expect((await quickFacts(late))?.frames).toBe(24);
    expect((await quickFacts(late))?.copyKey).toBe((await quickFacts(file('a')))?.copyKey);
    const mkv = join(dir, 'clip.mkv');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', file('a'), '-c', 'copy', mkv]);
    expect(await quickFacts(mkv)).toBeUndefined();
    const text = join(dir, 'not-video.mp4');
    await writeFile(text, 'hello, not a video');
    expect(await quickFacts(text)).toBeUndefined();
    const moov = (await readMoov(file('a')))!;
    expect(parseMoov(moov.subarray(0, 40))).toEqual([]);
  });
});
