import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchSummary } from '../../workflows/definitions.js';
import { tempDir } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';
import { batchWorkflowId } from '../../src/contracts/names.js';

const ITEMS = Number(process.env.STORYREEL_BATCH_TEST_ITEMS ?? 60);

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker({ maxConcurrentActivities: 32 });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

function storyboard(i: number, extra: Record<string, unknown> = {}) {
  return {
    title: `Item ${i}`,
    defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 5 },
    output: { captions: false, poster: false, contactSheet: false },
    providers: { local: { render: 'instant', pollIntervalMs: 20 } },
    scenes: Array.from({ length: 5 }, (_, k) => ({ id: `s${k + 1}`, prompt: `item ${i} scene ${k + 1}` })),
    ...extra,
  };
}

describe('batch productions', () => {
  // The full 200 × 5 run is bench/batch.ts (same workflow, 1,000 scenes; results in docs/benchmarks.md).
  // Here: enough items for several continue-as-new runs under the suite's low threshold.
  it(`${ITEMS} storyboards × 5 scenes complete; the batch history stays bounded by continue-as-new; the summary is right`, async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'stories'));
    for (let i = 0; i < ITEMS; i++)
      await writeFile(join(dir, 'stories', `story-${String(i).padStart(3, '0')}.yaml`), stringify(storyboard(i)));
    const manifest = join(dir, 'batch.yaml');
    await writeFile(manifest, stringify({ batch: 'two-hundred', maxParallelProductions: 10, items: [{ dir: 'stories' }] }));

    const submitted = await tw.client.submitBatch(manifest);
    expect(submitted.items).toBe(ITEMS);
    const summary: BatchSummary = await tw.client.batchResult('two-hundred');
    console.log(`batch of ${ITEMS} × 5 scenes: ${JSON.stringify(summary.counts)}`);
    expect(summary.counts.completed).toBe(ITEMS);
    expect(summary.rows).toHaveLength(ITEMS);
    expect(summary.rows.every((r) => r.state === 'completed' && r.scenes.ready === 5 && r.outputPath && existsSync(r.outputPath))).toBe(
      true,
    );
    expect(new Set(summary.rows.map((r) => r.key)).size).toBe(ITEMS);
    expect(JSON.parse(await readFile(summary.summaryPath, 'utf8'))).toMatchObject({ batchId: 'two-hundred', total: ITEMS });

    // found through search attributes (the Web UI and `storyreel list` use the same)
    const listed = await tw.client.list({ batchId: 'two-hundred', state: 'completed' });
    expect(listed).toHaveLength(ITEMS);
    expect(await tw.client.list({ batchId: 'two-hundred', state: 'failed' })).toHaveLength(0);

    // continue-as-new: several runs, each with a bounded history
    const runs: { runId: string; status: string }[] = [];
    for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = '${batchWorkflowId('two-hundred')}'` }))
      runs.push({ runId: w.runId, status: w.status.name });
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.filter((r) => r.status === 'CONTINUED_AS_NEW').length).toBe(runs.length - 1);
    for (const r of runs) {
      const h = await tw.temporal.workflow.getHandle(batchWorkflowId('two-hundred'), r.runId).fetchHistory();
      expect(h.events!.length).toBeLessThan(1200);
    }
  }, 900_000);
});
