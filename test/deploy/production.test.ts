/**
 * The example production on the PostgreSQL-backed Temporal server: it completes, its final.mp4 is right, and the
 * production is found through storyreel's search attributes (SQL visibility), with its rows really in PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { join } from 'node:path';
import { psql } from '../../src/deploy/postgres.js';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/names.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';
import { within } from './within.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'lighthouse.yaml');

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

describe('examples/lighthouse.yaml on Temporal with PostgreSQL persistence and visibility', () => {
  const productionId = `lighthouse-pg-${Date.now()}`;

  it('completes with a final.mp4 of the storyboard size, duration and streams', async () => {
    const { plan } = await tw.client.plan(EXAMPLE, { productionId });
    const submitted = await tw.client.submit(plan);
    expect(submitted.attached).toBe(false);
    const result = await within(
      600_000,
      'the lighthouse production',
      tw.client.watch(productionId, () => {}, 500),
    );
    expect(result.state).toBe('completed');

    const seconds = plan.scenes.reduce((t, s) => t + s.seconds, 0) - plan.scenes.reduce((t, s) => t + s.transition.seconds, 0);
    const s = await streamsOf(result.outputPath!);
    expect(s.video).toHaveLength(1);
    expect(s.audio).toHaveLength(1);
    expect([s.width, s.height]).toEqual([1280, 720]);
    expect(s.frames).toBe(Math.round(seconds * 24));
    expect(Math.abs(s.durationS - seconds)).toBeLessThanOrEqual(plan.scenes.length / 24);
  });

  it("is found by storyreel's search attributes, and its visibility row is in PostgreSQL", async () => {
    // Visibility is written by the history service's visibility queue shortly after the close.
    await vi.waitFor(
      async () => {
        const completed = await tw.client.list({ state: 'completed' });
        expect(completed.map((p) => [p.productionId, p.status])).toContainEqual([productionId, 'COMPLETED']);
      },
      { timeout: 30_000, interval: 500 },
    );
    const byId = [];
    for await (const w of tw.temporal.workflow.list({ query: `${SEARCH_ATTRIBUTES.productionId.name} = '${productionId}'` })) {
      byId.push({ id: w.workflowId, provider: w.typedSearchAttributes.get(SEARCH_ATTRIBUTES.provider) });
    }
    expect(byId).toEqual([{ id: productionId, provider: 'local' }]);

    const rows = psql(
      inject('stackPostgres'),
      `SELECT workflow_type_name, status FROM executions_visibility WHERE workflow_id = '${productionId}'`,
      'temporal_visibility',
    );
    // status 2 = WORKFLOW_EXECUTION_STATUS_COMPLETED
    expect(rows).toBe('produceStoryboard|2');
  });
});
