/**
 * The budget is honest (issue 11 item 4), against the OpenAI-compatible mock on the real dev server:
 * - a reservation whose create was refused (no job exists) is released, so it does not eat the budget;
 * - an operator retry on another provider/model is re-planned and checked (capabilities by the client, the re-plan
 *   and the price by the workflow's Update validator) before it is accepted;
 * - one storyboard's maxInFlight cannot raise the provider's cap for the others.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionRejectedError, ProductionFailedError } from '../../src/client/index.js';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import type { ProductionProgress } from '../../workflows/definitions.js';
import { decideSceneUpdate } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'sk-test-honest-budget';
let mock: OpenAIMock;
let tw: TestWorker;
beforeAll(async () => {
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 30, msPerVideoSecond: 60 }, pollAfterMs: 50 });
  tw = await startTestWorker({ env: { OPENAI_API_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const openai = (extra: Record<string, unknown> = {}) => ({ 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 30, ...extra } });
const createsSince = (t: number) => mock.requests().filter((r) => r.time >= t && r.method === 'POST' && r.path === '/v1/videos');

async function produce(id: string, sb: Record<string, unknown>): Promise<void> {
  const dir = await tempDir();
  await mkdir(dir, { recursive: true });
  const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: id });
  await tw.client.submit(plan);
}

async function until(id: string, pred: (p: ProductionProgress) => boolean): Promise<ProductionProgress> {
  for (let i = 0; i < 600; i++) {
    const p = await tw.client.status(id);
    if (pred(p)) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`production ${id} never reached the expected state`);
}

async function failure(id: string): Promise<ProductionFailedError> {
  try {
    await tw.client.result(id);
  } catch (err) {
    if (err instanceof ProductionFailedError) return err;
    throw err;
  }
  throw new Error(`production ${id} did not fail`);
}

describe('a reservation whose create was refused is released', () => {
  it('the refused scene costs nothing, so the next scene still fits under the cap', async () => {
    const t0 = Date.now();
    mock.setFaults([
      {
        match: { method: 'POST', path: '/v1/videos', nth: 2 },
        action: { type: 'http', status: 400, code: 'invalid_value', message: 'Invalid prompt.' },
      },
    ]);
    // sora-2 at $0.10/s: $0.40 a scene; the cap of $1 pays for two jobs.
    await produce('honest-release', {
      title: 'Honest release',
      defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4, maxParallelScenes: 1 },
      output: { captions: false },
      budget: { maxUsd: 1 },
      providers: openai(),
      scenes: ['kept', 'refused at create', 'fits after the release', 'over the cap'].map((prompt, i) => ({ id: `s${i + 1}`, prompt })),
    });
    const p = (await failure('honest-release')).progress!;
    const ledger = p.ledger.map((l) => `${l.sceneId}:${l.outcome}`);
    console.log(`release: ledger ${ledger.join(' ')}, cost $${p.costUsd}, ${createsSince(t0).length} creates`);
    expect(p.state).toBe('budget_exhausted');
    expect(ledger).toEqual(['s1:ready', 's2:released', 's3:ready', 's4:denied']);
    expect(p.scenes.map((s) => s.state)).toEqual(['ready', 'failed', 'ready', 'failed']);
    expect(p.costUsd).toBeCloseTo(0.8, 5);
    expect(createsSince(t0).map((r) => r.status)).toEqual([200, 400, 200]);
    mock.setFaults([]);
  });
});

describe('an operator retry on another provider or model', () => {
  it('is re-planned and refused with the reason when the new model cannot do the scene or costs more than is left', async () => {
    // s1 on openai-videos (the plan's settings for it); s2 and s3 fail on the local renderer and wait for an operator.
    await produce('honest-switch', {
      title: 'Honest switch',
      defaults: { provider: 'local', size: '1280x720', seconds: 4, maxParallelScenes: 3 },
      output: { captions: false },
      operator: { waitSeconds: 300 },
      budget: { maxUsd: 1 },
      providers: { ...openai(), local: { pollIntervalMs: 30, render: 'instant', faults: [{ on: 'job', kind: 'job_failed', times: 0 }] } },
      scenes: [
        { id: 's1', prompt: 'A lighthouse at dawn', provider: 'openai-videos' },
        { id: 's2', prompt: 'Gulls over the water' },
        { id: 's3', prompt: 'A boat leaves', seconds: 5 },
      ],
    });
    await until('honest-switch', (p) => p.state === 'waiting_for_operator' && p.scenes[0]!.state === 'ready');

    // The client re-plans with the catalog: sora-2 makes 4, 8 or 12 s clips, never 5.
    const capability = await tw.client
      .decide('honest-switch', { sceneId: 's3', action: 'retry', provider: 'openai-videos' })
      .catch((e) => e);
    expect(capability).toBeInstanceOf(DecisionRejectedError);
    expect((capability as Error).message).toMatch(/cannot be retried on openai-videos: 5 s is not allowed by openai-videos\/sora-2/);

    // The workflow refuses a switch that was not re-planned (an old client, a hand-made Update).
    const raw = await tw.temporal.workflow
      .getHandle('honest-switch')
      .executeUpdate(decideSceneUpdate, { args: [{ sceneId: 's3', action: 'retry', provider: 'openai-videos' }] })
      .catch((e) => e);
    expect(raw).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((raw as WorkflowUpdateFailedError).cause as Error).message).toMatch(/needs the scene re-planned for it/);

    // sora-2-pro is $0.30/s: $1.20 a job, and $0.60 of the $1 budget is left.
    const price = await tw.client
      .decide('honest-switch', { sceneId: 's2', action: 'retry', provider: 'openai-videos', model: 'sora-2-pro' })
      .catch((e) => e);
    expect(price).toBeInstanceOf(DecisionRejectedError);
    expect((price as Error).message).toBe(
      'scene s2 on openai-videos/sora-2-pro costs about $1.20 a job; $0.60 of the $1.00 budget is left',
    );
    const unchanged = await tw.client.status('honest-switch');
    expect(unchanged.scenes.map((s) => [s.state, s.take, s.provider])).toEqual([
      ['ready', 1, 'openai-videos'],
      ['failed', 1, 'local'],
      ['failed', 1, 'local'],
    ]);

    // A switch that fits is accepted and renders on the new provider with its price.
    const t0 = Date.now();
    const s2 = await tw.client.decide('honest-switch', { sceneId: 's2', action: 'retry', provider: 'openai-videos' });
    expect(s2).toMatchObject({ take: 2, provider: 'openai-videos', model: 'sora-2', estimatedCostUsd: 0.4 });
    await tw.client.decide('honest-switch', { sceneId: 's3', action: 'skip' });
    const done = await tw.client.result('honest-switch');
    console.log(`switch: ${done.state}, s2 on ${done.scenes[1]!.provider}/${done.scenes[1]!.model}, cost $${done.costUsd}`);
    expect(done.state).toBe('completed_with_placeholders');
    expect(createsSince(t0)).toHaveLength(1);
    expect(done.costUsd).toBeCloseTo(0.8, 5);
  });
});

describe("one storyboard's maxInFlight", () => {
  it('cannot raise the cap of another storyboard on the same provider', async () => {
    const t0 = Date.now();
    const story = (title: string, maxInFlight: number) => ({
      title,
      defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4, maxParallelScenes: 3 },
      output: { captions: false },
      providers: openai({ maxInFlight }),
      scenes: [1, 2, 3].map((k) => ({ id: `s${k}`, prompt: `${title} shot ${k}` })),
    });
    await produce('honest-cap-1', story('Capped at one', 1));
    await produce('honest-cap-4', story('Capped at four', 4));
    const [one, four] = await Promise.all([tw.client.result('honest-cap-1'), tw.client.result('honest-cap-4')]);
    expect([one.state, four.state]).toEqual(['completed', 'completed']);
    // In flight: from a job's create to the end of its download.
    const spans = new Map<string, { start: number; end: number }>();
    for (const r of mock.requests().filter((x) => x.time >= t0)) {
      if (r.method === 'POST' && r.path === '/v1/videos' && r.jobId) spans.set(r.jobId, { start: r.time, end: r.time });
      const m = /^\/v1\/videos\/([^/]+)\/content$/.exec(r.path);
      if (m && spans.has(m[1]!)) spans.get(m[1]!)!.end = r.time + r.durationMs;
    }
    const ofOne = one.scenes.map((s) => spans.get(s.jobId!)!);
    const all = [...spans.values()];
    const overlapping = (s: { start: number; end: number }) => all.filter((o) => o !== s && o.start < s.end && o.end > s.start).length;
    const worst = Math.max(...ofOne.map(overlapping));
    console.log(`cap: ${all.length} jobs; while a job of the storyboard capped at 1 ran, at most ${worst} other job(s) ran`);
    expect(all).toHaveLength(6);
    expect(worst).toBe(0);
  });
});
