/**
 * Verification of final videos with real ffmpeg: it passes a good assembly and reports JSON; it rejects a truncated
 * output, a truncated clip, a corrupt output and concat-copy audio drift; it flags an injected black gap and a
 * frozen tail at a join but not a still shot or a transition. Plus the pure event parsing and classification.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, open, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble, type AssemblyInput } from '../../src/media/assemble.js';
import { classifyEvents, parseDetections, verifyVideo, type Expectation, type Verification } from '../../src/media/verify.js';
import { analyzeSegments, joinWindows, splitPasses } from '../../src/media/verify-joins.js';
import { genClip, type ClipSpec } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
const HOUSE = { width: 320, height: 180, fps: 24, sampleRate: 48000, channels: 2 };
const COLORS = [0xd02020, 0x20c040, 0x2040e0, 0xe0c020, 0xc020c0, 0x20c0c0];

let dir: string;
let good: { path: string; frames: number; expectation: Expectation };

async function clips(prefix: string, specs: Partial<ClipSpec>[]): Promise<string[]> {
  const paths = specs.map((_, i) => join(dir, `${prefix}-${i}.mp4`));
  await Promise.all(specs.map((s, i) => genClip(paths[i]!, { ...HOUSE, seconds: 1, color: COLORS[i % COLORS.length]!, ...s })));
  return paths;
}

/** Assembles with the verification hook the activity uses (reject when not ok); returns the verification too. */
async function assembleVerified(paths: string[], over: Partial<AssemblyInput> = {}) {
  const name = `out-${Math.random().toString(36).slice(2, 8)}`;
  let verification: Verification | undefined;
  let expectation: Expectation | undefined;
  const spec: AssemblyInput = {
    clips: paths.map((path, i) => ({ sceneId: `s${i}`, title: `Scene ${i}`, path, transition: { type: 'cut', seconds: 0 } })),
    house: HOUSE,
    fit: 'pad',
    title: 'Verify',
    chapters: true,
    captions: false,
    output: join(dir, name, 'final.mp4'),
    workDir: join(dir, `${name}-work`),
    verify: async (tmp, timing) => {
      expectation = timing.expectation;
      verification = await verifyVideo(tmp, timing.expectation);
      if (!verification.ok) throw new Error(`verification failed: ${verification.problems.join('; ')}`);
    },
    ...over,
  };
  const result = await assemble(spec).catch((e: unknown) => e as Error);
  return { result, verification: verification!, expectation: expectation!, spec };
}

beforeAll(async () => {
  dir = await tempDir('storyreel-verify-');
  const paths = await clips('good', [{}, {}, {}]);
  const r = await assembleVerified(paths);
  if (r.result instanceof Error) throw r.result;
  good = { path: r.result.path, frames: r.result.frames, expectation: r.expectation };
});

describe('verifyVideo on real outputs', () => {
  it('passes a good assembly and reports plain JSON', async () => {
    const v = await verifyVideo(good.path, good.expectation);
    expect(v.ok).toBe(true);
    expect(v.problems).toEqual([]);
    expect(v.video).toMatchObject({
      codec: 'h264',
      pixFmt: 'yuv420p',
      sar: '1:1',
      width: 320,
      height: 180,
      fps: 24,
      frames: 72,
      durationS: 3,
      startS: 0,
    });
    expect(v.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2, durationS: 3, startS: 0 });
    expect(v.chapters).toBe(3);
    expect(v.faststart).toBe(true);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  it('rejects a truncated output', async () => {
    const cut = join(dir, 'truncated.mp4');
    await copyFile(good.path, cut);
    await truncate(cut, Math.round((await stat(cut)).size * 0.6));
    const v = await verifyVideo(cut, good.expectation);
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/truncated|decoding failed/);
  });

  it('rejects a corrupt output in the decode pass', async () => {
    const bad = join(dir, 'corrupt.mp4');
    await copyFile(good.path, bad);
    const fh = await open(bad, 'r+');
    const { size } = await fh.stat();
    for (let pos = Math.round(size * 0.3); pos < size * 0.7; pos += 997) await fh.write(Buffer.alloc(48, 0x5a), 0, 48, pos);
    await fh.close();
    const v = await verifyVideo(bad, good.expectation);
    expect(v.ok).toBe(false);
    expect(v.problems.some((p) => p.startsWith('decoding failed'))).toBe(true);
    expect(v.decodeErrors.length).toBeGreaterThan(0);
  });

  it('rejects concat-copy audio drift that the container durations do not show', async () => {
    const paths = await clips(
      'drift',
      COLORS.map(() => ({})),
    );
    const list = join(dir, 'drift.txt');
    await writeFile(list, paths.map((p) => `file '${p}'`).join('\n'));
    const out = join(dir, 'drift.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', out]);
    const v = await verifyVideo(out, { ...HOUSE, frames: 144, boundaries: [1, 2, 3, 4, 5].map((atS) => ({ atS, transitionS: 0 })) });
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/concatenation drift/);
  });

  it('rejects an assembly with a truncated clip; nothing is put in place', async () => {
    const paths = await clips('trunc', [{}, { seconds: 2 }, {}]);
    await truncate(paths[1]!, Math.round((await stat(paths[1]!)).size * 0.5));
    const r = await assembleVerified(paths, { poster: true });
    expect(r.result).toBeInstanceOf(Error);
    expect(existsSync(r.spec.output)).toBe(false);
    expect(await readdir(join(r.spec.output, '..')).catch(() => [])).toEqual([]);
    // The clip's index still promises 48 frames; the copy path can only deliver what its data holds.
    expect(r.verification.ok).toBe(false);
    expect(r.verification.problems.join('\n')).toMatch(/\d+ frames, expected 96/);
  });

  it('flags an injected black gap and a frozen tail at a join, but not a still shot', async () => {
    const paths = await clips('faults', [
      { seconds: 2 },
      { seconds: 2, blackHeadS: 0.5 },
      { seconds: 3, freezeTailS: 2 },
      { seconds: 2, still: true },
      { seconds: 1 },
    ]);
    const r = await assembleVerified(paths);
    expect(r.result).not.toBeInstanceOf(Error);
    const v = r.verification;
    expect(v.ok).toBe(true);
    const visual = v.events.filter((e) => e.kind !== 'silence');
    expect(visual).toEqual([
      { kind: 'black', startS: 2, endS: expect.closeTo(2.5, 1) as number, atJoin: true, scene: 's1' },
      { kind: 'freeze', startS: expect.closeTo(5, 1) as number, endS: 7, atJoin: true, scene: 's2' },
      { kind: 'freeze', startS: 7, endS: expect.closeTo(9, 1) as number, atJoin: false, scene: 's3', wholeScene: true },
    ]);
    expect(v.warnings).toEqual([
      expect.stringMatching(/^unexpected black at a scene join \(scene s1\): 2\.000–2\.5/),
      expect.stringMatching(/^unexpected freeze at a scene join \(scene s2\): (4\.9|5\.0)\d\d–7\.000 s$/),
    ]);
  });
});

describe('event parsing and classification (pure)', () => {
  const exp: Expectation = {
    ...HOUSE,
    frames: 240,
    boundaries: [
      { atS: 4, transitionS: 0 },
      { atS: 7.5, transitionS: 1 },
    ],
    sceneIds: ['a', 'b', 'c'],
  };

  it("pairs starts and ends per kind from the detectors' metadata lines", () => {
    const lines = [
      'frame:48   pts:24576   pts_time:2',
      'lavfi.black_start=2',
      'lavfi.black_end=3.04167',
      'lavfi.freezedetect.freeze_start=6',
      'lavfi.freezedetect.freeze_duration=1.5',
      'lavfi.silence_start=-0.01',
      'lavfi.silence_end=0.5',
      'lavfi.silence_duration=0.51',
    ];
    expect(parseDetections(lines)).toEqual([
      { kind: 'silence', startS: 0, endS: 0.5 },
      { kind: 'black', startS: 2, endS: 3.04167 },
      { kind: 'freeze', startS: 6 },
    ]);
  });

  it('tells joins from transitions and whole scenes', () => {
    const got = classifyEvents(
      [
        { kind: 'black', startS: 3.6, endS: 4.3 }, // across the cut at 4 s
        { kind: 'black', startS: 7.9, endS: 8.1 }, // inside the 1 s transition at 7.5 s (a fade through black)
        { kind: 'freeze', startS: 4, endS: 7.5 }, // all of scene b: a still shot
        { kind: 'freeze', startS: 8.5 }, // scene c from after its transition to the end
        { kind: 'black', startS: 1, endS: 2 }, // inside scene a, away from joins
      ],
      exp,
      10,
    );
    expect(got.map((e) => [e.kind, e.startS, e.atJoin, e.scene, e.wholeScene ?? false])).toEqual([
      ['black', 3.6, true, 'a', false],
      ['black', 7.9, false, 'c', false],
      ['freeze', 4, false, 'b', true],
      ['freeze', 8.5, false, 'c', true],
      ['black', 1, false, 'a', false],
    ]);
  });
});

/** Byte position and size of the video packet at `frame` (presentation order). */
async function videoPacketAt(video: string, frame: number): Promise<{ pos: number; size: number }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts_time,pos,size',
    '-of',
    'csv=p=0',
    video,
  ]);
  const packets = stdout
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number) as [number, number, number])
    .sort((a, b) => a[0] - b[0]);
  const [, size, pos] = packets[frame]!;
  return { pos, size };
}

async function corruptFrame(src: string, dest: string, frame: number): Promise<void> {
  await copyFile(src, dest);
  const { pos, size } = await videoPacketAt(dest, frame);
  const fh = await open(dest, 'r+');
  await fh.write(Buffer.alloc(Math.min(64, size - 8), 0x5a), 0, Math.min(64, size - 8), pos + 8);
  await fh.close();
}

describe("a stream copy's joins (decode: 'joins')", () => {
  it('passes a good copy with per-scene packet counts, keyframes at every scene start, and no full decode', async () => {
    const v = await verifyVideo(good.path, good.expectation, { decode: 'joins' });
    expect(v.problems).toEqual([]);
    expect(v).toMatchObject({ ok: true, decode: 'joins', faststart: true, video: { frames: 72 }, audio: { durationS: 3 } });
    expect(v.segments).toEqual([
      { scene: 's0', startS: 0, frames: 24, expectedFrames: 24, durationS: 1, keyframeAtStart: true },
      { scene: 's1', startS: 1, frames: 24, expectedFrames: 24, durationS: 1, keyframeAtStart: true },
      { scene: 's2', startS: 2, frames: 24, expectedFrames: 24, durationS: 1, keyframeAtStart: true },
    ]);
  });

  it('names the scene that lost frames (a truncated clip)', async () => {
    const paths = await clips('trunc-joins', [{}, { seconds: 2 }, {}]);
    await truncate(paths[1]!, Math.round((await stat(paths[1]!)).size * 0.5));
    const r = await assembleVerified(paths, {
      verify: async (tmp, timing) => {
        const v = await verifyVideo(tmp, timing.expectation, { decode: 'joins' });
        throw new Error(v.problems.join('\n'));
      },
    });
    expect((r.result as Error).message).toMatch(/^scene s1: \d+ frames, expected 48$/m);
  });

  it('a corrupt frame right after a join fails the window decode; one inside a scene is left to the clip check', async () => {
    const afterJoin = join(dir, 'corrupt-join.mp4');
    await corruptFrame(good.path, afterJoin, 25);
    const atJoin = await verifyVideo(afterJoin, good.expectation, { decode: 'joins' });
    expect(atJoin.ok).toBe(false);
    expect(atJoin.problems.join('\n')).toMatch(/^decoding failed: after the join at 1\.000 s: /m);
    // Frame 12 lies inside scene 0, away from every join: the clip's own bytes, decoded when the clip arrived.
    const inside = join(dir, 'corrupt-inside.mp4');
    await corruptFrame(good.path, inside, 12);
    expect((await verifyVideo(inside, good.expectation, { decode: 'joins' })).ok).toBe(true);
    expect((await verifyVideo(inside, good.expectation, { decode: 'full' })).problems.join('\n')).toMatch(/decoding failed/);
  });

  it('flags a scene that opens black at its join; a still scene is reported, not flagged', async () => {
    const paths = await clips('faults-joins', [
      { seconds: 2 },
      { seconds: 2, blackHeadS: 0.5 },
      { seconds: 2, still: true },
      { seconds: 1 },
    ]);
    let v: Verification | undefined;
    const r = await assembleVerified(paths, {
      verify: async (tmp, timing) => {
        v = await verifyVideo(tmp, timing.expectation, { decode: 'joins' });
      },
    });
    expect(r.result).not.toBeInstanceOf(Error);
    expect(v!.ok).toBe(true);
    // Black frames are also frozen; a freeze that fills its whole window is not counted (it may be a still shot).
    expect(v!.events.filter((e) => e.kind !== 'silence')).toEqual([
      { kind: 'black', startS: 2, endS: 2.166667, atJoin: true, scene: 's1' },
      { kind: 'freeze', startS: 2, endS: 2.166667, atJoin: false, scene: 's1' },
      { kind: 'freeze', startS: 4, endS: 4.166667, atJoin: false, scene: 's2' },
    ]);
    expect(v!.warnings).toEqual(['unexpected black at a scene join (scene s1): 2.000–2.167 s']);
  });

  it('flags a scene that opens with a stall (its first three frames the same), which a slow shot does not trip', async () => {
    const paths = await clips('stall-joins', [{ seconds: 1 }, { seconds: 1, freezeHeadS: 1 / 12 }, { seconds: 1 }]);
    let v: Verification | undefined;
    await assembleVerified(paths, {
      verify: async (tmp, timing) => {
        v = await verifyVideo(tmp, timing.expectation, { decode: 'joins' });
      },
    });
    expect(v!.events.filter((e) => e.kind === 'freeze')).toEqual([{ kind: 'freeze', startS: 1, endS: 1.125, atJoin: true, scene: 's1' }]);
    expect(v!.warnings).toEqual([expect.stringMatching(/^unexpected freeze at a scene join \(scene s1\): 1\.000–1\.125 s$/)]);
  });
});

describe('join analysis from packets (pure)', () => {
  const exp: Expectation = { ...HOUSE, frames: 6, boundaries: [{ atS: 3 / 24, transitionS: 0 }], sceneIds: ['a', 'b'] };
  const packet = (frame: number, keyframe = false) => ({ streamIndex: 0, ptsS: frame / 24, durationS: 1 / 24, keyframe });

  it('counts frames per scene and checks the keyframe at each scene start', () => {
    expect(
      analyzeSegments(
        [0, 1, 2, 3, 4, 5].map((f) => packet(f, f % 3 === 0)),
        exp,
      ),
    ).toEqual({
      segments: [
        { scene: 'a', startS: 0, frames: 3, expectedFrames: 3, durationS: 0.125, keyframeAtStart: true },
        { scene: 'b', startS: 0.125, frames: 3, expectedFrames: 3, durationS: 0.125, keyframeAtStart: true },
      ],
      problems: [],
    });
  });

  it('names a scene that starts on a non-keyframe, a repeated timestamp and a gap', () => {
    const { problems } = analyzeSegments([packet(0, true), packet(1), packet(1), packet(3), packet(5)], exp);
    expect(problems).toEqual([
      '1 video frame(s) share a timestamp with another, first at 0.042 s',
      'video timestamps skip 1 frame(s) before 0.125 s',
      'video timestamps skip 1 frame(s) before 0.208 s',
      'scene b: 2 frames, expected 3',
      'scene b does not start on a keyframe at 0.125 s',
    ]);
    expect(joinWindows(exp)).toEqual([{ scene: 'b', startS: 0.125, frames: 3 }]);
    expect(joinWindows({ ...exp, frames: 48 })).toEqual([{ scene: 'b', startS: 0.125, frames: 4 }]);
    expect(splitPasses([1, 2, 3, 4, 5, 6, 7], 16)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7],
    ]);
    expect(splitPasses([1, 2, 3, 4, 5], 2).map((p) => p.length)).toEqual([2, 2, 1]);
    expect(splitPasses([1], 16)).toEqual([[1]]);
  });
});
