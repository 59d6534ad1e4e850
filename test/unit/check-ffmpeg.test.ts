/**
 * checkFfmpeg against the real ffmpeg, and against fake ones on PATH (a shell script in front of the real binary)
 * that lack a filter, are too old, or are missing altogether: the message names what is missing and how to get it.
 * Also: every filter in the graphs the media room builds is on the required list (so the list cannot drift).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFfmpeg, FfmpegRequirementError, parseComponentList, REQUIRED, requireFfmpeg } from '../../src/media/check-ffmpeg.js';
import { normalizeGraph } from '../../src/media/normalize.js';
import {
  burnChain,
  conformFilters,
  exactAudioGraph,
  loudnessApplyChain,
  loudnessMeterChain,
  mixGraph,
  narrationGraph,
  sequenceVideoGraph,
  soundtrackChain,
  transitionVideoGraph,
} from '../../src/media/graphs.js';
import { cardGraph } from '../../src/media/render-card.js';
import { sheetGraph } from '../../src/media/stills.js';
import { TRANSITIONS } from '../../src/media/transitions.js';
import { fitGraph, trimGraph } from '../../src/media/trim.js';
import { DETECTORS } from '../../src/media/verify-decode.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
let realFfmpeg: string;
let dir: string;

beforeAll(async () => {
  realFfmpeg = (await run('sh', ['-c', 'command -v ffmpeg'])).stdout.trim();
  dir = await tempDir('storyreel-check-ffmpeg-');
});

/** A directory holding a fake `ffmpeg` (a shell script) to put first on PATH. */
async function fakeFfmpeg(name: string, script: string): Promise<NodeJS.ProcessEnv> {
  const bin = join(dir, name);
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'ffmpeg'), `#!/bin/sh\nREAL='${realFfmpeg}'\n${script}\n`);
  await chmod(join(bin, 'ffmpeg'), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  delete env.FFMPEG_PATH;
  return env;
}

describe('checkFfmpeg', () => {
  it('passes the real ffmpeg and reports its version', async () => {
    const check = await checkFfmpeg();
    expect(check.missing).toEqual([]);
    expect(check).toMatchObject({ ok: true, message: '' });
    expect(check.version).toMatch(/^ffmpeg version \S+/);
  });

  it('names a filter the installed ffmpeg lacks, and how to get one that has it', async () => {
    const env = await fakeFfmpeg(
      'no-sidechain',
      `case " $* " in *" -filters "*) "$REAL" "$@" | grep -v ' sidechaincompress ' ; exit 0 ;; esac\nexec "$REAL" "$@"`,
    );
    const check = await checkFfmpeg({ env });
    expect(check.ok).toBe(false);
    expect(check.missing).toEqual(['filter sidechaincompress (soundtrack ducking)']);
    expect(check.message).toMatch(
      /lacks what storyreel needs: filter sidechaincompress \(soundtrack ducking\)\. Install ffmpeg 5\.1 or newer/,
    );
    expect(check.message).toContain('apt-get install ffmpeg');
    const err = await requireFfmpeg({ env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegRequirementError);
    expect((err as Error).message).toContain('sidechaincompress');
  });

  it('names an encoder a build lacks (libx264 without --enable-gpl)', async () => {
    const env = await fakeFfmpeg(
      'no-x264',
      `case " $* " in *" -encoders "*) "$REAL" "$@" | grep -v ' libx264 ' ; exit 0 ;; esac\nexec "$REAL" "$@"`,
    );
    expect((await checkFfmpeg({ env })).missing).toEqual([
      'encoder libx264 (the house video encode; needs an ffmpeg built with --enable-gpl --enable-libx264)',
    ]);
  });

  it('refuses an ffmpeg older than 5.1', async () => {
    const env = await fakeFfmpeg(
      'old',
      `case " $* " in *" -version "*) echo 'ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021'; exit 0 ;; esac\nexec "$REAL" "$@"`,
    );
    const check = await checkFfmpeg({ env });
    expect(check.missing).toEqual(['ffmpeg 5.1 or newer (found 4.4; -fps_mode and the measured transition behaviour need it)']);
  });

  it('says so when there is no ffmpeg at all', async () => {
    const check = await checkFfmpeg({ env: { PATH: join(dir, 'empty') } });
    expect(check).toMatchObject({ ok: false, missing: ['ffmpeg'] });
    expect(check.message).toMatch(/^ffmpeg was not found or does not run \(ffmpeg\)\. Install ffmpeg 5\.1 or newer/);
  });

  it('reads names out of component lists (pure)', () => {
    const filters = parseComponentList(
      ' T.C drawtext          V->V       Draw text\n ... xfade  VV->V  Cross fade\n  T.. = Timeline support',
    );
    expect([...filters]).toEqual(['drawtext', 'xfade']);
    const formats = parseComponentList(
      ' D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV\n D d lavfi   Libavfilter virtual input device\n  E mp4  MP4',
    );
    expect([...formats]).toEqual(['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'lavfi']);
    expect([...parseComponentList(' V....D libx264   libx264 H.264')]).toEqual(['libx264']);
  });
});

/** Filter names in a filtergraph: each chain element's name after its input labels (quotes and escapes respected). */
function filterNames(graph: string): string[] {
  const names: string[] = [];
  let element = '';
  let quoted = false;
  const flush = () => {
    const name = /^\s*(?:\[[^\]]*\]\s*)*([a-z0-9_]+)/.exec(element)?.[1];
    if (name) names.push(name);
    element = '';
  };
  for (let i = 0; i < graph.length; i++) {
    const c = graph[i]!;
    if (c === '\\') {
      element += c + (graph[++i] ?? '');
      continue;
    }
    if (c === "'") quoted = !quoted;
    if (!quoted && (c === ',' || c === ';')) flush();
    else element += c;
  }
  flush();
  return names;
}

describe('the required list covers the code', () => {
  it('every filter in every graph the media room builds is required', () => {
    const conform = { width: 320, height: 180, fps: 24, fit: 'pad' as const, sar: '4:3', frames: 24 };
    const entries = [
      { frames: 24, transition: { type: 'cut' as const, seconds: 0 } },
      ...TRANSITIONS.map((type) => ({ frames: 24, transition: { type, seconds: 0.25 } })),
      { frames: 24, transition: { type: 'cut' as const, seconds: 0 } },
    ];
    const graphs = [
      conformFilters(conform),
      conformFilters({ ...conform, fit: 'crop' }),
      normalizeGraph({ hasAudio: true, videoOffsetS: 0.04 }, conform),
      normalizeGraph({ hasAudio: false, videoOffsetS: 0 }, conform),
      transitionVideoGraph(
        entries,
        entries.map((e) => (e.transition.type === 'cut' ? 0 : 6)),
        { even: 0, odd: 1 },
        24,
      ),
      sequenceVideoGraph(0, 24),
      exactAudioGraph(
        [
          { input: 0, seconds: 1 },
          { input: null, seconds: 1 },
          { input: 2, seconds: 1 },
        ],
        { crossfades: [0, 0.25, 0] },
      ),
      narrationGraph(
        [
          { input: 3, seconds: 1, cut: true },
          { input: null, seconds: 1, cut: false },
        ],
        'narr',
      ),
      soundtrackChain({ input: 4, volumeDb: -6, duck: true, fadeInSeconds: 1, fadeOutSeconds: 1 }, 10),
      mixGraph({ narration: true, soundtrack: { duck: true } }),
      mixGraph({ narration: false, soundtrack: { duck: false } }),
      mixGraph({ narration: false, soundtrack: false }),
      loudnessMeterChain('/tmp/m.txt'),
      loudnessApplyChain({ mode: 'limited', gainDb: 3, limitLinear: 0.9 }),
      loudnessApplyChain({ mode: 'linear', gainDb: 3 }),
      burnChain('/tmp/c.ass', 'vbase'),
      cardGraph(
        { width: 320, height: 180, fps: 24, seconds: 2, color: 0x102030, toneHz: 440, title: 't', body: 'b' },
        { title: '/t', body: '/b' },
        { first: 2, last: 3 },
      ),
      sheetGraph(4, { cols: 2, rows: 2, tileWidth: 160, tileHeight: 90 }),
      trimGraph(12, '0.5', true),
      trimGraph(12, '0.5', false),
      fitGraph(120, 24, 1, true),
      fitGraph(120, 24, 0, false),
      `[0:v]${DETECTORS.video},metadata=mode=print[v];[0:a]${DETECTORS.audio},ametadata=mode=print[a]`,
      `[0:v]trim=end_frame=12,setpts=PTS-STARTPTS,${DETECTORS.window},metadata=mode=print[w0];[w0]concat=n=1:v=1:a=0[v]`,
      // lavfi sources written inline (render-card, placeholder, the house reference): color, sine, anullsrc.
      'color=c=black:s=320x180:r=24:d=1;sine=frequency=440:sample_rate=48000:duration=1;anullsrc=r=48000:cl=stereo:d=1',
    ];
    const used = new Set(graphs.flatMap(filterNames));
    expect(used.size).toBeGreaterThan(30);
    expect([...used].filter((f) => !(f in REQUIRED.filter)).sort()).toEqual([]);
  });
});
