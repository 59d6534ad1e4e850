import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  extractReason,
  FfmpegCancelledError,
  FfmpegError,
  inputOptions,
  parseProgressLine,
  progressFraction,
  refusedProtocol,
  runFfmpeg,
} from '../../src/media/ffmpeg.js';
import { probe } from '../../src/media/probe.js';
import { tempDir } from '../helpers/files.js';

const lavfi = (src: string) => ({ source: src, options: ['-f', 'lavfi'] });

describe('the ffmpeg runner neutralises fluent-ffmpeg defects', () => {
  it('computes progress against the expected output duration, not input 0 (no 1801 % on a 12-input job)', async () => {
    const dir = await tempDir();
    const inputs = Array.from({ length: 12 }, (_, i) => lavfi(`color=c=0x${(i * 20).toString(16).padStart(2, '0')}3060:s=160x90:r=24:d=1`));
    const graph = `${inputs.map((_, i) => `[${i}:v]`).join('')}concat=n=12:v=1:a=0[v]`;
    const seen: number[] = [];
    await runFfmpeg({
      inputs,
      output: join(dir, 'out.mp4'),
      expectedDurationS: 12,
      outputOptions: ['-filter_complex', graph, '-map', '[v]', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mp4'],
      onProgress: (p) => seen.push(p.fraction),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1);
    expect(seen.at(-1)).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
  });

  it('passes an argument containing a space intact (title=My Film)', async () => {
    const dir = await tempDir();
    const out = join(dir, 'titled.mp4');
    await runFfmpeg({
      inputs: [lavfi('color=c=red:s=160x90:r=24:d=0.5')],
      output: out,
      expectedDurationS: 0.5,
      outputOptions: ['-metadata', 'title=My Film', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mp4'],
    });
    expect((await probe(out)).format?.tags?.title).toBe('My Film');
  });

  it('a single option with a space is not split either', async () => {
    const dir = await tempDir();
    const out = join(dir, 'one.mp4');
    await runFfmpeg({
      inputs: [lavfi('color=c=red:s=160x90:r=24:d=0.2')],
      output: out,
      expectedDurationS: 0.2,
      outputOptions: ['-metadata', 'comment=a b'],
    });
    expect((await probe(out)).format?.tags?.comment).toBe('a b');
  });

  it('keeps the line that names the real cause ([Parsed_scale_0] Invalid size)', async () => {
    const dir = await tempDir();
    const err = await runFfmpeg({
      inputs: [lavfi('color=c=red:s=160x90:r=24:d=0.5')],
      output: join(dir, 'bad.mp4'),
      expectedDurationS: 0.5,
      outputOptions: ['-vf', 'scale=oops', '-f', 'mp4'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).message).toMatch(/Parsed_scale_0.*Invalid size 'oops'/);
    expect((err as FfmpegError).exitCode).not.toBe(0);
    expect(existsSync(join(dir, 'bad.mp4'))).toBe(false);
  });

  it('cancellation kills ffmpeg and leaves no partial output', async () => {
    const dir = await tempDir();
    const out = join(dir, 'long.mp4');
    const ac = new AbortController();
    const p = runFfmpeg({
      inputs: [lavfi('testsrc2=s=1280x720:r=30:d=600')],
      output: out,
      expectedDurationS: 600,
      outputOptions: ['-c:v', 'libx264', '-preset', 'slow', '-f', 'mp4'],
      signal: ac.signal,
      onProgress: (pr) => {
        if (pr.outTimeS > 0.2) ac.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(FfmpegCancelledError);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('progress for long work', () => {
  it('reports decoded frames with the fraction, so a -f null pass can count them', async () => {
    const dir = await tempDir();
    const seen: { fraction: number; frames?: number }[] = [];
    await runFfmpeg({
      inputs: [lavfi('testsrc2=s=320x180:r=24:d=3')],
      output: join(dir, 'n.null'),
      expectedDurationS: 3,
      outputOptions: ['-f', 'null'],
      onProgress: (p) => seen.push(p),
    });
    expect(seen.at(-1)).toMatchObject({ fraction: 1, frames: 72 });
  });

  it('probe counts packets while reporting how far it has read', async () => {
    const dir = await tempDir();
    const clip = join(dir, 'ten.mp4');
    await runFfmpeg({
      inputs: [lavfi('testsrc2=s=160x90:r=24:d=10')],
      output: clip,
      expectedDurationS: 10,
      outputOptions: ['-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mp4'],
    });
    const seen: number[] = [];
    const p = await probe(clip, { countPackets: true, onProgress: (f) => seen.push(f) });
    expect(p.streams[0]!.nb_read_packets).toBe(240);
    expect(seen.at(-1)).toBe(1);
  });
});

describe('progress parsing (pure)', () => {
  it('reads -progress key=value lines', () => {
    expect(parseProgressLine('out_time_us=1500000')).toEqual({ outTimeS: 1.5 });
    expect(parseProgressLine('out_time_ms=2500000')).toEqual({ outTimeS: 2.5 });
    expect(parseProgressLine('out_time_us=N/A')).toBeUndefined();
    expect(parseProgressLine('speed=2.5x')).toEqual({ speed: 2.5 });
    expect(parseProgressLine('progress=end')).toEqual({ end: true });
    expect(parseProgressLine('frame=  12 fps=0.0 q=-1.0')).toBeUndefined();
    expect(parseProgressLine('frame=12')).toEqual({ frames: 12 });
    expect(progressFraction(30, 12)).toBe(1);
    expect(progressFraction(3, 12)).toBe(0.25);
    expect(progressFraction(3, 0)).toBe(0);
  });

  it('extracts the cause from stderr', () => {
    expect(
      extractReason([
        "[error] [Parsed_scale_0 @ 0x55d0c0a8e3c0] Invalid size 'oops'",
        '[error] Error initializing complex filters.',
        '[error] Invalid argument',
      ]),
    ).toBe("[Parsed_scale_0] Invalid size 'oops'");
  });
});

describe('inputs stay local (pure)', () => {
  it('opens every input with the file-only protocol whitelist unless the caller chose one', () => {
    expect(inputOptions({ source: 'a.mp4' })).toEqual(['-protocol_whitelist', 'file']);
    expect(inputOptions({ source: 'l.txt', options: ['-f', 'concat'] })).toEqual(['-protocol_whitelist', 'file', '-f', 'concat']);
    expect(inputOptions({ source: 'x', options: ['-protocol_whitelist', 'file,pipe'] })).toEqual(['-protocol_whitelist', 'file,pipe']);
  });

  it('says what was refused and why, from the lines ffmpeg prints', () => {
    const lines = [
      "[http @ 0x56100c37d000] [error] Protocol 'http' not on whitelist 'file'!",
      "[hls @ 0x56100c378940] [error] Error when loading first segment 'http://127.0.0.1:8080/seg.ts'",
      '[error] voice.mp3: Invalid data found when processing input',
    ];
    const why =
      'refused to fetch http://127.0.0.1:8080/seg.ts (protocol http is not allowed): storyreel reads local media files only ' +
      '(is this a playlist or a link saved under a media file name?)';
    expect(refusedProtocol(lines)).toBe(why);
    expect(extractReason(lines)).toBe(why);
    expect(refusedProtocol(['[error] Invalid data found when processing input'])).toBeUndefined();
  });
});
