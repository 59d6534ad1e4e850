/**
 * The pure parts of assembly: timeline arithmetic, filter graphs and lists, captions, loudness decisions, stills
 * layout. Each is text or numbers, so each is checked exactly here; the media tests check that ffmpeg agrees.
 */
import { describe, expect, it } from 'vitest';
import { copyMismatches } from '../../src/media/assemble.js';
import { assColor, narrationCues, toAss, toSrt, toVtt, wrapWords } from '../../src/media/captions.js';
import { clipFacts } from '../../src/media/fingerprint.js';
import {
  concatList,
  conformFilters,
  escapeFilterValue,
  exactAudioGraph,
  loudnessApplyChain,
  mixGraph,
  narrationGraph,
  sequenceVideoGraph,
  soundtrackChain,
  transitionVideoGraph,
} from '../../src/media/graphs.js';
import { parseMeterLines, planLoudness } from '../../src/media/loudness.js';
import type { ProbeResult } from '../../src/media/probe.js';
import { keyframeTimes, sheetLayout, tileList } from '../../src/media/stills.js';
import { chaptersMetadata, switchPoints, timeline, totalFrames, visibleWindows } from '../../src/media/timeline.js';

const clip = (sceneId: string, frames: number, transitionS = 0) => ({ sceneId, title: sceneId.toUpperCase(), frames, transitionS });

describe('timeline', () => {
  it('overlaps each transition with the end of the video so far; total = Σ frames − Σ overlaps', () => {
    const t = timeline([clip('a', 96), clip('b', 48, 0.5), clip('c', 72), clip('d', 48, 1)], 24);
    expect(t.map((s) => [s.startS, s.endS, s.transitionS])).toEqual([
      [0, 3.5, 0],
      [3.5, 5.5, 0.5],
      [5.5, 7.5, 0],
      [7.5, 9.5, 1],
    ]);
    expect(totalFrames(t, 24)).toBe(96 + 48 + 72 + 48 - 12 - 24);
    expect(t.clamped).toBeUndefined();
  });

  it('snaps transitions to whole frames and never overlaps more than a neighbour holds', () => {
    expect(timeline([clip('a', 24), clip('b', 24, 0.51)], 24)[1]!.transitionS).toBe(0.5);
    const t = timeline([clip('a', 24), clip('b', 10, 0.51), clip('c', 48, 2)], 24);
    expect(t.map((s) => s.transitionS)).toEqual([0, 10 / 24, 0]);
    expect(t.clamped).toEqual(['b', 'c']);
  });

  it('takes stills from the middle of what each scene shows alone; captions switch mid-transition', () => {
    const t = timeline([clip('a', 48), clip('b', 48, 0.5), clip('c', 48, 0.5)], 24);
    expect(visibleWindows(t, 24)).toEqual([
      { fromS: 0, toS: 1.5, midS: 0.75 },
      { fromS: 2, toS: 3, midS: 2.5 },
      { fromS: 3.5, toS: 5, midS: 4.25 },
    ]);
    expect(switchPoints(t, 24)).toEqual([0, 1.75, 3.25]);
  });

  it('writes chapters as ffmetadata with escaped titles', () => {
    const t = timeline([{ ...clip('a', 24), title: 'Dawn; the = sign #1' }, clip('b', 24)], 24);
    expect(chaptersMetadata('My film', t)).toBe(
      ';FFMETADATA1\ntitle=My film\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Dawn\\; the \\= sign \\#1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=B\n',
    );
  });
});

describe('graphs and lists', () => {
  it('escapes filter option values at both levels (ffmpeg-filters(1) example)', () => {
    expect(escapeFilterValue("this is a 'string': may contain one, or more, special characters")).toBe(
      "this is a \\\\\\'string\\\\\\'\\\\: may contain one\\, or more\\, special characters",
    );
    expect(escapeFilterValue('/tmp/a [b];c\\d')).toBe('/tmp/a \\[b\\]\\;c\\\\\\\\d');
  });

  it('lists only the video stream with exact durations, quoting paths', () => {
    expect(
      concatList([
        { path: "/x/it's.mp4", seconds: 4 },
        { path: '/y.mp4', seconds: 1.5 },
      ]),
    ).toBe(
      "ffconcat version 1.0\nstream\nexact_stream_id 0x1\nfile '/x/it'\\''s.mp4'\nduration 4.000000\nfile '/y.mp4'\nduration 1.500000\n",
    );
  });

  it('places clip audio by its timestamps, trims or pads it to its video length; silence for a clip without audio', () => {
    expect(
      exactAudioGraph(
        [
          { input: 1, seconds: 4 },
          { input: null, seconds: 2 },
        ],
        'concat',
        'clip',
      ),
    ).toBe(
      '[1:a]aresample=48000:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=192000,apad=whole_len=192000,asetpts=N/SR/TB[b0];\n' +
        'anullsrc=r=48000:cl=stereo,atrim=end_sample=96000,apad=whole_len=96000,asetpts=N/SR/TB[b1];\n' +
        '[b0][b1]concat=n=2:v=0:a=1[clip]',
    );
    // A transition: fade out / fade in, the overlapping pieces summed; concat pulls one piece at a time.
    expect(
      exactAudioGraph(
        [
          { input: 0, seconds: 1 },
          { input: 1, seconds: 1 },
          { input: 2, seconds: 1 },
        ],
        { crossfades: [0, 0.25, 0] },
      ).split(';\n'),
    ).toEqual([
      '[0:a]aresample=48000:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=48000,apad=whole_len=48000,asetpts=N/SR/TB,afade=t=out:ss=36000:ns=12000,asplit=2[b0s][t0s]',
      '[b0s]atrim=start_sample=0:end_sample=36000,asetpts=PTS-STARTPTS[b0]',
      '[t0s]atrim=start_sample=36000:end_sample=48000,asetpts=PTS-STARTPTS[t0]',
      '[1:a]aresample=48000:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=48000,apad=whole_len=48000,asetpts=N/SR/TB,afade=t=in:ss=0:ns=12000,asplit=2[h1s][b1s]',
      '[h1s]atrim=start_sample=0:end_sample=12000,asetpts=PTS-STARTPTS[h1]',
      '[b1s]atrim=start_sample=12000:end_sample=48000,asetpts=PTS-STARTPTS[b1]',
      '[t0][h1]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0[x1]',
      '[2:a]aresample=48000:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=48000,apad=whole_len=48000,asetpts=N/SR/TB[b2]',
      '[b0][x1][b1][b2]concat=n=4:v=0:a=1[a]',
    ]);
  });

  it('chains xfade with offsets on the merged timeline, clips cut from even/odd decode lists, padded before a transition', () => {
    const e = (type: 'cut' | 'crossfade' | 'wipeleft', frames = 48) => ({ frames, transition: { type, seconds: 0.5 } });
    const g = transitionVideoGraph([e('cut'), e('crossfade', 24), e('cut'), e('wipeleft')], [0, 12, 0, 12], { even: 0, odd: 1 }, 24).split(
      ';\n',
    );
    expect(g).toEqual([
      '[0:v]settb=1/24,setpts=N,setsar=1,split=2[s0][s2]',
      '[1:v]settb=1/24,setpts=N,setsar=1,split=2[s1][s3]',
      '[s0]trim=start_frame=0:end_frame=48,setpts=PTS-STARTPTS,tpad=stop_mode=clone:stop=4[v0]',
      '[s1]trim=start_frame=0:end_frame=24,setpts=PTS-STARTPTS[v1]',
      '[s2]trim=start_frame=48:end_frame=96,setpts=PTS-STARTPTS,tpad=stop_mode=clone:stop=4[v2]',
      '[s3]trim=start_frame=24:end_frame=72,setpts=PTS-STARTPTS[v3]',
      '[v0][v1]xfade=transition=fade:duration=0.500000:offset=1.500000[vc1]',
      '[vc1][v2]concat=n=2:v=1:a=0,settb=1/24[vc2]',
      '[vc2][v3]xfade=transition=wipeleft:duration=0.500000:offset=4.000000[v]',
    ]);
    expect(sequenceVideoGraph(0, 25)).toBe('[0:v]settb=1/25,setpts=N,setsar=1[v]');
  });

  it('conforms a clip: square pixels, fit, fps, format, exact frame count', () => {
    expect(conformFilters({ width: 320, height: 180, fps: 24, fit: 'crop', sar: '4:3', frames: 29 })).toBe(
      'scale=trunc(iw*sar/2)*2:ih,setsar=1,scale=320:180:force_original_aspect_ratio=increase:force_divisible_by=2,crop=320:180,setsar=1,fps=24,format=yuv420p,tpad=stop_mode=clone:stop=1,trim=end_frame=29',
    );
    expect(conformFilters({ width: 320, height: 180, fps: 24, fit: 'pad', sar: '1:1', frames: 24 })).toMatch(
      /^scale=320:180:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=320:180:\(ow-iw\)\/2:\(oh-ih\)\/2:color=black,/,
    );
  });

  it('places narration at scene starts, merges silent stretches, fades narration it has to cut', () => {
    const g = narrationGraph([
      { input: null, seconds: 2, cut: false },
      { input: null, seconds: 1, cut: false },
      { input: 5, seconds: 1.5, cut: true },
      { input: null, seconds: 1, cut: false },
    ]).split(';\n');
    expect(g).toEqual([
      'anullsrc=r=48000:cl=stereo,atrim=end=3.000000,asetpts=N/SR/TB[n0]',
      '[5:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end=1.500000,afade=t=out:st=1.450000:d=0.05,apad=whole_dur=1.500000,asetpts=N/SR/TB[n1]',
      'anullsrc=r=48000:cl=stereo,atrim=end=1.000000,asetpts=N/SR/TB[n2]',
      '[n0][n1][n2]concat=n=3:v=0:a=1[narr]',
    ]);
  });

  it('cuts the looped soundtrack to length with gain and fades', () => {
    expect(soundtrackChain({ input: 7, volumeDb: -12, duck: true, fadeInSeconds: 1, fadeOutSeconds: 2 }, 10)).toBe(
      '[7:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end=10.000000,asetpts=N/SR/TB,volume=-12.00dB,afade=t=in:st=0:d=1.000000,afade=t=out:st=8.000000:d=2.000000,apad=whole_dur=10.000000[music]',
    );
    expect(soundtrackChain({ input: 1, volumeDb: 0, duck: false, fadeInSeconds: 0, fadeOutSeconds: 0 }, 3)).not.toMatch(/afade/);
  });

  it('mixes clip audio, narration and a soundtrack ducked under both', () => {
    expect(mixGraph({ narration: false, soundtrack: false })).toBe('[clip]anull[mix]');
    expect(mixGraph({ narration: true, soundtrack: { duck: true } }).split(';\n')).toEqual([
      '[clip][narr]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[voice]',
      '[voice]asplit=2[vmix][vkey]',
      '[music][vkey]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=300:makeup=1:detection=rms[ducked]',
      '[vmix][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[mix]',
    ]);
    expect(mixGraph({ narration: false, soundtrack: { duck: false } })).toBe(
      '[clip][music]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[mix]',
    );
  });
});

describe('loudness', () => {
  const target = { targetLufs: -16, truePeakDb: -1.5, loudnessRange: 11 };

  it('reads the final integrated loudness, loudness range and the highest true peak', () => {
    const lines = [
      'frame:0 pts:0',
      'lavfi.r128.I=-30.1',
      'lavfi.r128.LRA=2',
      'lavfi.r128.true_peak=0.5',
      'frame:1 pts:4800',
      'lavfi.r128.I=-23.456',
      'lavfi.r128.LRA=3.5',
      'lavfi.r128.true_peak=0.25',
    ];
    const m = parseMeterLines(lines)!;
    expect(m.integratedLufs).toBe(-23.456);
    expect(m.lraLu).toBe(3.5);
    expect(m.truePeakDb).toBeCloseTo(-6.0206, 3);
    expect(parseMeterLines(['nothing'])).toBeUndefined();
  });

  it('applies one gain when the peaks allow it, limits when they do not, leaves silence alone', () => {
    expect(planLoudness({ integratedLufs: -23, truePeakDb: -10, lraLu: 5 }, target).apply).toEqual({ mode: 'linear', gainDb: 7 });
    const hot = planLoudness({ integratedLufs: -23, truePeakDb: -3, lraLu: 5 }, target);
    expect(hot.apply).toEqual({ mode: 'limited', gainDb: 7, limitLinear: expect.closeTo(10 ** (-2 / 20), 6) as number });
    expect(hot.report.mode).toBe('limited');
    expect(planLoudness({ integratedLufs: -70, truePeakDb: -144, lraLu: 0 }, target)).toEqual({
      report: { integratedLufs: -70, truePeakDb: -144, lraLu: 0, targetLufs: -16, gainDb: 0, mode: 'none' },
    });
    expect(loudnessApplyChain({ mode: 'linear', gainDb: 7 })).toBe('[mix]volume=7.00dB[a]');
    expect(loudnessApplyChain({ mode: 'limited', gainDb: 7, limitLinear: 0.5 })).toBe(
      '[mix]volume=7.00dB,alimiter=limit=0.5000:attack=5:release=50:level=false:latency=1[a]',
    );
    expect(loudnessApplyChain(undefined)).toBe('[mix]anull[a]');
  });
});

describe('captions', () => {
  const scenes = timeline([clip('a', 48), clip('b', 48, 0.5), clip('c', 24)], 24);

  it('wraps at 42 characters and splits long narration into timed two-line cues', () => {
    expect(wrapWords('a '.repeat(30).trim())).toEqual(['a a a a a a a a a a a a a a a a a a a a a', 'a a a a a a a a a']);
    const long =
      'The lighthouse keeper climbs the stairs every night before the storm arrives, counting each step aloud so the dark does not win.';
    const cues = narrationCues(scenes, [long, undefined, 'Short.'], 24);
    expect(cues).toHaveLength(3);
    expect(cues[0]!.startS).toBe(0);
    expect(cues[1]!.endS).toBe(1.75);
    expect(cues[0]!.endS).toBe(cues[1]!.startS);
    expect(cues[0]!.text.split('\n').every((l) => l.length <= 42)).toBe(true);
    expect(cues[2]).toEqual({ startS: 3.5, endS: 4.5, text: 'Short.' });
  });

  it('writes SRT, WebVTT (escaped) and ASS (output-pixel style, safe text)', () => {
    const cues = [{ startS: 0, endS: 1.25, text: 'Tom & <Jerry>\n{fight}' }];
    expect(toSrt(cues)).toBe('1\n00:00:00,000 --> 00:00:01,250\nTom & <Jerry>\n{fight}\n');
    expect(toVtt(cues)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nTom &amp; &lt;Jerry&gt;\n{fight}\n');
    const ass = toAss(cues, { fontSize: 30, color: 'ffcc00', outline: 2, position: 'top' }, { width: 1280, height: 720 });
    expect(ass).toContain('PlayResX: 1280\nPlayResY: 720');
    expect(ass).toContain('Style: Default,Sans,30,&H0000CCFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,2,0,8,36,36,36,1');
    expect(ass).toContain('Dialogue: 0,0:00:00.00,0:00:01.25,Default,,0,0,0,,Tom & <Jerry>\\N\u2983fight\u2984');
    expect(assColor('102030')).toBe('&H00302010');
  });
});

describe('stills', () => {
  it('lays out near-square grids of tiles with the long side 320', () => {
    expect(sheetLayout(24, { width: 1280, height: 720 })).toEqual({ cols: 5, rows: 5, tileWidth: 320, tileHeight: 180 });
    expect(sheetLayout(3, { width: 720, height: 1280 })).toEqual({ cols: 2, rows: 2, tileWidth: 180, tileHeight: 320 });
    expect(sheetLayout(1, { width: 320, height: 180 })).toEqual({ cols: 1, rows: 1, tileWidth: 320, tileHeight: 180 });
  });

  it('selects one keyframe per scene with half-frame in/out points; forced keyframes are unique and sorted', () => {
    expect(tileList("/o/it's.mp4", [1, 2.5], 24)).toBe(
      "ffconcat version 1.0\nfile '/o/it'\\''s.mp4'\ninpoint 1.010417\noutpoint 1.031250\nfile '/o/it'\\''s.mp4'\ninpoint 2.510417\noutpoint 2.531250\n",
    );
    expect(keyframeTimes([2, 0, 1, 2])).toBe('0.000000,1.000000,2.000000');
  });
});

describe('copy eligibility', () => {
  const probeOf = (v: Record<string, unknown>): ProbeResult =>
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
          ...v,
        },
      ],
      chapters: [],
    }) as ProbeResult;
  const house = { width: 320, height: 180, fps: 24, sampleRate: 48000, channels: 2 };

  it('adds rotation and a late video start to the fingerprint checks', () => {
    expect(copyMismatches(probeOf({}), clipFacts(probeOf({})), house)).toEqual([]);
    const rotated = probeOf({ side_data_list: [{ rotation: -90 }] });
    expect(copyMismatches(rotated, clipFacts(rotated), house)).toEqual(['rotated -90°']);
    const late = probeOf({ start_time: 0.5 });
    expect(copyMismatches(late, clipFacts(late), house)).toEqual(['video starts at 0.500 s']);
  });
});
