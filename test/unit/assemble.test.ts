/**
 * Assembly with real ffmpeg on generated clips: the copy fast path, normalization of mixed inputs, every
 * transition, burned captions, audio (narration, soundtrack with ducking, loudness), chapters, caption track and
 * sidecars, poster and contact sheet, cancellation and clean-up.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble, type AssemblyClip, type AssemblyInput } from '../../src/media/assemble.js';
import { FfmpegCancelledError } from '../../src/media/ffmpeg.js';
import { probe, videoStream } from '../../src/media/probe.js';
import { TRANSITIONS } from '../../src/media/transitions.js';
import { verifyVideo } from '../../src/media/verify.js';
import { audioSamples, frameGrid, genClip, genTone, loudnessOf, meanColor, type ClipSpec, toneLevel } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';
import { colorDistance, frameByIndex, frameRgb, patchColor, rgbOf, streamsOf } from '../helpers/media.js';

const HOUSE = { width: 320, height: 180, fps: 24, sampleRate: 48000, channels: 2 };
const COLORS = [
  0xd02020, 0x20c040, 0x2040e0, 0xe0c020, 0xc020c0, 0x20c0c0, 0x808080, 0xf08040, 0x4080f0, 0x80f040, 0xf04080, 0x40f0c0, 0x604020,
  0xa0a0f0,
];

let dir: string;
beforeAll(async () => {
  dir = await tempDir('storyreel-assemble-');
});

/** Generates clips (4 at a time) into the test dir. */
async function clips(prefix: string, specs: Partial<ClipSpec>[]): Promise<string[]> {
  const paths = specs.map((_, i) => join(dir, `${prefix}-${i}.mp4`));
  for (let i = 0; i < specs.length; i += 4) {
    await Promise.all(
      specs.slice(i, i + 4).map((s, k) =>
        genClip(paths[i + k]!, {
          width: HOUSE.width,
          height: HOUSE.height,
          fps: HOUSE.fps,
          seconds: 1,
          color: COLORS[(i + k) % COLORS.length]!,
          ...s,
        }),
      ),
    );
  }
  return paths;
}

function input(paths: string[], over: Partial<AssemblyInput> & { clip?: (i: number) => Partial<AssemblyClip> } = {}): AssemblyInput {
  const { clip, ...rest } = over;
  const name = `out-${Math.random().toString(36).slice(2, 8)}`;
  return {
    clips: paths.map((path, i) => ({ sceneId: `s${i}`, title: `Scene ${i}`, path, transition: { type: 'cut', seconds: 0 }, ...clip?.(i) })),
    house: HOUSE,
    fit: 'pad',
    title: 'Test film',
    chapters: true,
    captions: false,
    output: join(dir, name, 'final.mp4'),
    workDir: join(dir, `${name}-work`),
    ...rest,
  };
}

/** Colour of the top-left corner at `t` (where the generated clips have no moving box). */
async function cornerAt(video: string, t: number) {
  return patchColor(await frameRgb(video, t, { w: 32, h: 18 }), 0, 0, 4);
}

async function expectClean(workDir: string, outDir: string) {
  expect(await readdir(workDir)).toEqual([]);
  expect((await readdir(outDir)).filter((f) => f.includes('.tmp'))).toEqual([]);
}

describe('copy fast path', () => {
  it('stream-copies house-format clips with exact frames, chapters, a caption track, sidecars, poster and contact sheet', async () => {
    // Quotes and spaces in clip and output paths (ffconcat lists quote them).
    const paths = await clips("copy it's", [{ seconds: 1 }, { seconds: 1.5 }, { seconds: 1 }, { seconds: 0.75 }]);
    const spec = input(paths, {
      output: join(dir, "it's out", 'final.mp4'),
      captions: true,
      poster: true,
      contactSheet: true,
      clip: (i) => ({ narration: i === 2 ? undefined : `Narration for scene ${i}, with a comma: and a colon` }),
    });
    const r = await assemble(spec);
    expect(r.method).toBe('copy');
    expect(r.clips.every((c) => c.normalized.length === 0)).toBe(true);
    expect(r.frames).toBe(24 + 36 + 24 + 18);
    const s = await streamsOf(r.path);
    expect(s.frames).toBe(102);
    expect(s.subtitle).toHaveLength(1);
    expect(s.subtitle[0]!.codec_name).toBe('mov_text');
    expect(s.probe.format?.tags?.title).toBe('Test film');
    // Chapters = scenes, at the scene starts, titled.
    expect(s.probe.chapters.map((c) => [Number(c.start_time), c.tags?.title])).toEqual([
      [0, 'Scene 0'],
      [1, 'Scene 1'],
      [2.5, 'Scene 2'],
      [3.5, 'Scene 3'],
    ]);
    // Every scene in place (midpoint colours).
    for (const [i, sc] of r.scenes.entries()) {
      expect(colorDistance(await cornerAt(r.path, (sc.startS + sc.endS) / 2), rgbOf(COLORS[i]!))).toBeLessThan(25);
    }
    // Sidecars follow scene boundaries; scene 2 has no narration.
    const srt = await readFile(r.path.replace(/mp4$/, 'srt'), 'utf8');
    expect(srt).toContain('00:00:00,000 --> 00:00:01,000\nNarration for scene 0, with a comma: and a');
    expect(srt).toContain('00:00:03,500 --> 00:00:04,250\nNarration for scene 3');
    const vtt = await readFile(r.path.replace(/mp4$/, 'vtt'), 'utf8');
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n')).toBe(true);
    expect(r.sidecars).toEqual([r.path.replace(/mp4$/, 'srt'), r.path.replace(/mp4$/, 'vtt')]);
    // Poster: the middle of the first scene; contact sheet: one tile per scene (2x2 of 320x180 + padding).
    const poster = videoStream(await probe(r.poster!))!;
    expect([poster.width, poster.height]).toEqual([320, 180]);
    expect(colorDistance(patchColor(await frameByIndex(r.poster!, 0), 0, 0, 16), rgbOf(COLORS[0]!))).toBeLessThan(25);
    const sheet = videoStream(await probe(r.contactSheet!))!;
    expect([sheet.width, sheet.height]).toEqual([2 * 320 + 3 * 4, 2 * 180 + 3 * 4]);
    const tiles = await frameByIndex(r.contactSheet!, 0);
    for (const [i, [x, y]] of [
      [4, 4],
      [328, 4],
      [4, 188],
      [328, 188],
    ].entries()) {
      expect(colorDistance(patchColor(tiles, x! + 4, y! + 4, 8), rgbOf(COLORS[i]!))).toBeLessThan(30);
    }
    const v = await verifyVideo(r.path, {
      ...HOUSE,
      frames: r.frames,
      boundaries: r.scenes.slice(1).map((x) => ({ atS: x.startS, transitionS: 0 })),
      chapters: 4,
      subtitles: 1,
    });
    expect(v.problems).toEqual([]);
    await expectClean(spec.workDir, join(r.path, '..'));
  });

  it('normalizes only the clips that differ (size, fps, portrait, no audio, mono 44.1 kHz, encoder settings), then copies', async () => {
    const paths = await clips('mixed', [
      { seconds: 1 },
      { width: 640, height: 360, fps: 30, seconds: 1 },
      { width: 180, height: 320, fps: 25, seconds: 1.2 },
      { seconds: 1, audio: false },
      { seconds: 1, audio: { sampleRate: 44100, channels: 1, deltaMs: -30 } },
      { seconds: 1, audio: { deltaMs: 50 } },
      {
        seconds: 1,
        videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-r', '24', '-g', '24'],
      },
    ]);
    const r = await assemble(input(paths));
    expect(r.method).toBe('copy');
    expect(r.clips.map((c) => c.normalized.length > 0)).toEqual([false, true, true, false, false, false, true]);
    expect(r.clips[1]!.normalized).toEqual(['size 640x360', '30.000 fps']);
    expect(r.clips[6]!.normalized).toEqual(['H.264 parameters differ from the house encode']);
    expect(r.frames).toBe(24 * 6 + 29);
    const s = await streamsOf(r.path);
    expect([s.width, s.height, s.fps, s.frames]).toEqual([320, 180, 24, 24 * 6 + 29]);
    // Portrait clip letterboxed (pad): black at the sides, its colour in the middle.
    const mid = (r.scenes[2]!.startS + r.scenes[2]!.endS) / 2;
    const f = await frameRgb(r.path, mid, { w: 32, h: 18 });
    expect(colorDistance(patchColor(f, 0, 8, 2), [0, 0, 0])).toBeLessThan(20);
    expect(colorDistance(patchColor(f, 15, 2, 2), rgbOf(COLORS[2]!))).toBeLessThan(30);
    for (const [i, sc] of r.scenes.entries()) {
      if (i === 2) continue;
      expect(colorDistance(await cornerAt(r.path, (sc.startS + sc.endS) / 2), rgbOf(COLORS[i]!))).toBeLessThan(25);
    }
    const v = await verifyVideo(r.path, {
      ...HOUSE,
      frames: r.frames,
      boundaries: r.scenes.slice(1).map((x) => ({ atS: x.startS, transitionS: 0 })),
      chapters: 7,
    });
    expect(v.problems).toEqual([]);
  });

  it('when no clip matches, normalizes each (encoded once, one decoder at a time) and still copies', async () => {
    const paths = await clips('allbad', [{ fps: 30 }, { fps: 30 }]);
    const r = await assemble(input(paths));
    expect(r.method).toBe('copy');
    expect(r.clips.map((c) => c.normalized)).toEqual([['30.000 fps'], ['30.000 fps']]);
    expect(r.frames).toBe(48);
    expect((await streamsOf(r.path)).frames).toBe(48);
  });
});

describe('transitions', () => {
  it('applies every transition type with exact offsets: frames = sum of scenes minus overlaps', async () => {
    // 14 clips: a cut and all 12 transitions; one clip in a different format is normalized first.
    // Clip 9 has other H.264 parameters: decoding through one list does not mind (only a copy would).
    const baseline = ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-r', '24', '-g', '24'];
    const paths = await clips(
      'trans',
      COLORS.map((_, i) =>
        i === 5 ? { width: 256, height: 256, fps: 30, seconds: 1 } : i === 9 ? { seconds: 1, videoArgs: baseline } : { seconds: 1 },
      ),
    );
    const kinds = ['cut', ...TRANSITIONS] as const;
    const spec = input(paths, {
      fit: 'crop',
      clip: (i) => ({ transition: i === 0 ? { type: 'cut', seconds: 0 } : { type: kinds[i - 1]!, seconds: 0.25 } }),
    });
    const r = await assemble(spec);
    expect(r.method).toBe('transitions');
    expect(r.clips.map((c) => c.normalized.length)).toEqual([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(r.clips[5]!.normalized).toEqual(['size 256x256', '30.000 fps']);
    // 14 × 24 frames, 12 transitions of 6 frames.
    expect(r.frames).toBe(14 * 24 - 12 * 6);
    expect(r.durationS).toBe((14 * 24 - 12 * 6) / 24);
    const s = await streamsOf(r.path);
    expect(s.frames).toBe(r.frames);
    expect(Number(s.audio[0]!.duration)).toBeCloseTo(r.durationS, 2);
    // The scene starts on the merged timeline: scene 1 is a cut at 1 s, then each scene starts 0.75 s later.
    expect(r.scenes.map((x) => x.startS)).toEqual([0, 1, ...Array.from({ length: 12 }, (_, k) => 1.75 + 0.75 * k)]);
    const grid = await frameGrid(r.path, 8, 8);
    expect(grid).toHaveLength(r.frames);
    const at = (t: number) => grid[Math.round(t * 24)]!;
    for (const [i, sc] of r.scenes.entries()) {
      const clean = (sc.startS + sc.transitionS + sc.endS) / 2;
      expect(colorDistance(at(clean)[0]!, rgbOf(COLORS[i]!)), `scene ${i}`).toBeLessThan(30);
    }
    // Mid-transition frames are neither scene: fadeblack is dark, fadewhite bright, the rest mixed or split.
    for (const [k, name] of TRANSITIONS.entries()) {
      const sc = r.scenes[k + 2]!;
      const mean = meanColor(at(sc.startS + 3 / 24));
      if (name === 'fadeblack') expect(Math.max(...mean), name).toBeLessThan(60);
      else if (name === 'fadewhite') expect(Math.min(...mean), name).toBeGreaterThan(180);
      else {
        expect(colorDistance(mean, rgbOf(COLORS[k + 1]!)), name).toBeGreaterThan(20);
        expect(colorDistance(mean, rgbOf(COLORS[k + 2]!)), name).toBeGreaterThan(20);
      }
      // Wipes and slides split the picture: the two halves along the motion differ.
      if (/^(wipe|slide)(left|right)$/.test(name))
        expect(colorDistance(at(sc.startS + 3 / 24)[24]!, at(sc.startS + 3 / 24)[31]!), name).toBeGreaterThan(60);
      if (/^(wipe|slide)(up|down)$/.test(name))
        expect(colorDistance(at(sc.startS + 3 / 24)[3]!, at(sc.startS + 3 / 24)[59]!), name).toBeGreaterThan(60);
    }
    const v = await verifyVideo(r.path, {
      ...HOUSE,
      frames: r.frames,
      boundaries: r.scenes.slice(1).map((x) => ({ atS: x.startS, transitionS: x.transitionS })),
      chapters: 14,
    });
    expect(v.problems).toEqual([]);
    expect(v.events.filter((e) => e.atJoin && e.kind !== 'silence')).toEqual([]);
  });

  it('captions switch at the middle of a transition; chapters start where scenes start', async () => {
    const paths = await clips('capt', [{ seconds: 1 }, { seconds: 1 }]);
    const r = await assemble(
      input(paths, {
        captions: true,
        clip: (i) => ({ narration: `Line ${i}`, transition: i ? { type: 'crossfade', seconds: 0.5 } : { type: 'cut', seconds: 0 } }),
      }),
    );
    expect(r.frames).toBe(36);
    const srt = await readFile(r.sidecars[0]!, 'utf8');
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:00,750\nLine 0\n\n2\n00:00:00,750 --> 00:00:01,500\nLine 1\n');
    expect((await probe(r.path)).chapters.map((c) => Number(c.start_time))).toEqual([0, 0.5]);
  });
});

describe('burned captions', () => {
  it('draws the narration into the picture at the chosen position (re-encode)', async () => {
    const paths = await clips('burn', [{ seconds: 1 }, { seconds: 1 }]);
    const narr = { clip: (i: number) => ({ narration: i === 0 ? 'HELLO WORLD' : undefined }) };
    const plain = await assemble(input(paths, narr));
    // Filter-graph paths (the ASS file, the loudness meter file) under a work dir full of characters to escape.
    const top = await assemble(
      input(paths, {
        ...narr,
        workDir: join(dir, "we'ird [dir]: a, b; c\\d"),
        loudness: { targetLufs: -18, truePeakDb: -1, loudnessRange: 11 },
        burnCaptions: { fontSize: 24, color: 'ffffff', outline: 2, position: 'top' },
      }),
    );
    expect(top.audio.loudness?.mode).toBe('linear');
    expect(plain.method).toBe('copy');
    expect(top.method).toBe('reencode');
    expect(top.frames).toBe(48);
    // White pixels (the text) in a horizontal band of the full-size frame, away from the moving white box.
    const band = async (video: string, t: number, y0: number, y1: number) => {
      const f = await frameRgb(video, t);
      let white = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < f.w; x++) if ([0, 1, 2].every((c) => f.data[(y * f.w + x) * 3 + c]! > 200)) white++;
      return white;
    };
    expect(await band(top.path, 0.5, 0, 45)).toBeGreaterThan(100);
    expect(await band(plain.path, 0.5, 0, 45)).toBe(0);
    expect(await band(top.path, 0.5, 135, 180)).toBe(0);
    // Scene 1 has no narration: nothing drawn.
    expect(await band(top.path, 1.5, 0, 45)).toBe(0);
  });
});

describe('audio', () => {
  it('mixes narration from the scene start and a soundtrack ducked under speech, normalized to the loudness target', async () => {
    // Scene 0: clip audio (880 Hz tone after the beep). Scene 1: silent clip. Scene 2: silent clip + narration (660 Hz).
    const paths = await clips('audio', [
      { seconds: 2, audio: { beep: false, toneHz: 880 } },
      { seconds: 2, audio: false },
      { seconds: 2, audio: false },
    ]);
    const narration = join(dir, 'narration.m4a');
    const music = join(dir, 'music.m4a');
    await Promise.all([genTone(narration, 660, 3), genTone(music, 220, 1.5)]);
    const r = await assemble(
      input(paths, {
        soundtrack: { path: music, volumeDb: -6, duck: true, fadeInSeconds: 0, fadeOutSeconds: 0 },
        loudness: { targetLufs: -20, truePeakDb: -1.5, loudnessRange: 11 },
        clip: (i) => (i === 2 ? { narrationAudio: narration } : {}),
      }),
    );
    expect(r.audio).toMatchObject({ narrationScenes: 1, soundtrack: true, ducking: true, loudness: { targetLufs: -20, mode: 'linear' } });
    expect(r.warnings).toEqual(['scene s2: narration audio (3.00 s) cut at the next scene (2.00 s)']);
    const pcm = await audioSamples(r.path);
    const level = (hz: number, from: number, to: number) => 20 * Math.log10(toneLevel(pcm, hz, from, to) + 1e-9);
    // The soundtrack loops past its 1.5 s length and is ducked by well over 8 dB under clip audio and narration.
    expect(level(220, 2.6, 3.9) - level(220, 0.6, 1.9)).toBeGreaterThan(8);
    expect(level(220, 2.6, 3.9) - level(220, 4.6, 5.9)).toBeGreaterThan(8);
    // Narration only in scene 2, from its start.
    expect(level(660, 4.05, 4.5) - level(660, 2.5, 3.9)).toBeGreaterThan(30);
    expect(level(880, 0.5, 1.9) - level(880, 2.5, 3.9)).toBeGreaterThan(30);
    // Integrated loudness on target (the AAC encode moves it by a few hundredths).
    expect(Math.abs((await loudnessOf(r.path)).integratedLufs - -20)).toBeLessThan(0.5);
    expect(r.frames).toBe(144);
    expect(Number((await streamsOf(r.path)).audio[0]!.duration)).toBeCloseTo(6, 2);
  });
});

describe('cancellation and clean-up', () => {
  it('kills ffmpeg, leaves no partial final.mp4 and removes every temp file', async () => {
    const paths = await clips('cancel', [
      { width: 1280, height: 720, seconds: 6 },
      { width: 1280, height: 720, seconds: 6 },
    ]);
    const ac = new AbortController();
    const spec = input(paths, {
      house: { ...HOUSE, width: 1280, height: 720 },
      signal: ac.signal,
      clip: (i) => ({ transition: i ? { type: 'dissolve', seconds: 1 } : { type: 'cut', seconds: 0 } }),
      onProgress: (fraction, step) => {
        if (step === 'assembling' && fraction > 0.3) ac.abort();
      },
    });
    await expect(assemble(spec)).rejects.toBeInstanceOf(FfmpegCancelledError);
    expect(existsSync(spec.output)).toBe(false);
    await expectClean(spec.workDir, join(spec.output, '..'));
  });

  it('a failing verification leaves nothing in place', async () => {
    const paths = await clips('reject', [{ seconds: 1 }]);
    const spec = input(paths, {
      poster: true,
      contactSheet: true,
      captions: true,
      clip: () => ({ narration: 'x' }),
      verify: async () => Promise.reject(new Error('nope')),
    });
    await expect(assemble(spec)).rejects.toThrow('nope');
    expect(await readdir(join(spec.output, '..'))).toEqual([]);
    expect(await readdir(spec.workDir)).toEqual([]);
  });
});
