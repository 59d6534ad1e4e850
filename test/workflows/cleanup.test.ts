/**
 * Cancel and abort clean up before the production closes (issue 11 item 9): the scenes in flight are cancelled and
 * awaited, and each cancels its provider job (the local provider's job files record a cancel), instead of being
 * terminated by the production's close or left to finish and be paid for.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductionProgress } from '../../workflows/definitions.js';
import type { Manifest } from '../../workflows/manifest.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

async function start(sb: Record<string, unknown>, id: string): Promise<void> {
  const { plan } = await tw.client.plan(await writeStoryboard(await tempDir(), sb), { productionId: id });
  await tw.client.submit(plan);
}

async function until(id: string, pred: (p: ProductionProgress) => boolean, timeoutMs = 60_000): Promise<ProductionProgress> {
  const t0 = Date.now();
  for (;;) {
    const p = await tw.client.status(id);
    if (pred(p)) return p;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out; last state ${p.state}: ${JSON.stringify(p.scenes.map((s) => [s.id, s.state]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const jobFile = async (jobId: string) =>
  JSON.parse(await readFile(join(tw.workDir, 'local-provider', 'jobs', `${jobId}.json`), 'utf8')) as { canceled?: boolean };

/** How each scene's child workflow (take 1) closed: CANCELLED when it cleaned up, TERMINATED when its parent's close cut it off. */
async function childStatuses(id: string, sceneIds: string[]): Promise<string[]> {
  return Promise.all(sceneIds.map(async (s) => (await tw.temporal.workflow.getHandle(`${id}/scene/${s}`).describe()).status.name));
}

describe('cancel and abort clean up before the production closes', () => {
  it('a cancelled production waits for its scenes to cancel their jobs: every child CANCELLED, every job cancelled', async () => {
    const ids = ['c1', 'c2', 'c3', 'c4'];
    await start(
      {
        title: 'Cancel cleans up',
        defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 4 },
        output: { captions: false, poster: false, contactSheet: false },
        // Jobs that would run for ten minutes: in flight when the cancel comes.
        providers: { local: { render: 'instant', latencyMs: 600_000, pollIntervalMs: 200 } },
        scenes: ids.map((id) => ({ id, prompt: `cancel cleanup ${id}` })),
      },
      'cleanup-cancel',
    );
    const running = await until('cleanup-cancel', (p) => p.scenes.every((s) => s.jobId));
    await tw.client.cancel('cleanup-cancel');
    await expect(tw.client.result('cleanup-cancel')).rejects.toThrow();

    const statuses = await childStatuses('cleanup-cancel', ids);
    const cancelled = await Promise.all(running.scenes.map(async (s) => (await jobFile(s.jobId!)).canceled === true));
    console.log(`cancel: children ${statuses.join(', ')}; jobs cancelled ${cancelled.filter(Boolean).length} of ${ids.length}`);
    expect(statuses).toEqual(ids.map(() => 'CANCELLED'));
    expect(cancelled).toEqual(ids.map(() => true));
    const manifest = JSON.parse(await readFile(join(tw.outDir, 'cleanup-cancel', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.state).toBe('cancelled');
  });

  it("an operator's abort cancels the job in flight instead of waiting for it to finish and paying", async () => {
    await start(
      {
        title: 'Abort cleans up',
        defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 2 },
        output: { captions: false, poster: false, contactSheet: false },
        operator: { waitSeconds: 300 },
        providers: {
          local: {
            render: 'instant',
            latencyMs: 600_000,
            pollIntervalMs: 200,
            faults: [{ scene: 'broken', on: 'submit', kind: 'invalid_request', times: 0 }],
          },
        },
        scenes: [
          { id: 'broken', prompt: 'abort cleanup: fails at once' },
          { id: 'long', prompt: 'abort cleanup: renders for ten minutes' },
        ],
      },
      'cleanup-abort',
    );
    const running = await until('cleanup-abort', (p) => p.scenes[0]!.state === 'failed' && !!p.scenes[1]!.jobId);
    const jobId = running.scenes[1]!.jobId!;
    const t0 = Date.now();
    await tw.client.decide('cleanup-abort', { sceneId: 'broken', action: 'abort' });
    const err = await Promise.race([
      tw.client.result('cleanup-abort').then(
        () => undefined,
        (e: unknown) => e as Error,
      ),
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 60_000).unref()),
    ]);
    console.log(
      `abort: production closed ${Date.now() - t0} ms after the abort; job cancelled: ${(await jobFile(jobId)).canceled === true}`,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/aborted by an operator/);
    expect((await jobFile(jobId)).canceled).toBe(true);
    expect(await childStatuses('cleanup-abort', ['long'])).toEqual(['CANCELLED']);
    const manifest = JSON.parse(await readFile(join(tw.outDir, 'cleanup-abort', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.scenes[1]).toMatchObject({ state: 'failed', reason: { kind: 'cancelled' } });
  });
});
