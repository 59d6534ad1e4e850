/**
 * Assembly speed, measured side by side in one run (median of 3, runs interleaved so load noise hits all alike):
 *
 *   fast path   storyreel assemble() (probe 24 clips, decide, ffconcat video copy + exact-length audio, chapters,
 *               caption track, faststart)  vs  the bare ffmpeg command doing the same work (the reference "H2"
 *               command, lists and graph written by hand)  vs  `cat` of the same files (I/O floor, reported)
 *   transitions storyreel assemble() with a 0.5 s crossfade at every boundary  vs  the bare xfade+acrossfade
 *               command with exact per-clip audio ("c2"), same encoder settings
 *
 *   verified    storyreel assemble() with the verification the assembly activity runs (a stream copy: container,
 *               frames per scene, keyframes, and a decode of a sixth of a second after every join) vs the bare H2
 *               command (goal ≤ 2×), side by side with the same assembly plus a full decode of every frame
 *
 * plus the A/V error at every scene start of the fast-path output (beep onset − colour cut), frame counts, the
 * cost of stills (not part of the bare commands), and peak RSS of this process (the worker's share: media streams
 * through ffmpeg) and of the ffmpeg children.
 *
 *   node --import tsx bench/assembly.ts [--clips 24] [--runs 3] [--skip-transitions]
 *
 * Clips (1280x720, 24 fps, 4-8 s, H.264/AAC in the house encode; testsrc2 + a colour patch + a beep) are generated
 * once into $TMPDIR/storyreel-bench-assembly-v1 and reused.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { assemble, type AssemblyInput } from '../src/media/assemble.js';
import { HOUSE_AUDIO_ARGS, houseVideoArgs } from '../src/media/house.js';
import { verifyVideo, type Verification } from '../src/media/verify.js';
import { avOffsets, genClip } from '../test/helpers/av.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    clips: { type: 'string', default: '24' },
    runs: { type: 'string', default: '3' },
    'skip-transitions': { type: 'boolean', default: false },
  },
});
const N = Number(values.clips);
const RUNS = Number(values.runs);
const FPS = 24;
const W = 1280;
const H = 720;
const T = 0.5;

const seconds = Array.from({ length: N }, (_, i) => 4 + (i % 5)); // 4,5,6,7,8,4,... (6 s mean)
const colors = Array.from({ length: N }, (_, i) => hsv((i * 137.5) % 360)); // distinct neighbours, independent of N
const dir = join(tmpdir(), 'storyreel-bench-assembly-v1');
const work = join(tmpdir(), `storyreel-bench-assembly-run-${process.pid}`);
const clipPath = (i: number) => join(dir, `clip${String(i).padStart(2, '0')}-${seconds[i]}s.mp4`);

function hsv(h: number): number {
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (1 - Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return (f(5) << 16) | (f(3) << 8) | f(1);
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Peak RSS (MB) of this process and of its child processes while `fn` runs, sampled every 25 ms from /proc. Children
 * are read from /proc/self/task/<tid>/children (not by scanning every process on the machine), so the sampler's
 * own CPU stays out of the CPU figures.
 */
async function withRss<T>(fn: () => Promise<T>): Promise<{ value: T; selfMb: number; childMb: number }> {
  let self = 0;
  let child = 0;
  const sample = async () => {
    self = Math.max(self, process.memoryUsage.rss());
    const tids = await readdir('/proc/self/task').catch(() => [] as string[]);
    const pids = (await Promise.all(tids.map((t) => readFile(`/proc/self/task/${t}/children`, 'utf8').catch(() => '')))).flatMap((l) =>
      l.split(' ').filter(Boolean),
    );
    let sum = 0;
    for (const pid of pids) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      sum += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024;
    }
    child = Math.max(child, sum);
  };
  const timer = setInterval(() => void sample(), 25);
  try {
    const value = await fn();
    await sample();
    return { value, selfMb: self / 2 ** 20, childMb: child / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * CPU seconds used so far by this process and every child it waited for (ffmpeg, ffprobe): utime, stime, cutime and
 * cstime of /proc/self/stat. Unlike wall time it does not grow when other work shares the machine.
 */
async function cpuSeconds(): Promise<number> {
  const fields = (await readFile('/proc/self/stat', 'utf8')).replace(/^.*\) /, '').split(' ');
  // After "pid (comm) ", field 3 is state; utime..cstime are fields 14..17 of the full line (11..14 here, 0-based).
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

async function generate(): Promise<void> {
  await mkdir(dir, { recursive: true });
  const missing = seconds.map((_, i) => i).filter((i) => !existsSync(clipPath(i)));
  if (!missing.length) return;
  console.error(`generating ${missing.length} clips (${W}x${H}, ${FPS} fps) into ${dir} ...`);
  for (let k = 0; k < missing.length; k += 2) {
    await Promise.all(
      missing.slice(k, k + 2).map(async (i) => {
        const tmp = `${clipPath(i)}.part.mp4`;
        await genClip(tmp, { width: W, height: H, fps: FPS, seconds: seconds[i]!, color: colors[i]!, picture: 'testsrc2', audio: {} });
        await run('mv', [tmp, clipPath(i)]);
      }),
    );
  }
}

// ---- the bare commands, written the way the reference does (../shared/reference/ffmpeg.md §2.5) ----------------

const q = (p: string) => `'${p.replaceAll("'", "'\\''")}'`;
const f6 = (n: number) => n.toFixed(6);

async function bareSideFiles(out: string) {
  let t = 0;
  const chapters = [';FFMETADATA1', 'title=Bench'];
  const srt: string[] = [];
  seconds.forEach((d, i) => {
    chapters.push('[CHAPTER]', 'TIMEBASE=1/1000', `START=${Math.round(t * 1000)}`, `END=${Math.round((t + d) * 1000)}`, `title=Scene ${i}`);
    const ts = (s: number) => `${new Date(s * 1000).toISOString().slice(11, 19)},${String(Math.round((s % 1) * 1000)).padStart(3, '0')}`;
    srt.push(`${i + 1}\n${ts(t)} --> ${ts(t + d)}\nScene ${i} narration\n`);
    t += d;
  });
  await writeFile(join(out, 'chapters.ffmeta'), `${chapters.join('\n')}\n`);
  await writeFile(join(out, 'subs.srt'), srt.join('\n'));
}

async function bareCopy(out: string): Promise<string> {
  const list = [
    'ffconcat version 1.0',
    'stream',
    'exact_stream_id 0x1',
    ...seconds.flatMap((d, i) => [`file ${q(clipPath(i))}`, `duration ${f6(d)}`]),
  ].join('\n');
  await writeFile(join(out, 'vlist.ffconcat'), `${list}\n`);
  const graph =
    seconds.map((d, i) => `[${i + 1}:a]atrim=end=${d},apad=whole_dur=${d},asetpts=N/SR/TB[a${i}]`).join(';') +
    `;${seconds.map((_, i) => `[a${i}]`).join('')}concat=n=${N}:v=0:a=1[a]`;
  await writeFile(join(out, 'hybrid_graph.txt'), graph);
  const dest = join(out, 'bare-copy.mp4');
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    join(out, 'vlist.ffconcat'),
    ...seconds.flatMap((_, i) => ['-i', clipPath(i)]),
    '-i',
    join(out, 'chapters.ffmeta'),
    '-i',
    join(out, 'subs.srt'),
    '-filter_complex_script',
    join(out, 'hybrid_graph.txt'),
    '-map',
    '0:v',
    '-map',
    '[a]',
    '-map',
    `${N + 2}:s`,
    '-c:s',
    'mov_text',
    '-map_metadata',
    String(N + 1),
    '-map_chapters',
    String(N + 1),
    '-c:v',
    'copy',
    ...HOUSE_AUDIO_ARGS,
    '-movflags',
    '+faststart',
    dest,
  ]);
  return dest;
}

async function bareXfade(out: string): Promise<string> {
  const parts = seconds.map((d, i) => `[${i}:a]atrim=end=${d},apad=whole_dur=${d},asetpts=N/SR/TB[b${i}]`);
  let acc = 0;
  let vPrev = '0:v';
  let aPrev = 'b0';
  for (let i = 1; i < N; i++) {
    acc += seconds[i - 1]!;
    const v = i === N - 1 ? 'v' : `v${i}`;
    const a = i === N - 1 ? 'a' : `x${i}`;
    parts.push(
      `[${vPrev}][${i}:v]xfade=transition=fade:duration=${T}:offset=${f6(acc - i * T)}[${v}]`,
      `[${aPrev}][b${i}]acrossfade=d=${T}:c1=tri:c2=tri[${a}]`,
    );
    vPrev = v;
    aPrev = a;
  }
  await writeFile(join(out, 'xfade_graph.txt'), parts.join(';\n'));
  const dest = join(out, 'bare-xfade.mp4');
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...seconds.flatMap((_, i) => ['-i', clipPath(i)]),
    '-i',
    join(out, 'chapters.ffmeta'),
    '-i',
    join(out, 'subs.srt'),
    '-filter_complex_script',
    join(out, 'xfade_graph.txt'),
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-map',
    `${N + 1}:s`,
    '-c:s',
    'mov_text',
    '-map_metadata',
    String(N),
    '-map_chapters',
    String(N),
    ...houseVideoArgs(FPS),
    ...HOUSE_AUDIO_ARGS,
    '-movflags',
    '+faststart',
    dest,
  ]);
  return dest;
}

async function cat(out: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', 'cat "$@" > "$0"', join(out, 'cat.bin'), ...seconds.map((_, i) => clipPath(i))], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cat exited ${code}`))));
  });
}

/** The verify hook of activities/assembly.ts: joins for a stream copy, every frame otherwise. Records its CPU seconds. */
function verified(input: AssemblyInput, into: (Verification & { cpuS: number })[]): AssemblyInput {
  return {
    ...input,
    verify: async (tmp, timing, onProgress) => {
      const c0 = await cpuSeconds();
      const v = await verifyVideo(tmp, timing.expectation, { onProgress, decode: timing.method === 'copy' ? 'joins' : 'full' });
      into.push({ ...v, cpuS: (await cpuSeconds()) - c0 });
      if (!v.ok) throw new Error(`verification failed: ${v.problems.join('; ')}`);
    },
  };
}

function ours(out: string, transitions: boolean, extras = false): AssemblyInput {
  return {
    clips: seconds.map((_, i) => ({
      sceneId: `s${i}`,
      title: `Scene ${i}`,
      path: clipPath(i),
      transition: transitions && i > 0 ? { type: 'crossfade', seconds: T } : { type: 'cut', seconds: 0 },
      narration: `Scene ${i} narration`,
    })),
    house: { width: W, height: H, fps: FPS, sampleRate: 48000, channels: 2 },
    fit: 'pad',
    title: 'Bench',
    chapters: true,
    captions: true,
    poster: extras,
    contactSheet: extras,
    output: join(out, transitions ? 'ours-xfade.mp4' : 'ours-copy.mp4'),
    workDir: join(out, 'scratch'),
  };
}

async function frames(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_packets',
    '-show_entries',
    'stream=nb_read_packets',
    '-of',
    'csv=p=0',
    path,
  ]);
  return Number(stdout.trim());
}

// ---- run ---------------------------------------------------------------------------------------------------------

await generate();
await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });
await bareSideFiles(work);
const totalS = seconds.reduce((a, b) => a + b, 0);
// Warm the page cache and ffmpeg's shared libraries.
await cat(work);
await bareCopy(work);

const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
const times: Record<string, number[]> = { cat: [], bareCopy: [], oursCopy: [], oursVerified: [], bareXfade: [], oursXfade: [] };
const joinChecks: (Verification & { cpuS: number })[] = [];
const rss: Record<string, { selfMb: number; childMb: number }> = {};
let steps: Record<string, number> = {};
let stepsXfade: Record<string, number> = {};
const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(times).map((k) => [k, []]));
const timed = async (key: string, fn: () => Promise<unknown>) => {
  const t0 = process.hrtime.bigint();
  const c0 = await cpuSeconds();
  const r = await withRss(fn);
  times[key]!.push(ms(t0));
  cpu[key]!.push((await cpuSeconds()) - c0);
  rss[key] = { selfMb: Math.max(rss[key]?.selfMb ?? 0, r.selfMb), childMb: Math.max(rss[key]?.childMb ?? 0, r.childMb) };
  return r.value;
};
for (let k = 0; k < RUNS; k++) {
  await timed('cat', () => cat(work));
  await timed('bareCopy', () => bareCopy(work));
  const r = (await timed('oursCopy', () => assemble(ours(work, false)))) as Awaited<ReturnType<typeof assemble>>;
  steps = r.stepsMs;
  await timed('oursVerified', () => assemble(verified(ours(join(work, 'verified'), false), joinChecks)));
  if (!values['skip-transitions']) {
    await timed('bareXfade', () => bareXfade(work));
    const x = (await timed('oursXfade', () => assemble(ours(work, true)))) as Awaited<ReturnType<typeof assemble>>;
    stepsXfade = x.stepsMs;
  }
  console.error(
    `run ${k + 1}/${RUNS}: ${Object.entries(times)
      .map(([n, v]) => `${n} ${(v.at(-1) ?? 0).toFixed(0)} ms`)
      .join(', ')}`,
  );
}

// Quality of the outputs and the cost of what the bare commands do not do.
const copyOut = join(work, 'ours-copy.mp4');
const sync = await avOffsets(copyOut, colors);
const bareSync = await avOffsets(join(work, 'bare-copy.mp4'), colors);
const maxErr = (s: typeof sync) => Math.max(...s.scenes.map((x) => Math.abs(x.offsetMs ?? Number.POSITIVE_INFINITY)));
const v0 = process.hrtime.bigint();
const verification = await verifyVideo(copyOut, {
  width: W,
  height: H,
  fps: FPS,
  frames: totalS * FPS,
  chapters: N,
  subtitles: 1,
  boundaries: seconds.slice(1).map((_, i) => ({ atS: seconds.slice(0, i + 1).reduce((a, b) => a + b, 0), transitionS: 0 })),
});
const verifyMs = ms(v0);
const joinCheck = joinChecks.at(-1)!;
const full = await withRss(() => assemble(ours(join(work, 'full'), false, true)));
const fullSteps = full.value.stepsMs;

const m = (k: string) => median(times[k]!);
const rows: [string, string, string, string][] = [
  [`\`cat\` of the ${N} clips (I/O floor)`, (m('cat') / 1000).toFixed(3), `${(m('oursCopy') / m('cat')).toFixed(1)}× (ours / cat)`, '–'],
  [
    'bare H2 command (video copy + exact audio, chapters, captions, faststart)',
    (m('bareCopy') / 1000).toFixed(3),
    '1.00',
    `${maxErr(bareSync).toFixed(2)} ms`,
  ],
  [
    '**storyreel fast path** (assemble(): probe + decide + the same command)',
    (m('oursCopy') / 1000).toFixed(3),
    `**${(m('oursCopy') / m('bareCopy')).toFixed(2)}×** bare H2`,
    `${maxErr(sync).toFixed(2)} ms`,
  ],
];
rows.push(
  [
    '**storyreel fast path + verification** (joins: container, frames per scene, a decode of 1/6 s after each join)',
    (m('oursVerified') / 1000).toFixed(3),
    `**${(m('oursVerified') / m('bareCopy')).toFixed(2)}×** bare H2 (goal ≤ 2×)`,
    '–',
  ],
  [
    'storyreel fast path + a full decode of every frame (the verification before)',
    ((m('oursCopy') + verifyMs) / 1000).toFixed(3),
    `${((m('oursCopy') + verifyMs) / m('bareCopy')).toFixed(2)}× bare H2`,
    '–',
  ],
);
if (!values['skip-transitions']) {
  rows.push(
    ['bare xfade + acrossfade command, exact per-clip audio (c2)', (m('bareXfade') / 1000).toFixed(3), '1.00', '–'],
    [
      '**storyreel transitions path** (assemble(), crossfade 0.5 s ×23)',
      (m('oursXfade') / 1000).toFixed(3),
      `**${(m('oursXfade') / m('bareXfade')).toFixed(2)}×** bare xfade`,
      '–',
    ],
  );
}
const expectedXfadeFrames = totalS * FPS - (N - 1) * T * FPS;
const lines = [
  `${N} clips, ${W}x${H} ${FPS} fps, ${totalS} s of video; median of ${RUNS} runs; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${(await run('ffmpeg', ['-version'])).stdout.split('\n')[0]}; load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
  '',
  '| method | median s | ratio | max A/V error over scene starts |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  `runs (ms): ${Object.entries(times)
    .filter(([, v]) => v.length)
    .map(([n, v]) => `${n} ${v.map((x) => x.toFixed(0)).join('/')}`)
    .join('; ')}`,
  `CPU seconds (this process + ffmpeg/ffprobe children, median): ${Object.entries(cpu)
    .filter(([, v]) => v.length)
    .map(([n, v]) => `${n} ${median(v).toFixed(2)}`)
    .join('; ')}; fast path + verification = ${(median(cpu.oursVerified!) / median(cpu.bareCopy!)).toFixed(2)}× bare H2 in CPU`,
  `fast path steps (ms, last run): ${JSON.stringify(steps)}`,
  ...(values['skip-transitions'] ? [] : [`transitions steps (ms, last run): ${JSON.stringify(stepsXfade)}`]),
  `frames: fast path ${await frames(copyOut)} (planned ${totalS * FPS}), bare H2 ${await frames(join(work, 'bare-copy.mp4'))}` +
    (values['skip-transitions']
      ? ''
      : `, transitions ${await frames(join(work, 'ours-xfade.mp4'))} and bare xfade ${await frames(join(work, 'bare-xfade.mp4'))} (planned ${expectedXfadeFrames})`),
  `verification of the fast-path output, joins (median of ${joinChecks.length}): ${(median(joinChecks.map((j) => j.tookMs)) / 1000).toFixed(3)} s, ` +
    `${median(joinChecks.map((j) => j.cpuS)).toFixed(2)} CPU s, ok=${joinChecks.every((j) => j.ok)}, ${joinCheck.segments?.length ?? 0} scenes checked; ` +
    `full decode (probe, packets, moov, every frame with black/freeze/silence detection): ${(verifyMs / 1000).toFixed(3)} s, ok=${verification.ok}${verification.problems.length ? ` (${verification.problems.join('; ')})` : ''}`,
  `fast path with poster + contact sheet (ms): ${JSON.stringify(fullSteps)}`,
  `peak RSS, this process (MB): before the runs ${rssBeforeMb.toFixed(0)}; during ${Object.entries(rss)
    .map(([n, r]) => `${n} ${r.selfMb.toFixed(0)}`)
    .join(
      ', ',
    )}; process maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} (includes the A/V analysis, which holds decoded PCM)`,
  `peak RSS, ffmpeg children (MB): ${Object.entries(rss)
    .map(([n, r]) => `${n} ${r.childMb.toFixed(0)}`)
    .join(', ')}`,
];
console.log(lines.join('\n'));
await rm(work, { recursive: true, force: true });
