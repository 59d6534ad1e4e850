/**
 * The client reads a run's start input (what `resume` and `plan --against` build on) from the first event of its
 * history only, however long that history is: every history request is counted on the wire.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { StoryreelClient } from '../../src/client/index.js';
import type { temporal } from '@temporalio/proto';
import { tempDir, writeStoryboard } from '../helpers/files.js';

type HistoryRequest = temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest;
type HistoryResponse = temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;

/** More than one default page of history (the server's default page size is 256 events; the SDK asks for 1000). */
const SIGNALS = 1500;

let client: StoryreelClient;
let dir: string;
beforeAll(async () => {
  dir = await tempDir();
  // No worker polls this queue: the production never runs, so its history is exactly what the test writes.
  client = await StoryreelClient.connect({
    address: inject('temporalAddress'),
    taskQueue: `no-worker-${randomUUID()}`,
    outDir: join(dir, 'out'),
    workDir: join(dir, 'work'),
  });
});
afterAll(async () => {
  await client?.close();
});

/** Counts every GetWorkflowExecutionHistory call made through this client's connection, and the events each returned. */
function countHistoryReads(c: StoryreelClient): { requests: HistoryRequest[]; eventsPerPage: number[]; restore(): void } {
  const service = c.client.workflowService;
  const original = service.getWorkflowExecutionHistory;
  const requests: HistoryRequest[] = [];
  const eventsPerPage: number[] = [];
  service.getWorkflowExecutionHistory = (async (req: HistoryRequest) => {
    requests.push(req);
    const res = (await original.call(service, req)) as HistoryResponse;
    eventsPerPage.push(res.history?.events?.length ?? 0);
    return res;
  }) as typeof original;
  return { requests, eventsPerPage, restore: () => (service.getWorkflowExecutionHistory = original) };
}

describe('lastInput / lastPlan', () => {
  it(`read one event of a production with more than ${SIGNALS} events in its history`, async () => {
    const file = await writeStoryboard(dir, {
      title: 'Long history',
      defaults: { provider: 'local', size: '320x180', seconds: 1 },
      scenes: [
        { id: 'a', prompt: 'a quiet harbour at dawn' },
        { id: 'b', prompt: 'gulls over the pier' },
      ],
    });
    const { plan } = await client.plan(file, { productionId: `long-history-${randomUUID().slice(0, 8)}` });
    const submitted = await client.submit(plan);
    const handle = client.handle(plan.productionId);
    try {
      // Signals are written to history whether or not a worker ever handles them.
      for (let i = 0; i < SIGNALS; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, SIGNALS - i) }, (_, j) => handle.signal('padding', i + j)));
      }
      const total = (await handle.fetchHistory()).events?.length ?? 0;
      expect(total).toBeGreaterThan(SIGNALS);

      const reads = countHistoryReads(client);
      try {
        const { plan: read, input } = await client.lastPlan(plan.productionId);
        expect(read).toEqual(plan);
        expect(input.outDir).toBe(submitted.outDir);
      } finally {
        reads.restore();
      }
      expect(reads.requests).toHaveLength(1);
      expect(reads.requests[0]!.maximumPageSize).toBe(1);
      // The server never splits the batch of events written together at start (WorkflowExecutionStarted and the
      // first WorkflowTaskScheduled), so the one page holds those two: nothing of the signals after them.
      expect(reads.eventsPerPage).toHaveLength(1);
      expect(reads.eventsPerPage[0]).toBeLessThanOrEqual(2);
    } finally {
      await handle.terminate('test done');
    }
  });

  it('name the production when it does not exist', async () => {
    await expect(client.lastInput('no-such-production')).rejects.toThrow(/no workflow "no-such-production" on this server/);
  });
});
