/**
 * Chain hand-off on a real server: how long a chained scene waits between its predecessor's job ending at the
 * provider and its own job being created, and what a production of chains takes against the ideal.
 *
 * The shape of issue 10 (3 single scenes + 3 chains of 3, every job 6 s, 4 at once) through the local provider
 * (instant render, latencyMs 6000, so every job ends exactly 6 s after its create), one dev server and one worker.
 * Job times come from the provider's own job files (created at, ended at created + latency); the steps in between
 * from the workflows' histories. Side by side, in the same run: the floor of a hand-off on this server (a child
 * workflow closes, the parent starts the next, which runs its first activity).
 *
 *   npm run bench:handoff [-- --runs 3]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { sceneWorkflowId } from '../src/contracts/names.js';
import { localJobs, localProviderRoot, type LocalJob } from '../src/providers/local/provider.js';
import { activitySpans, ms, openBench } from './harness.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const JOB_MS = 6000;

const bench = await openBench();
const { stop } = await bench.startWorker();

async function jobsOf(productionId: string): Promise<Map<string, LocalJob>> {
  const jobs = await localJobs(localProviderRoot(bench.workDir));
  return new Map(jobs.filter((j) => j.clientRef.startsWith(`${productionId}:`)).map((j) => [j.clientRef.split(':')[1]!, j]));
}

/** When each activity type of a workflow was (last) scheduled and completed, and when the workflow started and closed. */
async function timeline(workflowId: string) {
  const { start, end, spans } = await activitySpans(bench.temporal, workflowId);
  return { start, end, acts: new Map(spans.map((s) => [s.type, s])) };
}

const STEPS = [
  'job end → awaitJob done',
  'awaitJob done → downloadClip scheduled',
  'downloadClip',
  'downloadClip done → child closed',
  'child closed → next child started',
  'child started → lookupClip done',
  'lookupClip done → prepareInputs done',
  'prepareInputs done → submitScene scheduled',
  'submitScene scheduled → job created',
];

async function production(id: string) {
  const dir = join(bench.workDir, id);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'sb.yaml');
  const chain = (c: string) => [
    { id: `${c}1`, prompt: `${id} ${c} one` },
    { id: `${c}2`, prompt: `${id} ${c} two`, continuity: 'chain' },
    { id: `${c}3`, prompt: `${id} ${c} three`, continuity: 'chain' },
  ];
  await writeFile(
    file,
    stringify({
      title: id,
      defaults: { provider: 'local', size: '320x180', fps: 24, seconds: 1, maxParallelScenes: 4 },
      output: { captions: false },
      providers: { local: { render: 'instant', latencyMs: JOB_MS } },
      scenes: [...['i1', 'i2', 'i3'].map((s) => ({ id: s, prompt: `${id} single ${s}` })), ...chain('a'), ...chain('b'), ...chain('c')],
    }),
  );
  const { plan } = await bench.client.plan(file, { productionId: id });
  await bench.client.submit(plan);
  await bench.client.result(id);
  const jobs = await jobsOf(id);
  const created = [...jobs.values()].map((j) => j.createdAt);
  const scenesMs = Math.max(...[...jobs.values()].map((j) => j.createdAt + j.latencyMs)) - Math.min(...created);
  const links: number[] = [];
  const steps = STEPS.map(() => [] as number[]);
  for (const c of ['a', 'b', 'c']) {
    for (const n of [2, 3]) {
      const pred = jobs.get(`${c}${n - 1}`)!;
      const succ = jobs.get(`${c}${n}`)!;
      const predEnd = pred.createdAt + pred.latencyMs;
      links.push(succ.createdAt - predEnd);
      const p = await timeline(sceneWorkflowId(id, `${c}${n - 1}`));
      const s = await timeline(sceneWorkflowId(id, `${c}${n}`));
      const awaited = p.acts.get('awaitJob')!.done;
      const dl = p.acts.get('downloadClip')!;
      const submit = s.acts.get('submitScene')!;
      const lookup = s.acts.get('lookupClip')!;
      const prepare = s.acts.get('prepareInputs') ?? lookup;
      [
        awaited - predEnd,
        dl.scheduled - awaited,
        dl.done - dl.scheduled,
        p.end - dl.done,
        s.start - p.end,
        lookup.done - s.start,
        prepare.done - lookup.done,
        submit.scheduled - prepare.done,
        succ.createdAt - submit.scheduled,
      ].forEach((v, i) => steps[i]!.push(v));
    }
  }
  return { scenesMs, links, steps };
}

/** The floor: sequential no-op children of one activity each; per child = one close → start → first activity. */
async function floor(n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await bench.temporal.workflow.execute('benchNoopChildren', {
    taskQueue: bench.taskQueue,
    workflowId: `handoff-floor-${Date.now()}`,
    args: [n, 1, 1],
  });
  return ms(t0) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await production('handoff-warmup');
await floor(5);
const runs: Awaited<ReturnType<typeof production>>[] = [];
const floors: number[] = [];
for (let r = 0; r < RUNS; r++) {
  runs.push(await production(`handoff-${r}`));
  floors.push(await floor(20));
}

const links = runs.flatMap((r) => r.links);
const idealMs = 3 * JOB_MS;
const row = (k: string, v: string) => console.log(`${k.padEnd(44)} ${v}`);
console.log(`\nchain hand-off: 3 singles + 3 chains of 3, ${JOB_MS / 1000} s jobs, 4 at once, ${RUNS} runs, one dev server, one worker\n`);
row('scenes (first create → last job end), median', `${(median(runs.map((r) => r.scenesMs)) / 1000).toFixed(2)} s`);
row('ideal (longest chain: 3 × 6 s)', `${(idealMs / 1000).toFixed(2)} s`);
row('ratio to ideal, median', `${(median(runs.map((r) => r.scenesMs)) / idealMs).toFixed(3)}×`);
row(
  'hand-off per link (job end → next create)',
  `median ${median(links).toFixed(0)} ms, max ${Math.max(...links).toFixed(0)} ms (${links.length} links)`,
);
row('floor: child close → next child → activity', `median ${median(floors).toFixed(0)} ms`);
row('hand-off / floor', `${(median(links) / median(floors)).toFixed(2)}×`);
console.log('\nwhere a hand-off goes (median ms over all links):');
STEPS.forEach((s, i) => row(`  ${s}`, median(runs.flatMap((r) => r.steps[i]!)).toFixed(0)));

await stop();
await bench.close();
process.exit(0);
