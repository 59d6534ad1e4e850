/**
 * Resume, edits and budgets against the OpenAI-compatible mock: what is regenerated is counted in its request log.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { diffPlans } from '../../src/storyboard/diff.js';
import { DirectoryClipStore } from '../../src/store/clip-store.js';
import { storePaths } from '../../src/worker.js';
import type { ProductionResult } from '../../workflows/definitions.js';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'sk-test-resume';
let mock: OpenAIMock;
let tw: TestWorker;
beforeAll(async () => {
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 30, msPerVideoSecond: 40 }, pollAfterMs: 50 });
  tw = await startTestWorker({ env: { OPENAI_API_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const base = (tag: string, scenes: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  title: `Resume ${tag}`,
  defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4, maxParallelScenes: 1 },
  output: { captions: false },
  providers: { 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 30 } },
  scenes,
  ...extra,
});
const numbered = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `s${i + 1}`, prompt: `Harbour shot ${i + 1} (${tag})` }));
const postsSince = (t: number) =>
  mock.requests().filter((r) => r.time >= t && r.method === 'POST' && r.path === '/v1/videos' && r.status === 200);

async function resultOrFailure(id: string): Promise<{ result?: ProductionResult; error?: ProductionFailedError }> {
  try {
    return { result: await tw.client.result(id) };
  } catch (err) {
    if (err instanceof ProductionFailedError) return { error: err };
    throw err;
  }
}

describe('resume', () => {
  it('a production that fails non-retryably at scene 7 of 10, resumed after the fix, regenerates exactly that scene', async () => {
    const dir = await tempDir();
    const { plan } = await tw.client.plan(await writeStoryboard(dir, base('s7', numbered('s7', 10))), { productionId: 'resume-s7' });
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos', nth: 7 }, action: { type: 'job_failed', code: 'moderation_blocked' } }]);
    const t0 = Date.now();
    await tw.client.submit(plan);
    const first = await resultOrFailure('resume-s7');
    expect(first.error?.progress?.scenes.map((s) => s.state)).toEqual([
      'ready',
      'ready',
      'ready',
      'ready',
      'ready',
      'ready',
      'failed',
      'ready',
      'ready',
      'ready',
    ]);
    expect(postsSince(t0)).toHaveLength(10);

    mock.setFaults([]); // the fix
    const t1 = Date.now();
    const resumed = await tw.client.resume('resume-s7');
    expect(resumed.attached).toBe(false);
    const second = await tw.client.result('resume-s7');
    expect(second.state).toBe('completed');
    expect(postsSince(t1)).toHaveLength(1);
    expect(second.scenes.filter((s) => s.cached).map((s) => s.id)).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's8', 's9', 's10']);
    expect(second.scenes[6]!.cached).toBe(false);
  });

  it('editing scene 3 of a chain 3→4→5 regenerates exactly scenes 3, 4 and 5 (and plan --against says why)', async () => {
    const dir = await tempDir();
    const scenes = () => [
      { id: 's1', prompt: 'Harbour at dawn (chain)' },
      { id: 's2', prompt: 'Gulls on the quay (chain)' },
      { id: 's3', prompt: 'A boat leaves (chain)' },
      { id: 's4', prompt: 'The boat rounds the point (chain)', continuity: 'chain' },
      { id: 's5', prompt: 'The boat meets the swell (chain)', continuity: 'chain' },
    ];
    const v1 = await tw.client.plan(await writeStoryboard(dir, base('chain', scenes()), 'v1.yaml'));
    await tw.client.submit(v1.plan);
    expect((await tw.client.result(v1.plan.productionId)).state).toBe('completed');

    const edited = scenes();
    edited[2]!.prompt = 'A red boat leaves in a hurry (chain)';
    const v2 = await tw.client.plan(await writeStoryboard(dir, base('chain', edited), 'v2.yaml'));
    const store = new DirectoryClipStore(storePaths(tw.workDir).store);
    const stored = new Set<string>();
    for (const s of v2.plan.scenes) if (await store.get(s.cacheKey)) stored.add(s.cacheKey);
    const diff = diffPlans(v2.plan, (await tw.client.lastPlan(v1.plan.productionId)).plan, stored);
    expect(diff.scenes.filter((d) => d.action === 'generate').map((d) => [d.sceneId, d.reasons])).toEqual([
      ['s3', ['prompt changed']],
      ['s4', ['prompt changed', 'continues from s3, which changes']],
      ['s5', ['continues from s4, which changes']],
    ]);

    const t0 = Date.now();
    await tw.client.submit(v2.plan);
    const r = await tw.client.result(v2.plan.productionId);
    expect(r.state).toBe('completed');
    const regenerated = postsSince(t0);
    expect(regenerated).toHaveLength(3);
    expect(r.scenes.filter((s) => !s.cached).map((s) => s.id)).toEqual(['s3', 's4', 's5']);
  });

  it('a budget cap stops the production with its ledger; a resume with a higher cap completes without regenerating', async () => {
    const dir = await tempDir();
    // sora-2 is $0.10/s: 4 scenes × 4 s = $1.60; the cap allows two of them.
    const { plan } = await tw.client.plan(await writeStoryboard(dir, base('budget', numbered('budget', 4), { budget: { maxUsd: 1 } })), {
      productionId: 'budget-1',
    });
    expect(plan.totals.estimatedCostUsd).toBeCloseTo(1.6, 5);
    const t0 = Date.now();
    await tw.client.submit(plan);
    const first = await resultOrFailure('budget-1');
    const p = first.error!.progress!;
    expect(p.state).toBe('budget_exhausted');
    expect(p.ledger.filter((l) => l.outcome === 'ready').map((l) => l.estimatedUsd)).toEqual([0.4, 0.4]);
    expect(p.ledger.filter((l) => l.outcome === 'denied')).toHaveLength(1);
    expect(p.costUsd).toBeCloseTo(0.8, 5);
    expect(postsSince(t0)).toHaveLength(2);
    const manifest = JSON.parse(await readFile(`${tw.outDir}/budget-1/manifest.json`, 'utf8')) as { state: string };
    expect(manifest.state).toBe('budget_exhausted');

    const t1 = Date.now();
    await tw.client.resume('budget-1', { budgetUsd: 2 });
    const second = await tw.client.result('budget-1');
    expect(second.state).toBe('completed');
    expect(postsSince(t1)).toHaveLength(2);
    expect(second.scenes.filter((s) => s.cached)).toHaveLength(2);
  });
});
