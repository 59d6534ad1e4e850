/**
 * No wait without a bound (issue 11 item 7): a batch notices a child production that closed without reporting.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchProductionId, slotsWorkflowId } from '../../src/contracts/names.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

const story = (title: string, local: Record<string, unknown>) => ({
  title,
  defaults: { provider: 'local', size: '160x90', seconds: 1 },
  output: { captions: false, poster: false, contactSheet: false },
  providers: { local: { render: 'instant', pollIntervalMs: 50, ...local } },
  scenes: [{ id: 'a', prompt: `${title} (liveness)` }],
});

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The promise, or a rejection after `ms` (a batch that waits forever fails the test instead of hanging it). */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms).unref()),
  ]);
}

describe('a batch never waits forever for a child', () => {
  it('a child production terminated mid-batch is recorded as failed and the batch completes', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'stories'));
    await writeFile(join(dir, 'stories', 'quick.yaml'), stringify(story('Quick', {})));
    // Renders for ten minutes: still running when it is terminated (the batch would wait for its signal forever).
    await writeFile(join(dir, 'stories', 'stuck.yaml'), stringify(story('Stuck', { latencyMs: 600_000 })));
    const manifest = join(dir, 'batch.yaml');
    await writeFile(manifest, stringify({ batch: 'terminated-child', maxParallelProductions: 2, items: [{ dir: 'stories' }] }));
    await tw.client.submitBatch(manifest);

    const stuckId = batchProductionId('terminated-child', 'stuck');
    await until('the job of the stuck item', async () => {
      const p = await tw.client.status(stuckId);
      return p.scenes[0]!.jobId ? p : undefined;
    });
    await tw.temporal.workflow.getHandle(stuckId).terminate('operator terminated it (test)');

    const t0 = Date.now();
    const summary = await within(90_000, tw.client.batchResult('terminated-child'));
    console.log(`batch with a terminated child completed ${Date.now() - t0} ms after the terminate: ${JSON.stringify(summary.counts)}`);
    expect(summary.rows.map((r) => [r.key, r.state])).toEqual([
      ['quick', 'completed'],
      ['stuck', 'failed'],
    ]);
    expect(summary.rows[1]).toMatchObject({ productionId: stuckId, stage: 'render', reason: expect.stringMatching(/terminated/) });
  });
});

describe("a scene's waits for slots are bounded and renewed", () => {
  it('a scene waiting for a provider slot asks again when the semaphore was lost, and the production completes', async () => {
    const dir = await tempDir();
    const sb = {
      title: 'Lost semaphore',
      defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 2 },
      output: { captions: false, poster: false, contactSheet: false },
      // One job at a time: one scene waits for the slot the other holds while it renders for a few seconds.
      providers: { local: { render: 'instant', pollIntervalMs: 50, latencyMs: 3000, maxInFlight: 1 } },
      scenes: [
        { id: 's1', prompt: 'holds the only slot (liveness)' },
        { id: 's2', prompt: 'waits for the slot (liveness)' },
      ],
    };
    const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: 'lost-semaphore' });
    await tw.client.submit(plan, { timeouts: { slotWaitS: 2 } });
    await until('one scene to hold the slot', async () => {
      const p = await tw.client.status('lost-semaphore');
      return p.scenes.filter((s) => s.jobId).length === 1 ? p : undefined;
    });
    // The semaphore is lost with s2's request in its queue (an operator terminated it, a namespace was reset).
    await tw.temporal.workflow.getHandle(slotsWorkflowId(tw.taskQueue, 'local')).terminate('lost (test)');

    const result = await within(90_000, tw.client.result('lost-semaphore'));
    expect(result.state).toBe('completed');
    expect(result.scenes.map((s) => s.attempts.length)).toEqual([1, 1]);
  });
});
