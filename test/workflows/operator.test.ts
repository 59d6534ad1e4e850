import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { MARKER_PATCH } from '../../src/media/render-card.js';
import { localJobs, localProviderRoot } from '../../src/providers/local/provider.js';
import type { ProductionProgress } from '../../workflows/definitions.js';
import type { Manifest } from '../../workflows/manifest.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { frameRgb, patchColor, streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

let tw: TestWorker;
beforeAll(async () => {
  tw = await startTestWorker();
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
});

/** Scenes whose prompts are unique to `tag`, so no test gets another test's clips from the store. */
const scenes = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    id: `s${i + 1}`,
    title: `Scene ${i + 1}`,
    prompt: `Shot number ${i + 1} of the harbour (${tag})`,
  }));

async function start(sb: Record<string, unknown>, id: string) {
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: id });
  await tw.client.submit(plan);
  return plan;
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

const localJobCount = async () => (await localJobs(localProviderRoot(tw.workDir))).length;

describe('operators steer a running production', () => {
  it('a failed scene does not stop the others; an edited retry finishes the production as completed', async () => {
    await start(
      {
        title: 'Retry',
        defaults: { provider: 'local', size: '320x180', seconds: 1 },
        operator: { waitSeconds: 120 },
        providers: { local: { pollIntervalMs: 50, faults: [{ scene: 's2', on: 'job', kind: 'content_policy', times: 1 }] } },
        scenes: scenes(3, 'retry'),
      },
      'op-retry',
    );
    const waiting = await until('op-retry', (p) => p.state === 'waiting_for_operator');
    expect(waiting.scenes.map((s) => s.state)).toEqual(['ready', 'failed', 'ready']);
    expect(waiting.scenes[1]!.reason).toMatchObject({ kind: 'content_policy' });
    expect(waiting.waitingFor).toEqual(['s2']);

    // a decision on a scene that did not fail is refused with the reason
    await expect(tw.client.decide('op-retry', { sceneId: 's1', action: 'retry' })).rejects.toThrow(/only a failed scene/);

    const s = await tw.client.decide('op-retry', { sceneId: 's2', action: 'retry', prompt: 'A calmer shot of the harbour' });
    expect([s.state, s.take]).toEqual(['planned', 2]);
    const result = await tw.client.result('op-retry');
    expect(result.state).toBe('completed');
    const s2 = result.scenes[1]!;
    expect([s2.state, s2.take]).toEqual(['ready', 2]);
    expect(s2.prompt.startsWith('A calmer shot of the harbour.')).toBe(true);
    expect(s2.attempts).toHaveLength(1);
  });

  it("a skip puts a placeholder in the scene's place and the production says so", async () => {
    await start(
      {
        title: 'Skip',
        defaults: { provider: 'local', size: '320x180', seconds: 1 },
        operator: { waitSeconds: 120 },
        providers: { local: { pollIntervalMs: 50, faults: [{ scene: 's2', on: 'job', kind: 'job_failed', times: 0 }] } },
        scenes: scenes(3, 'skip'),
      },
      'op-skip',
    );
    const waiting = await until('op-skip', (p) => p.state === 'waiting_for_operator');
    // job_failed is resubmitted up to maxJobAttempts (3) before the scene fails
    expect(waiting.scenes[1]!.attempts.map((a) => a.outcome)).toEqual(['job_failed', 'job_failed', 'job_failed']);
    await tw.client.decide('op-skip', { sceneId: 's2', action: 'skip' });
    const result = await tw.client.result('op-skip');
    expect(result.state).toBe('completed_with_placeholders');
    expect(result.scenes[1]).toMatchObject({ state: 'skipped', placeholder: 'slate' });
    const s = await streamsOf(result.outputPath!);
    expect(s.frames).toBe(72);
    // the slate is dark grey where the scene's colour would be
    const slate = patchColor(await frameRgb(result.outputPath!, 1.5), MARKER_PATCH.x + 4, MARKER_PATCH.y + 4, 16);
    expect(Math.max(...slate)).toBeLessThan(50);
  });

  it('abort ends a waiting production as failed, keeping its clips', async () => {
    await start(
      {
        title: 'Abort',
        defaults: { provider: 'local', size: '320x180', seconds: 1 },
        operator: { waitSeconds: 120 },
        providers: { local: { pollIntervalMs: 50, faults: [{ scene: 's1', on: 'job', kind: 'content_policy', times: 0 }] } },
        scenes: scenes(2, 'abort'),
      },
      'op-abort',
    );
    await until('op-abort', (p) => p.state === 'waiting_for_operator');
    await tw.client.decide('op-abort', { sceneId: '*', action: 'abort' });
    const err = await tw.client.result('op-abort').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProductionFailedError);
    expect((err as ProductionFailedError).progress?.state).toBe('failed');
    expect((err as ProductionFailedError).progress?.scenes[1]?.state).toBe('ready');
  });

  it('without an operator wait, a production with a failed scene fails at once and says how to resume', async () => {
    await start(
      {
        title: 'Fail fast',
        defaults: { provider: 'local', size: '320x180', seconds: 1 },
        providers: { local: { pollIntervalMs: 50, faults: [{ scene: 's1', on: 'submit', kind: 'invalid_request', times: 0 }] } },
        scenes: scenes(3, 'fail'),
      },
      'op-fail',
    );
    const err = (await tw.client.result('op-fail').catch((e: unknown) => e)) as ProductionFailedError;
    expect(err).toBeInstanceOf(ProductionFailedError);
    expect(err.message).toMatch(/storyreel resume op-fail/);
    expect(err.progress?.scenes.map((s) => s.state)).toEqual(['failed', 'ready', 'ready']);
    const manifest = JSON.parse(await readFile(join(tw.outDir, 'op-fail', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.state).toBe('failed');
    expect(manifest.scenes[0]!.reason).toMatchObject({ kind: 'invalid_request' });
    // the status of a closed production comes from its failure, without a worker
    expect((await tw.client.status('op-fail')).state).toBe('failed');
  });
});

describe('review gate', () => {
  it('waits for approval; a rejection makes a new take and keeps the rejected one', async () => {
    const jobsBefore = await localJobCount();
    await start(
      {
        title: 'Review',
        defaults: { provider: 'local', size: '320x180', seconds: 1 },
        review: { scenes: ['s1'] },
        providers: { local: { pollIntervalMs: 50 } },
        scenes: scenes(2, 'review'),
      },
      'review-1',
    );
    const waiting = await until('review-1', (p) => p.scenes[0]!.state === 'awaiting_review' && p.state === 'waiting_for_operator');
    const firstTake = waiting.scenes[0]!.clip!;
    await expect(tw.client.review('review-1', { sceneId: 's1', decision: 'reject' })).rejects.toThrow(/needs a note/);
    await tw.client.review('review-1', { sceneId: 's1', decision: 'reject', note: 'warmer light' });
    const again = await until('review-1', (p) => p.scenes[0]!.state === 'awaiting_review' && p.scenes[0]!.take === 2);
    expect(again.scenes[0]!.rejectedTakes).toEqual([
      { take: 1, note: 'warmer light', clip: { path: firstTake.path, sha256: firstTake.sha256, jobId: firstTake.jobId } },
    ]);
    expect(again.scenes[0]!.prompt).toMatch(/Revision: warmer light\.$/);
    expect(again.scenes[0]!.clip!.sha256).not.toBe(firstTake.sha256);
    await tw.client.review('review-1', { sceneId: 's1', decision: 'approve' });
    const result = await tw.client.result('review-1');
    expect(result.state).toBe('completed');
    expect(await localJobCount()).toBe(jobsBefore + 3); // s1 twice, s2 once
  });
});

describe('cancel', () => {
  it('stops the production, keeps finished clips, and the manifest says cancelled', async () => {
    await start(
      {
        title: 'Cancel',
        defaults: { provider: 'local', size: '320x180', seconds: 1, maxParallelScenes: 1 },
        // Long enough that the scene in flight is still rendering when the cancel lands on a loaded machine.
        providers: { local: { latencyMs: 4000, pollIntervalMs: 50 } },
        scenes: scenes(3, 'cancel'),
      },
      'cancel-1',
    );
    await until('cancel-1', (p) => p.scenes[0]!.state === 'ready' && p.scenes[1]!.state !== 'planned');
    await tw.client.cancel('cancel-1');
    await expect(tw.client.result('cancel-1')).rejects.toThrow();
    const manifest = JSON.parse(await readFile(join(tw.outDir, 'cancel-1', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.state).toBe('cancelled');
    expect(manifest.scenes[0]!.clip?.path).toBeTruthy();
    await expect(readFile(manifest.scenes[0]!.clip!.path)).resolves.toBeTruthy();
    expect(manifest.scenes[2]!.state).toBe('planned');
    // the provider job of the scene in flight was cancelled (the local provider supports cancel)
    const inFlightJob = manifest.scenes[1]!.attempts[0]?.jobId;
    expect(inFlightJob).toMatch(/^local_/);
    const job = JSON.parse(await readFile(join(tw.workDir, 'local-provider', 'jobs', `${inFlightJob}.json`), 'utf8')) as {
      canceled?: boolean;
    };
    expect(job.canceled).toBe(true);
  });
});
