/**
 * Scheduling benchmark of the pure production core (src/production): the makespan of the scenes when every job
 * takes its scene's seconds, with storyboard order (FIFO, what productions did before patch critical-path-order)
 * and with critical-path order, side by side in one run, each as a ratio to the ideal: the larger of the longest
 * dependency path and the total work spread over the parallel cap (a lower bound no schedule beats).
 *
 * It measures the scheduling decision alone: no server, no hand-off latency between a job's end and the next
 * submit (bench/orchestration measures those).
 *
 *   npm run bench:schedule
 */
import { Production, type Launch } from '../src/production/production.js';
import { remainingPathSeconds, type SceneOrder } from '../src/production/schedule.js';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import { clipFor, productionPlan, type SceneSpec } from '../test/helpers/scene-plans.js';

/** Simulated time: start what the core hands out, advance to the next job end, tell the core, repeat. */
function makespan(plan: ProductionPlan, order: SceneOrder): number {
  let now = 0;
  const core = new Production(plan, { now: () => new Date(now * 1000).toISOString(), order });
  const running: { l: Launch; end: number }[] = [];
  for (;;) {
    for (const l of core.startable()) running.push({ l, end: now + l.scene.seconds });
    if (!running.length) break;
    running.sort((a, b) => a.end - b.end || a.l.scene.index - b.l.scene.index);
    const { l, end } = running.shift()!;
    now = end;
    core.rendered(l.sceneId, l.take, { clip: clipFor(l.scene), cached: false, attempts: [], costUsd: 0 });
    core.closed(l.sceneId);
  }
  if (core.scenes().some((e) => e.status.state !== 'ready')) throw new Error('a scene never ran');
  return now;
}

function ideal(plan: ProductionPlan): number {
  const longest = Math.max(...remainingPathSeconds(plan.scenes).values());
  const work = plan.scenes.reduce((t, s) => t + s.seconds, 0);
  return Math.max(longest, work / plan.maxParallelScenes);
}

const chain = (name: string, n: number, seconds: number): SceneSpec[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${name}${i + 1}`, seconds, ...(i ? { chainFrom: `${name}${i}` } : {}) }));
const singles = (name: string, n: number, seconds: number): SceneSpec[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${name}${i + 1}`, seconds }));

/** A reproducible pseudo-random DAG: each scene continues from one earlier scene with probability `p`. */
function randomDag(seed: number, n: number, p: number): SceneSpec[] {
  let x = seed;
  const rand = () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => {
    const seconds = 4 + Math.floor(rand() * 9);
    const parent = i > 0 && rand() < p ? Math.floor(rand() * i) : -1;
    return { id: `r${i}`, seconds, ...(parent >= 0 ? { dependsOn: [`r${parent}`] } : {}) };
  });
}

const shapes: { name: string; plan: ProductionPlan }[] = [
  {
    name: '3 singles + 3 chains of 3, 6 s jobs, cap 4 (issue 10)',
    plan: productionPlan([...singles('i', 3, 6), ...chain('a', 3, 6), ...chain('b', 3, 6), ...chain('c', 3, 6)], { maxParallelScenes: 4 }),
  },
  {
    name: '12 singles then a chain of 6, 6 s jobs, cap 4',
    plan: productionPlan([...singles('i', 12, 6), ...chain('a', 6, 6)], { maxParallelScenes: 4 }),
  },
  {
    name: 'chains of 2, 4 and 8 (4-12 s) after 8 singles, cap 3',
    plan: productionPlan([...singles('i', 8, 8), ...chain('a', 2, 4), ...chain('b', 4, 12), ...chain('c', 8, 6)], { maxParallelScenes: 3 }),
  },
];
const dags = Array.from({ length: 50 }, (_, k) => productionPlan(randomDag(k + 1, 30, 0.6), { maxParallelScenes: 4 }));

const rows = shapes.map(({ name, plan }) => {
  const best = ideal(plan);
  const fifo = makespan(plan, 'plan');
  const cp = makespan(plan, 'critical-path');
  return { name, best, fifo, cp };
});
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const dagRatios = dags.map((plan) => ({ fifo: makespan(plan, 'plan') / ideal(plan), cp: makespan(plan, 'critical-path') / ideal(plan) }));

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`| ${pad('shape', 56)} | ideal s | FIFO s | FIFO/ideal | critical path s | CP/ideal |`);
console.log(`| ${'-'.repeat(56)} | ------- | ------ | ---------- | --------------- | -------- |`);
for (const r of rows) {
  console.log(
    `| ${pad(r.name, 56)} | ${pad(r.best.toFixed(1), 7)} | ${pad(r.fifo.toFixed(1), 6)} | ${pad(`${(r.fifo / r.best).toFixed(2)}×`, 10)} | ${pad(r.cp.toFixed(1), 15)} | ${pad(`${(r.cp / r.best).toFixed(2)}×`, 8)} |`,
  );
}
console.log(
  `| ${pad('50 random DAGs of 30 scenes (4-12 s, 60% chained), cap 4', 56)} | ${pad('-', 7)} | ${pad('-', 6)} | ${pad(`${mean(dagRatios.map((d) => d.fifo)).toFixed(2)}× mean`, 10)} | ${pad('-', 15)} | ${pad(`${mean(dagRatios.map((d) => d.cp)).toFixed(2)}× mean`, 8)} |`,
);
console.log(
  `random DAGs: critical path better on ${dagRatios.filter((d) => d.cp < d.fifo - 1e-9).length}, equal on ${dagRatios.filter((d) => Math.abs(d.cp - d.fifo) < 1e-9).length}, worse on ${dagRatios.filter((d) => d.cp > d.fifo + 1e-9).length}; worst CP/ideal ${Math.max(...dagRatios.map((d) => d.cp)).toFixed(2)}×`,
);
