/**
 * Resume carries the last effective plan (issue 11 item 10), on the real dev server with the local renderer:
 * edited prompts and approved takes of the last run carry over without a new job or a second review, and a
 * production that completed with placeholders can be resumed to fill them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

async function produce(id: string, sb: Record<string, unknown>): Promise<void> {
  const { plan } = await tw.client.plan(await writeStoryboard(await tempDir(), sb), { productionId: id });
  await tw.client.submit(plan);
}

async function until(id: string, pred: (p: ProductionProgress) => boolean): Promise<ProductionProgress> {
  for (let i = 0; i < 900; i++) {
    const p = await tw.client.status(id);
    if (pred(p)) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`production ${id} never reached the expected state`);
}

/** The result of a run that must finish without any operator or reviewer (fails fast when it waits for one). */
async function unattended(id: string): Promise<ProductionResult> {
  const p = await until(id, (x) => ['completed', 'completed_with_placeholders', 'failed', 'waiting_for_operator'].includes(x.state));
  expect(p.state, p.message).not.toBe('waiting_for_operator');
  return tw.client.result(id);
}

const story = (title: string, faults: unknown[], extra: Record<string, unknown> = {}) => ({
  title,
  defaults: { provider: 'local', size: '320x180', seconds: 1, maxParallelScenes: 4 },
  output: { captions: false },
  operator: { waitSeconds: 300 },
  providers: { local: { pollIntervalMs: 30, faults } },
  ...extra,
});

describe('resume carries the last effective plan', () => {
  it("an operator's edited prompt and an approved take come back from the store: no new job, no second review", async () => {
    await produce(
      'carry-edits',
      story(
        'Carry edits',
        [
          { scene: 'b', on: 'job', kind: 'job_failed', times: 3 },
          { scene: 'd', on: 'submit', kind: 'invalid_request', times: 1 },
        ],
        {
          review: { scenes: ['c'], waitSeconds: 300 },
          scenes: [
            { id: 'a', prompt: 'A quiet harbour' },
            { id: 'b', prompt: 'A gull lands' },
            { id: 'c', prompt: 'The lighthouse turns' },
            { id: 'd', prompt: 'Night falls' },
          ],
        },
      ),
    );
    await until('carry-edits', (p) => p.scenes.map((s) => s.state).join() === 'ready,failed,awaiting_review,failed');
    await tw.client.decide('carry-edits', { sceneId: 'b', action: 'retry', prompt: 'Edited action: a heron lands' });
    await tw.client.review('carry-edits', { sceneId: 'c', decision: 'reject', note: 'brighter' });
    await until(
      'carry-edits',
      (p) => p.scenes[1]!.state === 'ready' && p.scenes[2]!.state === 'awaiting_review' && p.scenes[2]!.take === 2,
    );
    await tw.client.review('carry-edits', { sceneId: 'c', decision: 'approve' });
    await until('carry-edits', (p) => p.state === 'waiting_for_operator' && p.scenes[2]!.state === 'ready');
    const first = await tw.client.status('carry-edits');
    await tw.client.decide('carry-edits', { sceneId: 'd', action: 'abort' });
    await expect(tw.client.result('carry-edits')).rejects.toBeInstanceOf(ProductionFailedError);

    const resumed = await tw.client.resume('carry-edits');
    const second = await unattended('carry-edits');
    const line = second.scenes.map((s) => `${s.id}:take${s.take}${s.cached ? ':cached' : `:${s.attempts.length}job`}`).join(' ');
    console.log(`carry: ${line}; carried: ${resumed.carried?.join(' | ')}`);
    expect(second.state).toBe('completed');
    expect(second.scenes.map((s) => s.cached)).toEqual([true, true, true, false]);
    expect(second.scenes[3]!.attempts).toHaveLength(1);
    expect(second.scenes[1]!.prompt.startsWith('Edited action: a heron lands.')).toBe(true);
    expect(second.scenes[1]!.clip!.sha256).toBe(first.scenes[1]!.clip!.sha256);
    expect(second.scenes[2]!.prompt).toMatch(/Revision: brighter\.$/);
    expect(second.scenes[2]!.clip!.sha256).toBe(first.scenes[2]!.clip!.sha256);
    expect(resumed.carried).toEqual(['b: the edited prompt, take 2', 'c: the edited prompt, take 2 (approved)']);
  });

  it('a production that completed with placeholders is resumed to fill them', async () => {
    await produce(
      'carry-placeholder',
      // Fault counters are per worker and per fault: scene ids of their own, so the other test's faults are not these.
      story('Carry placeholder', [{ scene: 'q', on: 'job', kind: 'job_failed', times: 3 }], {
        scenes: [
          { id: 'p', prompt: 'A quiet harbour' },
          { id: 'q', prompt: 'A gull lands' },
        ],
      }),
    );
    await until('carry-placeholder', (p) => p.state === 'waiting_for_operator');
    await tw.client.decide('carry-placeholder', { sceneId: 'q', action: 'skip' });
    const first = await tw.client.result('carry-placeholder');
    expect(first.state).toBe('completed_with_placeholders');

    const resumed = await tw.client.resume('carry-placeholder');
    expect(resumed).toMatchObject({ attached: false, state: 'RUNNING' });
    const second = await unattended('carry-placeholder');
    console.log(
      `placeholder: ${first.state} → ${second.state}; ${second.scenes.map((s) => `${s.id}:${s.state}${s.cached ? ':cached' : ''}`).join(' ')}`,
    );
    expect(second.state).toBe('completed');
    expect(second.scenes.map((s) => [s.state, s.cached])).toEqual([
      ['ready', true],
      ['ready', false],
    ]);
    expect(second.outputPath).toBe(first.outputPath);
  });
});
