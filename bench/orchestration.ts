/**
 * Orchestration overhead: N scenes through the local provider in instant mode (a pre-rendered clip is copied, so
 * no rendering is measured), against the floor of N no-op activities — and of N no-op child workflows with the
 * same number of activities per scene — on the same server, in the same run, at the same parallelism.
 *
 *   npm run bench:orchestration [-- --scenes 50 --parallel 8]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { activityTimes, ms, openBench } from './harness.js';

const { values } = parseArgs({ options: { scenes: { type: 'string', default: '50' }, parallel: { type: 'string', default: '8' } } });
const N = Number(values.scenes);
const P = Number(values.parallel);

const bench = await openBench();
const { stop } = await bench.startWorker();

async function production(id: string, scenes: number): Promise<{ totalMs: number; assemblyMs: number; activities: number }> {
  const dir = join(bench.workDir, id);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'sb.yaml');
  await writeFile(
    file,
    stringify({
      title: id,
      defaults: { provider: 'local', size: '320x180', fps: 24, seconds: 1, maxParallelScenes: P },
      output: { captions: false },
      providers: { local: { render: 'instant', pollIntervalMs: 10 } },
      scenes: Array.from({ length: scenes }, (_, i) => ({ id: `s${i}`, prompt: `${id} scene ${i}` })),
    }),
  );
  const { plan } = await bench.client.plan(file, { productionId: id });
  const t0 = process.hrtime.bigint();
  await bench.client.submit(plan);
  await bench.client.result(id);
  const totalMs = ms(t0);
  const times = await activityTimes(bench.temporal, id);
  let activities = 0;
  for await (const w of bench.temporal.workflow.list({ query: `WorkflowId STARTS_WITH '${id}/'` })) {
    const h = await bench.temporal.workflow.getHandle(w.workflowId).fetchHistory();
    activities += (h.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
  }
  return { totalMs, assemblyMs: (times.get('assembleVideo') ?? 0) + (times.get('writeManifest') ?? 0), activities };
}

async function noopActivities(n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await bench.temporal.workflow.execute('benchNoopActivities', {
    taskQueue: bench.taskQueue,
    workflowId: `noop-${n}-${Date.now()}`,
    args: [n, P],
  });
  return ms(t0);
}

async function noopChildren(n: number, perChild: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await bench.temporal.workflow.execute('benchNoopChildren', {
    taskQueue: bench.taskQueue,
    workflowId: `noopc-${n}-${Date.now()}`,
    args: [n, P, perChild],
  });
  return ms(t0);
}

// Warm-up: the instant template, the workflow cache, the connection.
await production('warmup', 4);
await noopActivities(20);

const prod = await production('orchestration', N);
const perScene = prod.activities / N;
const floorActs = await noopActivities(N);
const floorChildren = await noopChildren(N, Math.round(perScene));
const sceneMs = prod.totalMs - prod.assemblyMs;

const row = (k: string, v: string) => console.log(`${k.padEnd(48)} ${v}`);
console.log(`\norchestration benchmark: ${N} scenes, parallel ${P}, local provider (instant), one dev server, one worker\n`);
row('production wall time', `${prod.totalMs.toFixed(0)} ms`);
row('  of which assembly + manifest', `${prod.assemblyMs.toFixed(0)} ms`);
row('  scenes (wall minus assembly)', `${sceneMs.toFixed(0)} ms = ${(sceneMs / N).toFixed(1)} ms per scene`);
row('  activities per scene', perScene.toFixed(1));
row(`floor: ${N} no-op activities`, `${floorActs.toFixed(0)} ms = ${(floorActs / N).toFixed(1)} ms each`);
row(
  `floor: ${N} no-op child workflows × ${Math.round(perScene)} activities`,
  `${floorChildren.toFixed(0)} ms = ${(floorChildren / N).toFixed(1)} ms each`,
);
row('per-scene overhead vs no-op activity', `${((sceneMs - floorActs) / N).toFixed(1)} ms  (ratio ${(sceneMs / floorActs).toFixed(2)}×)`);
row(
  'per-scene overhead vs same-shape no-op child',
  `${((sceneMs - floorChildren) / N).toFixed(1)} ms  (ratio ${(sceneMs / floorChildren).toFixed(2)}×)`,
);

await stop();
await bench.close();
process.exit(0);
