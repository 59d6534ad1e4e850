/**
 * A/V sync, measured: every clip has a solid colour and a 1 kHz beep in its first 200 ms. In the assembled video
 * the beep onset (from decoded PCM) minus the colour change (from decoded frames) must be within ±1 ms at every
 * scene start, and the frame count must equal the sum of the scenes minus transition overlaps — for clean clips,
 * clips whose audio is 30 ms short or 50 ms long, mixed formats that get normalized, cuts that follow transitions,
 * and a loudness stage that has to limit peaks.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble, type AssemblyClip, type AssemblyInput, type AssemblyResult, type TransitionName } from '../../src/media/assemble.js';
import { avOffsets, genClip, loudnessOf, type ClipSpec } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

const HOUSE = { width: 320, height: 180, fps: 24, sampleRate: 48000, channels: 2 };
const COLORS = [0xd02020, 0x20c040, 0x2040e0, 0xe0c020, 0xc020c0, 0x20c0c0, 0xf08040];
const SECONDS = [1, 1.5, 1, 1.25, 1, 1.5, 1];

let dir: string;
beforeAll(async () => {
  dir = await tempDir('storyreel-avsync-');
});

async function clips(prefix: string, specs: Partial<ClipSpec>[]): Promise<string[]> {
  const paths = specs.map((_, i) => join(dir, `${prefix}-${i}.mp4`));
  for (let i = 0; i < specs.length; i += 4) {
    await Promise.all(
      specs.slice(i, i + 4).map((s, k) => genClip(paths[i + k]!, { ...HOUSE, seconds: SECONDS[i + k]!, color: COLORS[i + k]!, ...s })),
    );
  }
  return paths;
}

async function assembled(paths: string[], over: Partial<AssemblyInput> & { clip?: (i: number) => Partial<AssemblyClip> } = {}) {
  const { clip, ...rest } = over;
  const name = `out-${Math.random().toString(36).slice(2, 8)}`;
  return assemble({
    clips: paths.map((path, i) => ({ sceneId: `s${i}`, title: `Scene ${i}`, path, transition: { type: 'cut', seconds: 0 }, ...clip?.(i) })),
    house: HOUSE,
    fit: 'crop',
    title: 'Sync',
    chapters: false,
    captions: false,
    output: join(dir, name, 'final.mp4'),
    workDir: join(dir, `${name}-work`),
    ...rest,
  });
}

/** Offsets (ms) at the given scenes; every one must be found. */
async function offsets(video: string, scenes: number[], colors = COLORS, searchUntilMs?: number) {
  const m = await avOffsets(video, colors.slice(0, Math.max(...scenes) + 1), searchUntilMs ? { searchUntilMs } : {});
  return { ...m, ms: scenes.map((k) => m.scenes[k]!.offsetMs) };
}

describe('A/V sync at every scene start (±1 ms)', () => {
  for (const [variant, deltaMs] of [
    ['clean', 0],
    ['audio 30 ms short', -30],
    ['audio 50 ms long', 50],
  ] as const) {
    it(`copy path, ${variant}`, async () => {
      const paths = await clips(
        `copy${deltaMs}`,
        SECONDS.map(() => ({ audio: { deltaMs } })),
      );
      const r = await assembled(paths);
      expect(r.method).toBe('copy');
      const expectedFrames = SECONDS.reduce((s, d) => s + d * 24, 0);
      expect(r.frames).toBe(expectedFrames);
      const m = await offsets(
        r.path,
        SECONDS.map((_, k) => k),
      );
      expect(m.frames).toBe(expectedFrames);
      for (const ms of m.ms) expect(Math.abs(ms!)).toBeLessThanOrEqual(1);
    });
  }

  it('normalized mixed inputs (sizes, frame rates, portrait, mono 44.1 kHz, short and long audio)', async () => {
    const paths = await clips('mixed', [
      {},
      { width: 640, height: 360, fps: 30, audio: { deltaMs: -30 } },
      { width: 180, height: 320, fps: 25, audio: { deltaMs: 50 } },
      { audio: { sampleRate: 44100, channels: 1 } },
      { width: 480, height: 270, fps: 30 },
      { audio: { deltaMs: 50 } },
    ]);
    const r = await assembled(paths);
    expect(r.method).toBe('copy');
    expect(r.clips.filter((c) => c.normalized.length).map((c) => c.sceneId)).toEqual(['s1', 's2', 's4']);
    // 1 s, 1.5 s @30, 1 s @25, 1.25 s, 1 s @30, 1.5 s → whole frames at 24 fps.
    expect(r.frames).toBe(24 + 36 + 24 + 30 + 24 + 36);
    const m = await offsets(r.path, [0, 1, 2, 3, 4, 5]);
    expect(m.frames).toBe(r.frames);
    for (const ms of m.ms) expect(Math.abs(ms!)).toBeLessThanOrEqual(1);
  });

  it('cuts after transitions stay in sync; frames = sum − overlaps', async () => {
    const paths = await clips(
      'trans',
      SECONDS.map(() => ({})),
    );
    const types = ['cut', 'cut', 'crossfade', 'cut', 'wipeleft', 'cut', 'fadeblack'] as const;
    const r = await assembled(paths, { clip: (i) => ({ transition: { type: types[i]!, seconds: 0.5 } }) });
    expect(r.method).toBe('transitions');
    const expectedFrames = SECONDS.reduce((s, d) => s + d * 24, 0) - 3 * 12;
    expect(r.frames).toBe(expectedFrames);
    // Scenes 1, 3 and 5 start on a cut; 2, 4 and 6 fade in, so they have no sharp onset to measure.
    const m = await offsets(r.path, [0, 1, 3, 5]);
    expect(m.frames).toBe(expectedFrames);
    for (const ms of m.ms) expect(Math.abs(ms!)).toBeLessThanOrEqual(1);
    expect(m.scenes[5]!.cutS).toBeCloseTo(r.scenes[5]!.startS, 6);
  });

  it('the loudness stage keeps sync when it has to limit peaks', async () => {
    const paths = await clips(
      'loud',
      SECONDS.slice(0, 4).map(() => ({})),
    );
    const r = await assembled(paths, { loudness: { targetLufs: -5, truePeakDb: -3, loudnessRange: 11 } });
    expect(r.audio.loudness).toMatchObject({ mode: 'limited', targetLufs: -5 });
    expect((await loudnessOf(r.path)).truePeakDb).toBeLessThanOrEqual(-3 + 0.5);
    const m = await offsets(r.path, [0, 1, 2, 3]);
    for (const ms of m.ms) expect(Math.abs(ms!)).toBeLessThanOrEqual(1);
  });
});

/**
 * Clips whose audio stream starts 40 ms after the picture (an empty edit on the audio track) or 40 ms before it (an
 * empty edit on the video track), each with its beep 100 ms into its audio. Placed by their timestamps, the beep
 * must sound at 140 ms and 60 ms after the cut (100 ms for clips without an offset), within ±1 ms. Pulled to the
 * first decoded sample (the old behaviour) they sounded at 121.4 ms (the late audio's priming samples then play
 * first) and 100.0 ms.
 */
describe('audio that does not start with the picture stays where its timestamps put it (±40 ms)', () => {
  const START_MS = [0, 40, -40, 40, -40, 0];
  const BEEP_MS = 100;
  const expected = START_MS.map((s) => BEEP_MS + s);
  const cuts: TransitionName[] = START_MS.map(() => 'cut');
  const cases: { method: AssemblyResult['method']; types: TransitionName[]; measured: number[] }[] = [
    { method: 'copy', types: cuts, measured: [0, 1, 2, 3, 4, 5] },
    // Scene 5 fades in, so it has no sharp onset; the offset clips all start on cuts.
    { method: 'transitions', types: ['cut', 'cut', 'cut', 'cut', 'cut', 'crossfade'], measured: [0, 1, 2, 3, 4] },
    { method: 'reencode', types: cuts, measured: [0, 1, 2, 3, 4, 5] },
  ];
  for (const c of cases) {
    it(`${c.method} path: onset − cut at every scene start is the clip's own offset`, async () => {
      const paths = await clips(
        `offset-${c.method}`,
        START_MS.map((startMs) => ({ audio: { startMs, beepAtMs: BEEP_MS } })),
      );
      const r = await assembled(paths, {
        clip: (i) => ({
          transition: { type: c.types[i]!, seconds: 0.5 },
          ...(c.method === 'reencode' && i === 0 ? { narration: 'burned' } : {}),
        }),
        ...(c.method === 'reencode' ? { burnCaptions: { fontSize: 12, color: 'ffffff', outline: 1, position: 'top' as const } } : {}),
      });
      expect(r.method).toBe(c.method);
      // Clips whose audio leads are normalized (their picture starts late in the file); the others are used as they are.
      expect(r.clips.map((x) => x.normalized.length > 0)).toEqual(START_MS.map((s) => s < 0));
      const overlaps = c.types.filter((t) => t !== 'cut').length * 12;
      const expectedFrames = SECONDS.slice(0, 6).reduce((sum, d) => sum + d * 24, 0) - overlaps;
      expect(r.frames).toBe(expectedFrames);
      const m = await offsets(r.path, c.measured, COLORS, 200);
      expect(m.frames).toBe(expectedFrames);
      console.log(
        `${c.method}: onset − cut (ms) ${m.ms.map((x) => x?.toFixed(2)).join(', ')}; expected ${c.measured.map((k) => expected[k]).join(', ')}`,
      );
      m.ms.forEach((ms, j) => expect(Math.abs(ms! - expected[c.measured[j]!]!), `scene ${c.measured[j]}`).toBeLessThanOrEqual(1));
    });
  }
});
