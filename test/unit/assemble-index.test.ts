/**
 * The in-process MP4 index reader that lets one ffprobe stand for a set of identical clips: it must agree with
 * ffprobe on frame counts and audio, give equal copy keys exactly when clips can be joined by a stream copy, and
 * step aside (undefined) for anything it does not understand.
 */
import { execFile } from 'node:child_process';
import { copyFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipFacts } from '../../src/media/fingerprint.js';
import { parseMoov, quickFacts, readMoov } from '../../src/media/mp4-index.js';
import { readSamples } from '../../src/media/mp4-samples.js';
import { probe, readPackets } from '../../src/media/probe.js';
import { genClip, type ClipSpec } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
let dir: string;
const base: ClipSpec = { width: 320, height: 180, fps: 24, seconds: 1, color: 0x3366cc };
const specs: Record<string, Partial<ClipSpec>> = {
  a: {},
  audioLate: { audio: { startMs: 40 } },
  audioEarly: { audio: { startMs: -40 } },
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
    for (const k of ['wide', 'fps30', 'baseline', 'audioEarly']) expect(await key(k), k).not.toBe(a);
    // Audio that starts late keeps the picture copyable, but one ffprobe no longer stands for both clips.
    expect(await key('audioLate')).toBe(a);
    const timing = async (k: string) => (await quickFacts(file(k)))!.timingKey;
    expect(await timing('b')).toBe(await timing('a'));
    expect(await timing('audioLate')).not.toBe(await timing('a'));
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

describe("mp4 sample index (what a stream copy's join check reads instead of every packet)", () => {
  it("agrees with ffprobe's packets: frame times, keyframes, video and audio counts, edit lists included", async () => {
    for (const k of Object.keys(specs)) {
      const index = (await readSamples(file(k)))!;
      const p = await probe(file(k));
      const packets = [];
      const counts = new Map<number, number>();
      for await (const pk of readPackets(file(k))) {
        counts.set(pk.streamIndex, (counts.get(pk.streamIndex) ?? 0) + 1);
        if (pk.streamIndex === 0) packets.push(pk);
      }
      const byTime = <T extends { ptsS: number }>(xs: T[]) => [...xs].sort((x, y) => x.ptsS - y.ptsS);
      expect(
        byTime(index.video.packets).map((x) => [x.ptsS.toFixed(4), x.keyframe]),
        k,
      ).toEqual(byTime(packets).map((x) => [x.ptsS.toFixed(4), x.keyframe]));
      expect(index.video.readable, k).toBe(counts.get(0));
      expect(index.audio?.readable ?? 0, k).toBe(p.streams[1] ? counts.get(1) : 0);
    }
  });

  it('counts only the samples whose bytes are in a truncated file', async () => {
    const cut = join(dir, 'cut.mp4');
    await copyFile(file('b'), cut);
    await truncate(cut, Math.round((await stat(cut)).size * 0.6));
    const index = (await readSamples(cut))!;
    expect(index.video.samples).toBe(36);
    expect(index.video.readable).toBeLessThan(36);
    expect(index.video.packets).toHaveLength(index.video.readable);
  });
});
