/**
 * Records the workflow histories the determinism guard replays (test/workflows/replay.test.ts).
 * Run after a deliberate, compatible workflow change — or when a change is meant to break running
 * productions (then also version it with patched()):
 *
 *   node --import tsx scripts/record-histories.ts
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openBench } from '../bench/harness.js';

const OUT = new URL('../test/fixtures/histories/', import.meta.url);
const bench = await openBench();
const { stop } = await bench.startWorker();

async function produce(name: string, sb: Record<string, unknown>, steer?: (id: string) => Promise<void>) {
  const dir = join(bench.workDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sb.yaml'), stringify(sb));
  const { plan } = await bench.client.plan(join(dir, 'sb.yaml'), { productionId: name });
  await bench.client.submit(plan);
  await steer?.(name);
  await bench.client.result(name).catch(() => undefined);
  const ids = [name];
  for await (const w of bench.temporal.workflow.list({ query: `WorkflowId STARTS_WITH '${name}/'` })) ids.push(w.workflowId);
  for (const id of ids) {
    const history = await bench.temporal.workflow.getHandle(id).fetchHistory();
    await writeFile(new URL(`${id.replaceAll('/', '__')}.json`, OUT), historyToJSON(history));
  }
  console.log(`${name}: ${ids.length} histories`);
}

const until = async (id: string, pred: (p: Awaited<ReturnType<typeof bench.client.status>>) => boolean) => {
  for (;;) {
    const p = await bench.client.status(id);
    if (pred(p)) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
};

await mkdir(OUT, { recursive: true });
await produce('replay-chain', {
  title: 'Replay chain',
  defaults: { provider: 'local', size: '320x180', seconds: 1 },
  providers: { local: { pollIntervalMs: 50, latencyMs: 300, faults: [{ scene: 'b', on: 'job', kind: 'job_failed', times: 1 }] } },
  scenes: [
    { id: 'a', prompt: 'first' },
    { id: 'b', prompt: 'second', continuity: 'chain', transition: 'crossfade' },
    { id: 'c', prompt: 'third' },
  ],
});
await produce(
  'replay-operator',
  {
    title: 'Replay operator',
    defaults: { provider: 'local', size: '320x180', seconds: 1 },
    operator: { waitSeconds: 300 },
    review: { scenes: ['c'] },
    budget: { maxUsd: 5 },
    providers: {
      local: {
        pollIntervalMs: 50,
        faults: [
          { scene: 'a', on: 'job', kind: 'content_policy', times: 1 },
          { scene: 'b', on: 'submit', kind: 'invalid_request', times: 0 },
        ],
      },
    },
    scenes: [
      { id: 'a', prompt: 'retry me' },
      { id: 'b', prompt: 'skip me' },
      { id: 'c', prompt: 'review me' },
    ],
  },
  async (id) => {
    await until(id, (p) => p.scenes[0]!.state === 'failed' && p.scenes[1]!.state === 'failed' && p.scenes[2]!.state === 'awaiting_review');
    await bench.client.decide(id, { sceneId: 'a', action: 'retry', prompt: 'retried' });
    await bench.client.decide(id, { sceneId: 'b', action: 'skip' });
    await bench.client.review(id, { sceneId: 'c', decision: 'reject', note: 'brighter' });
    await until(id, (p) => p.scenes[2]!.state === 'awaiting_review' && p.scenes[2]!.take === 2);
    await bench.client.review(id, { sceneId: 'c', decision: 'approve' });
  },
);
// A small batch: one good item, one invalid item.
{
  const dir = join(bench.workDir, 'replay-batch');
  await mkdir(join(dir, 'stories'), { recursive: true });
  await writeFile(
    join(dir, 'stories', 'good.yaml'),
    stringify({
      title: 'Good',
      defaults: { provider: 'local', size: '160x90', seconds: 1 },
      providers: { local: { pollIntervalMs: 50 } },
      scenes: [{ id: 'a', prompt: 'batch good' }],
    }),
  );
  await writeFile(join(dir, 'stories', 'bad.yaml'), stringify({ title: 'Bad', scenes: [{ id: 'a', prompt: 'x', secnds: 1 }] }));
  await writeFile(join(dir, 'batch.yaml'), stringify({ batch: 'replay-batch', maxParallelProductions: 2, items: [{ dir: 'stories' }] }));
  await bench.client.submitBatch(join(dir, 'batch.yaml'));
  await bench.client.batchResult('replay-batch');
  for (const id of ['batch-replay-batch', 'replay-batch--good']) {
    const history = await bench.temporal.workflow.getHandle(id).fetchHistory();
    await writeFile(new URL(`${id}.json`, OUT), historyToJSON(history));
  }
  console.log('replay-batch: 2 histories');
}

await stop();
await bench.close();
process.exit(0);
