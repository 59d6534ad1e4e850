/**
 * Batch throughput: 200 storyboards × 5 scenes (1,000 scenes) through the local provider in instant mode, as one
 * produceBatch, against the floor of 1,000 no-op activities on the same server in the same run at the same
 * parallelism. Also worker peak RSS and the batch's continue-as-new runs.
 *
 *   npm run bench:batch [-- --items 200 --scenes 5 --parallel 10]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ms, openBench } from './harness.js';
import { batchWorkflowId } from '../src/contracts/names.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '200' },
    scenes: { type: 'string', default: '5' },
    parallel: { type: 'string', default: '10' },
  },
});
const ITEMS = Number(values.items);
const SCENES = Number(values.scenes);
const P = Number(values.parallel);

const bench = await openBench();
const { stop } = await bench.startWorker({ maxConcurrentActivities: 64 });
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);

const dir = join(bench.workDir, 'batch');
await mkdir(join(dir, 'stories'), { recursive: true });
for (let i = 0; i < ITEMS; i++) {
  await writeFile(
    join(dir, 'stories', `story-${String(i).padStart(4, '0')}.yaml`),
    stringify({
      title: `Item ${i}`,
      defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: SCENES },
      output: { captions: false, poster: false, contactSheet: false, chapters: false },
      providers: { local: { render: 'instant', pollIntervalMs: 20 } },
      scenes: Array.from({ length: SCENES }, (_, k) => ({ id: `s${k + 1}`, prompt: `item ${i} scene ${k + 1}` })),
    }),
  );
}
await writeFile(
  join(dir, 'batch.yaml'),
  stringify({ batch: 'bench', maxParallelProductions: P, priority: 'normal', items: [{ dir: 'stories' }] }),
);

// Warm-up: the instant template and the workflow cache.
await writeFile(
  join(dir, 'warm.yaml'),
  stringify({ batch: 'warm', maxParallelProductions: 2, items: [{ storyboard: 'stories/story-0000.yaml', id: 'w0' }] }),
);
await bench.client.submitBatch(join(dir, 'warm.yaml'));
await bench.client.batchResult('warm');

const t0 = process.hrtime.bigint();
await bench.client.submitBatch(join(dir, 'batch.yaml'));
const summary = await bench.client.batchResult('bench');
const batchMs = ms(t0);

const t1 = process.hrtime.bigint();
await bench.temporal.workflow.execute('benchNoopActivities', {
  taskQueue: bench.taskQueue,
  workflowId: `noop-${Date.now()}`,
  args: [ITEMS * SCENES, P * SCENES],
});
const floorMs = ms(t1);
clearInterval(sampler);

let runs = 0;
for await (const _ of bench.temporal.workflow.list({ query: `WorkflowId = '${batchWorkflowId('bench')}'` })) runs++;

const scenes = ITEMS * SCENES;
const row = (k: string, v: string) => console.log(`${k.padEnd(46)} ${v}`);
console.log(
  `\nbatch benchmark: ${ITEMS} storyboards × ${SCENES} scenes = ${scenes} scenes, ${P} productions at once, local provider (instant)\n`,
);
row('batch wall time', `${(batchMs / 1000).toFixed(1)} s  (${JSON.stringify(summary.counts)})`);
row('scenes per second', (scenes / (batchMs / 1000)).toFixed(1));
row('per scene (wall / scenes)', `${(batchMs / scenes).toFixed(1)} ms`);
row(`floor: ${scenes} no-op activities, ${P * SCENES} at once`, `${floorMs.toFixed(0)} ms = ${(floorMs / scenes).toFixed(2)} ms each`);
row(
  'orchestration + media per scene above the floor',
  `${((batchMs - floorMs) / scenes).toFixed(1)} ms (ratio ${(batchMs / floorMs).toFixed(1)}×)`,
);
row('batch runs (continue-as-new)', String(runs));
row('worker process peak RSS', `${(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1e6).toFixed(0)} MB`);

await stop();
await bench.close();
process.exit(0);
