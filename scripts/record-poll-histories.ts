/**
 * Records the histories of the wait loop's sleeps and provider callbacks (issue 11 item 6, issue 14 item 6) for the
 * determinism guard (test/workflows/replay.test.ts). Like record-histories.ts, it never overwrites a history: a
 * scenario already recorded is skipped and files are written with O_EXCL:
 *
 *   node --import tsx scripts/record-poll-histories.ts
 *
 * - replay-sleep: polls every 1.5 s with each await call capped at 1 s, so the scene sleeps on timers;
 * - replay-callback: polls every 30 s, so it sleeps; a callback for another job is ignored, one for its job wakes it;
 * - replay-callback-await: polls inside the await activity; a callback while it runs cancels it and polls at once.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openBench } from '../bench/harness.js';
import { jobCallbackSignal } from '../workflows/definitions.js';

const OUT = new URL('../test/fixtures/histories/', import.meta.url);
const bench = await openBench();
const { stop } = await bench.startWorker();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const recorded = (name: string) => existsSync(new URL(`${name}.json`, OUT));
const save = (id: string, json: string) => writeFile(new URL(`${id.replaceAll('/', '__')}.json`, OUT), json, { flag: 'wx' });

async function produce(name: string, local: Record<string, unknown>, steer?: (id: string) => Promise<void>) {
  if (recorded(name)) return console.log(`${name}: recorded already: skipped`);
  const dir = join(bench.workDir, name);
  await mkdir(dir, { recursive: true });
  const sb = {
    title: name,
    defaults: { provider: 'local', size: '160x90', seconds: 1 },
    providers: { local },
    scenes: [{ id: 'a', prompt: name }],
  };
  await writeFile(join(dir, 'sb.yaml'), stringify(sb));
  const { plan } = await bench.client.plan(join(dir, 'sb.yaml'), { productionId: name });
  await bench.client.submit(plan, { timeouts: { awaitS: 1 } });
  await steer?.(name);
  await bench.client.result(name);
  for (const id of [name, `${name}/scene/a`]) {
    const history = await bench.temporal.workflow.getHandle(id).fetchHistory();
    await save(id, historyToJSON(history));
  }
  console.log(`${name}: 2 histories`);
}

async function jobOf(id: string): Promise<string> {
  for (;;) {
    const jobId = (await bench.client.status(id)).scenes[0]?.jobId;
    if (jobId) return jobId;
    await sleep(100);
  }
}

const callback = (id: string, jobId: string) =>
  bench.temporal.workflow.getHandle(`${id}/scene/a`).signal(jobCallbackSignal, { provider: 'local', jobId, status: 'completed' });

await produce('replay-sleep', { pollIntervalMs: 1500, latencyMs: 4000 });
await produce('replay-callback', { pollIntervalMs: 30_000, latencyMs: 2000 }, async (id) => {
  const jobId = await jobOf(id);
  await sleep(1000);
  await callback(id, 'another-job');
  await sleep(2000);
  await callback(id, jobId);
});
// Polled inside the activity (250 ms hint, await calls of up to 60 s): the callback arrives while it runs.
await (async () => {
  const name = 'replay-callback-await';
  if (recorded(name)) return console.log(`${name}: recorded already: skipped`);
  const dir = join(bench.workDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'sb.yaml'),
    stringify({
      title: name,
      defaults: { provider: 'local', size: '160x90', seconds: 1 },
      providers: { local: { latencyMs: 4000 } },
      scenes: [{ id: 'a', prompt: name }],
    }),
  );
  const { plan } = await bench.client.plan(join(dir, 'sb.yaml'), { productionId: name });
  await bench.client.submit(plan);
  const jobId = await jobOf(name);
  await sleep(1500);
  await callback(name, jobId);
  await bench.client.result(name);
  for (const id of [name, `${name}/scene/a`]) {
    const history = await bench.temporal.workflow.getHandle(id).fetchHistory();
    await save(id, historyToJSON(history));
  }
  console.log(`${name}: 2 histories`);
})();

await stop();
await bench.close();
process.exit(0);
