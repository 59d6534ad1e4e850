/**
 * Provider limits shared by all workers, and a batch that continues past bad items and resumes only those.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import { tempDir } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'sk-test-limits';
let mock: OpenAIMock;
beforeAll(async () => {
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 100, msPerVideoSecond: 250 }, pollAfterMs: 100 });
});
afterAll(async () => {
  await mock?.close();
});

const story = (tag: string, i: number, extra: Record<string, unknown> = {}) => ({
  title: `${tag} ${i}`,
  defaults: { provider: 'openai-videos', size: '1280x720', seconds: 4, maxParallelScenes: 4 },
  output: { captions: false, poster: false, contactSheet: false },
  providers: { 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 100, maxInFlight: 3 } },
  scenes: Array.from({ length: 4 }, (_, k) => ({ id: `s${k + 1}`, prompt: `${tag} story ${i} shot ${k + 1}` })),
  ...extra,
});

describe('provider limits shared by every worker', () => {
  it('with 2 submits per second and three workers, no second of the log has more than 2 creates, and in-flight jobs never exceed the cap', async () => {
    const limits = { 'openai-videos': { submitsPerSecond: 2 } };
    const first = await startTestWorker({ env: { OPENAI_API_KEY: KEY }, providerLimits: limits });
    const others = await Promise.all(
      [1, 2].map(() =>
        startTestWorker({ env: { OPENAI_API_KEY: KEY }, providerLimits: limits, taskQueue: first.taskQueue, workDir: first.workDir }),
      ),
    );
    try {
      const dir = await tempDir();
      await mkdir(join(dir, 'stories'));
      for (let i = 0; i < 4; i++) await writeFile(join(dir, 'stories', `s${i}.yaml`), stringify(story('limits', i)));
      await writeFile(
        join(dir, 'batch.yaml'),
        stringify({ batch: 'limits', maxParallelProductions: 4, priority: 'normal', items: [{ dir: 'stories' }] }),
      );
      const t0 = Date.now();
      await first.client.submitBatch(join(dir, 'batch.yaml'));
      const summary = await first.client.batchResult('limits');
      expect(summary.counts.completed).toBe(4);

      const log = mock.requests().filter((r) => r.time >= t0);
      const creates = log.filter((r) => r.method === 'POST' && r.path === '/v1/videos').map((r) => r.time);
      expect(creates).toHaveLength(16);
      let worst = 0;
      for (const t of creates) worst = Math.max(worst, creates.filter((u) => u >= t && u < t + 1000).length);
      expect(worst).toBeLessThanOrEqual(2);

      // In flight: from a job's create to the end of its download.
      const byVideo = new Map<string, { start: number; end: number }>();
      for (const r of log) {
        if (r.method === 'POST' && r.path === '/v1/videos' && r.jobId) byVideo.set(r.jobId, { start: r.time, end: r.time });
        const m = /^\/v1\/videos\/([^/]+)\/content$/.exec(r.path);
        if (m && byVideo.has(m[1]!)) byVideo.get(m[1]!)!.end = r.time + r.durationMs;
      }
      const spans = [...byVideo.values()];
      let maxInFlight = 0;
      for (const s of spans) maxInFlight = Math.max(maxInFlight, spans.filter((o) => o.start <= s.start && o.end > s.start).length);
      expect(maxInFlight).toBeLessThanOrEqual(3);
      expect(maxInFlight).toBeGreaterThanOrEqual(2); // the cap was actually used
      console.log(
        `limits: ${creates.length} creates, at most ${worst} in any second, at most ${maxInFlight} in flight (cap 3), ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      for (const w of others) await w.stop();
      await first.stop({ cleanup: true });
    }
  });
});

describe('a batch with three bad items', () => {
  let tw: TestWorker;
  beforeAll(async () => {
    tw = await startTestWorker({ env: { OPENAI_API_KEY: KEY } });
  });
  afterAll(async () => {
    await tw?.stop({ cleanup: true });
  });

  it('finishes the others, names each failure, and batch resume after the fixes runs only those three', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'stories'));
    const local = (i: number, extra: Record<string, unknown> = {}) => ({
      title: `Good ${i}`,
      defaults: { provider: 'local', size: '160x90', seconds: 1 },
      output: { captions: false, poster: false, contactSheet: false },
      providers: { local: { pollIntervalMs: 30, render: 'instant' } },
      scenes: [
        { id: 'a', prompt: `good ${i} a` },
        { id: 'b', prompt: `good ${i} b` },
      ],
      ...extra,
    });
    for (let i = 0; i < 5; i++) await writeFile(join(dir, 'stories', `good-${i}.yaml`), stringify(local(i)));
    const write = async (name: string, sb: unknown) => writeFile(join(dir, 'stories', name), typeof sb === 'string' ? sb : stringify(sb));
    await write('bad-invalid.yaml', { ...local(10), scenes: [{ id: 'a', prompt: 'x', secnds: 2 }] });
    await write('bad-provider.yaml', {
      ...local(11),
      providers: { local: { pollIntervalMs: 30, faults: [{ scene: 'b', on: 'submit', kind: 'invalid_request', times: 0 }] } },
    });
    await write('bad-budget.yaml', { ...story('budget', 12), budget: { maxUsd: 0.5 } });
    await writeFile(join(dir, 'batch.yaml'), stringify({ batch: 'bad-items', maxParallelProductions: 3, items: [{ dir: 'stories' }] }));

    await tw.client.submitBatch(join(dir, 'batch.yaml'));
    const first = await tw.client.batchResult('bad-items');
    const row = (key: string) => first.rows.find((r) => r.key === key)!;
    expect(first.rows).toHaveLength(8);
    expect(first.rows.filter((r) => r.state === 'completed').map((r) => r.key)).toEqual(['good-0', 'good-1', 'good-2', 'good-3', 'good-4']);
    expect(row('bad-invalid')).toMatchObject({ state: 'invalid', stage: 'validate' });
    expect(row('bad-invalid').reason).toMatch(/scenes\[0\]: unknown key "secnds"/);
    expect(row('bad-provider')).toMatchObject({ state: 'failed', stage: 'render', sceneId: 'b' });
    expect(row('bad-provider').reason).toMatch(/injected invalid_request/);
    expect(row('bad-budget')).toMatchObject({ state: 'budget_exhausted', stage: 'budget' });

    // The fixes
    await write('bad-invalid.yaml', local(10));
    await write('bad-provider.yaml', local(11));
    await write('bad-budget.yaml', { ...story('budget', 12), budget: { maxUsd: 5 } });
    const t0 = Date.now();
    const resumed = await tw.client.submitBatch(join(dir, 'batch.yaml'), { resume: true });
    expect(resumed.attached).toBe(false);
    const second = await tw.client.batchResult('bad-items');
    expect(second.rows.every((r) => r.state === 'completed')).toBe(true);
    // only the three were produced again: five rows carried over unchanged, three new productions ran
    const runs: string[] = [];
    for await (const w of tw.temporal.workflow.list({
      query: `WorkflowType = 'produceStoryboard' AND StartTime > '${new Date(t0).toISOString()}'`,
    })) {
      if (w.workflowId.startsWith('bad-items--')) runs.push(w.workflowId);
    }
    expect(runs.sort()).toEqual(['bad-items--bad-budget', 'bad-items--bad-invalid', 'bad-items--bad-provider']);
  });
});

describe('priorities', () => {
  it('a low-priority batch lets an interactive production go first', async () => {
    const tw = await startTestWorker({ maxConcurrentActivities: 1 });
    try {
      const dir = await tempDir();
      await mkdir(join(dir, 'stories'));
      const sb = (tag: string, i: number) => ({
        title: `${tag} ${i}`,
        defaults: { provider: 'local', size: '160x90', seconds: 1, maxParallelScenes: 3 },
        output: { captions: false, poster: false, contactSheet: false },
        providers: { local: { pollIntervalMs: 20 } },
        scenes: Array.from({ length: 3 }, (_, k) => ({ id: `s${k + 1}`, prompt: `${tag} ${i} shot ${k + 1}` })),
      });
      for (let i = 0; i < 8; i++) await writeFile(join(dir, 'stories', `b${i}.yaml`), stringify(sb('batch', i)));
      await writeFile(
        join(dir, 'batch.yaml'),
        stringify({ batch: 'low', maxParallelProductions: 8, priority: 'low', items: [{ dir: 'stories' }] }),
      );
      await tw.client.submitBatch(join(dir, 'batch.yaml'));
      // Let the batch fill the queue with its work first.
      for (;;) {
        const p = await tw.client.batchStatus('low');
        if ('counts' in p && (p.counts.running ?? 0) + (p.counts.completed ?? 0) >= 8) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const desc = await tw.temporal.workflow.getHandle('low--b0').describe();
      expect(desc.priority?.priorityKey).toBe(4);

      await writeFile(join(dir, 'now.yaml'), stringify(sb('interactive', 0)));
      const { plan } = await tw.client.plan(join(dir, 'now.yaml'), { productionId: 'interactive-now' });
      await tw.client.submit(plan);
      const done = await tw.client.result('interactive-now');
      const finishedAt = Date.now();
      expect(done.state).toBe('completed');
      const batch = await tw.client.batchResult('low');
      const finishedBefore = batch.rows.filter((r) => r.state === 'completed').length;
      expect(finishedBefore).toBe(8);
      // Most of the batch was still waiting when the interactive production finished.
      const batchStatusWhenDone = tw.temporal.workflow.list({
        query: `WorkflowType = 'produceStoryboard' AND WorkflowId STARTS_WITH 'low--' AND CloseTime < '${new Date(finishedAt).toISOString()}'`,
      });
      let closedEarlier = 0;
      for await (const _ of batchStatusWhenDone) closedEarlier++;
      console.log(`priorities: ${closedEarlier} of 8 low-priority productions finished before the interactive one`);
      expect(closedEarlier).toBeLessThanOrEqual(2);
    } finally {
      await tw.stop({ cleanup: true });
    }
  });
});
