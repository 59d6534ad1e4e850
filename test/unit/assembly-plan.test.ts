/**
 * Assembly's decisions without ffmpeg: what gets normalized and why, which method writes the video, the timeline and
 * its warnings, narration slots, what verification expects, and the final command's inputs and arguments per method.
 */
import { describe, expect, it } from 'vitest';
import { finalCommand, type SideFiles } from '../../src/media/assembly-encode.js';
import {
  captionPlan,
  conformFor,
  expectationFor,
  hasTransitions,
  initialMethod,
  narrationPlan,
  needsHouseReference,
  normalizationReasons,
  planTimeline,
  settleMethod,
  withParameterMismatches,
} from '../../src/media/assembly-plan.js';
import type { AssemblyClip, PreparedClip } from '../../src/media/assembly-types.js';
import { clipFacts, type ClipFacts } from '../../src/media/fingerprint.js';
import { normalizeGraph } from '../../src/media/normalize.js';
import type { ProbeResult } from '../../src/media/probe.js';

const HOUSE = { width: 320, height: 180, fps: 24, sampleRate: 48000, channels: 2 };

const probeOf = (video: Record<string, unknown> = {}, audio: Record<string, unknown> | false = {}, format: Record<string, unknown> = {}) =>
  ({
    streams: [
      {
        index: 0,
        id: '0x1',
        codec_type: 'video',
        codec_name: 'h264',
        pix_fmt: 'yuv420p',
        width: 320,
        height: 180,
        avg_frame_rate: '24/1',
        r_frame_rate: '24/1',
        nb_frames: 24,
        sample_aspect_ratio: '1:1',
        start_time: 0,
        extradata_hash: 'md5:house',
        ...video,
      },
      ...(audio ? [{ index: 1, codec_type: 'audio', codec_name: 'aac', sample_rate: 48000, channels: 2, start_time: 0, ...audio }] : []),
    ],
    format,
    chapters: [],
  }) as ProbeResult;

const clip = (i: number, transition: AssemblyClip['transition'] = { type: 'cut', seconds: 0 }): AssemblyClip => ({
  sceneId: `s${i}`,
  title: `Scene ${i}`,
  path: `/clips/${i}.mp4`,
  transition,
});

const prepared = (i: number, facts: Partial<ClipFacts> = {}, transition?: AssemblyClip['transition']): PreparedClip => ({
  clip: clip(i, transition),
  path: `/clips/${i}.mp4`,
  facts: { ...clipFacts(probeOf()), ...facts },
  normalized: [],
});

describe('what gets normalized, and which method writes the video', () => {
  it('names every reason a clip cannot be joined as it is, including audio that starts before the picture', () => {
    const probes = [
      probeOf(),
      probeOf({ width: 640, height: 360 }),
      probeOf({ start_time: 0.04 }),
      probeOf({}, { start_time: -0.04 }),
      probeOf({}, { start_time: 0.04 }),
    ];
    const facts = probes.map((p) => clipFacts(p));
    expect(facts.map((f) => f.videoOffsetS)).toEqual([0, 0, 0.04, 0.04, 0]);
    expect(normalizationReasons(probes, facts, HOUSE)).toEqual([
      [],
      ['size 640x360'],
      ['video starts at 0.040 s'],
      ['audio starts 0.040 s before the video'],
      // Late audio is placed by its timestamps in the final graph; the picture can still be copied.
      [],
    ]);
  });

  it('picks the method: transitions need decoding, burned captions change the picture, else copy', () => {
    const cut = [clip(0), clip(1)];
    const faded = [clip(0), clip(1, { type: 'crossfade', seconds: 0.5 })];
    const tooShort = [clip(0), clip(1, { type: 'crossfade', seconds: 0.01 })];
    expect([hasTransitions(cut, 24), hasTransitions(faded, 24), hasTransitions(tooShort, 24)]).toEqual([false, true, false]);
    expect([initialMethod(true, true), initialMethod(false, true), initialMethod(false, false)]).toEqual([
      'transitions',
      'reencode',
      'copy',
    ]);
    const style = { fontSize: 20, color: 'ffffff', outline: 2, position: 'bottom' as const };
    expect(captionPlan({ clips: cut, captions: false, burnCaptions: style }).burn).toBeUndefined();
    expect(captionPlan({ clips: [{ ...clip(0), narration: 'hi' }], captions: false, burnCaptions: style })).toMatchObject({
      cues: true,
      burn: style,
    });
  });

  it('measures the house encode only when the copy method meets differing H.264 parameters', () => {
    const house = clipFacts(probeOf());
    const other = clipFacts(probeOf({ profile: 'Baseline' }));
    expect(needsHouseReference('copy', [house, house], [[], []])).toBe(false);
    expect(needsHouseReference('copy', [house, other], [[], []])).toBe(true);
    expect(needsHouseReference('transitions', [house, other], [[], []])).toBe(false);
    expect(withParameterMismatches([house, other, other], [[], [], ['size 640x360']], house.videoFingerprint)).toEqual([
      [],
      ['H.264 parameters differ from the house encode'],
      ['size 640x360'],
    ]);
    expect(settleMethod('copy', [prepared(0), prepared(1, { videoFingerprint: 'x' })])).toMatchObject({ method: 'reencode' });
    expect(settleMethod('copy', [prepared(0), prepared(1)])).toEqual({ method: 'copy' });
  });

  it('conforms to the house size at whole frames of the clip’s own length', () => {
    const f = clipFacts(probeOf({ avg_frame_rate: '30/1', r_frame_rate: '30/1', nb_frames: 45, sample_aspect_ratio: '4:3' }));
    expect(conformFor(f, HOUSE, 'crop')).toEqual({ width: 320, height: 180, fps: 24, fit: 'crop', sar: '4:3', frames: 36 });
  });
});

describe('the timeline and what follows from it', () => {
  it('places scenes in whole frames, shortens transitions that do not fit, expects what it planned', () => {
    const plan = planTimeline(
      [
        prepared(0, { frames: 24 }),
        prepared(1, { frames: 12 }, { type: 'crossfade', seconds: 1 }),
        prepared(2, { frames: 48 }, { type: 'cut', seconds: 0 }),
      ],
      24,
    );
    expect(plan.scenes.map((s) => [s.sceneId, s.startS, s.transitionS])).toEqual([
      ['s0', 0, 0],
      ['s1', 0.5, 0.5],
      ['s2', 1, 0],
    ]);
    expect(plan).toMatchObject({ frames: 72, durationS: 3, overlaps: [0, 12, 0] });
    expect(plan.warnings).toEqual(['scene s1: transition shortened to fit the clips on both sides']);
    expect(expectationFor(plan, HOUSE, { chapters: true, subtitles: 1 })).toEqual({
      width: 320,
      height: 180,
      fps: 24,
      frames: 72,
      durationS: 3,
      boundaries: [
        { atS: 0.5, transitionS: 0.5 },
        { atS: 1, transitionS: 0 },
      ],
      chapters: 3,
      subtitles: 1,
      sceneIds: ['s0', 's1', 's2'],
    });
  });

  it('slots narration at scene starts and warns when a file outlasts its scene', () => {
    const plan = planTimeline([prepared(0, { frames: 48 }), prepared(1, { frames: 48 })], 24);
    const clips = [{ ...clip(0), narrationAudio: '/n0.m4a' }, clip(1)];
    expect(narrationPlan(clips, [3, 0], plan.scenes)).toEqual({
      narration: [
        { path: '/n0.m4a', seconds: 3 },
        { path: '', seconds: 0 },
      ],
      warnings: ['scene s0: narration audio (3.00 s) cut at the next scene (2.00 s)'],
    });
    expect(narrationPlan([clip(0), clip(1)], [0, 0], plan.scenes)).toEqual({ warnings: [] });
  });
});

describe('the final command (pure)', () => {
  const side: SideFiles = { metadata: '/s/chapters.ffmeta', cues: [] };
  const command = (method: 'copy' | 'transitions' | 'reencode', extra: Partial<SideFiles> = {}) => {
    const clips = [prepared(0, { frames: 24 }), prepared(1, { frames: 24, hasAudio: false }, { type: 'crossfade', seconds: 0.5 })];
    return finalCommand({
      method,
      prepared: clips,
      plan: planTimeline(clips, 24),
      sources: { narration: undefined, soundtrack: undefined },
      loudness: undefined,
      side: { ...side, ...extra },
      title: 'T',
      chapters: true,
      fps: 24,
      scratch: '/s',
    });
  };

  it('copy: one video list stream-copied, clip audio as its own inputs, metadata last', () => {
    const c = command('copy');
    expect(c.inputs).toEqual([
      { source: '/s/video.ffconcat', options: ['-f', 'concat', '-safe', '0'] },
      { source: '/clips/0.mp4' },
      {
        source: '/s/chapters.ffmeta',
        options: ['-f', 'ffmetadata'],
      },
    ]);
    expect(c.lists.map((l) => l.path)).toEqual(['/s/video.ffconcat']);
    expect(c.outputOptions.join(' ')).toContain('-map 0:v:0 -map [a] -map_metadata 2 -map_chapters 2 -c:v copy');
    expect(c.graph).toContain('[1:a]aresample=48000:first_pts=0');
  });

  it('transitions: even and odd decode lists, xfade, forced keyframes; burned captions and a caption track when asked', () => {
    const c = command('transitions', { ass: '/s/captions.ass', srt: '/s/captions.srt' });
    expect(c.lists.map((l) => l.path)).toEqual(['/s/even.ffconcat', '/s/odd.ffconcat']);
    expect(c.graph).toContain('xfade=transition=fade');
    expect(c.graph).toContain('[vbase]subtitles=filename=');
    const args = c.outputOptions.join(' ');
    expect(args).toContain('-map [v] -map [a] -map 4:s -c:s mov_text');
    expect(args).toContain('-c:v libx264');
    expect(args).toMatch(/-force_key_frames 0\.000000,/);
  });

  it('reencode: one decode list with regular timestamps, no caption track unless asked', () => {
    const c = command('reencode');
    expect(c.lists.map((l) => l.path)).toEqual(['/s/video.ffconcat']);
    expect(c.graph.split(';\n')[0]).toBe('[0:v]settb=1/24,setpts=N,setsar=1[v]');
    expect(c.outputOptions).not.toContain('-c:s');
    expect(c.lists[0]!.text).toBe(
      "ffconcat version 1.0\nstream\nexact_stream_id 0x1\nfile '/clips/0.mp4'\nduration 1.000000\nfile '/clips/1.mp4'\nduration 1.000000\n",
    );
  });
});

describe('normalization places audio on the picture', () => {
  it('cuts the audio that plays before the first frame, pads audio that starts late, silence without audio', () => {
    const conform = { width: 320, height: 180, fps: 24, fit: 'pad' as const, sar: '1:1', frames: 24 };
    expect(normalizeGraph({ hasAudio: true, videoOffsetS: 0.04 }, conform).split(';\n')[1]).toBe(
      '[0:a]aresample=48000:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=start_sample=1920:end_sample=49920,apad=whole_len=48000,asetpts=N/SR/TB[a]',
    );
    expect(normalizeGraph({ hasAudio: true, videoOffsetS: 0 }, conform).split(';\n')[1]).toBe(
      '[0:a]aresample=48000:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=48000,apad=whole_len=48000,asetpts=N/SR/TB[a]',
    );
    expect(normalizeGraph({ hasAudio: false, videoOffsetS: 0 }, conform).split(';\n')[1]).toBe(
      'anullsrc=r=48000:cl=stereo,atrim=end_sample=48000,asetpts=N/SR/TB[a]',
    );
  });
});
