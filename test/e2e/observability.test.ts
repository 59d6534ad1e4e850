/**
 * A production through `storyreel worker` (a real process) against the OpenAI mock, with the worker's Prometheus
 * endpoint scraped while it runs, and its JSON log lines read:
 *
 *  - storyreel's counters move during the production (jobs created before it finished) and end at what the mock
 *    saw: creates, a failed job (faulted), the clips' cost, one assembly; the SDK's temporal_* metrics share the
 *    endpoint;
 *  - every line is JSON; activity lines carry the production, scene, job and provider ids, and a provider error
 *    carries the provider's request id as the mock logged it;
 *  - the provider key, set in the worker's environment and sent on every request, appears in no line.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StoryreelClient } from '../../src/client/index.js';
import { choosePort } from '../../src/deploy/ports.js';
import { startOpenAIMock, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import { startCliWorker, type CliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';

const KEY = 'sk-test-observability-91b2c3d4e5';
let mock: OpenAIMock;
let worker: CliWorker | undefined;

beforeAll(async () => {
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 300, msPerVideoSecond: 400 }, pollAfterMs: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await mock?.close();
});

/** Sum of every sample of `name` (all label sets) in Prometheus text, or undefined when absent. */
function metricSum(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (!Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

describe('worker telemetry', () => {
  it('counters move during a production; JSON logs carry its ids and no secret', async () => {
    const port = await choosePort(undefined);
    const workDir = await tempDir();
    const taskQueue = `obs-${randomUUID()}`;
    worker = await startCliWorker({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: taskQueue,
      STORYREEL_WORK_DIR: workDir,
      STORYREEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      STORYREEL_METRICS_ADDRESS: `127.0.0.1:${port}`,
      OPENAI_API_KEY: KEY,
    });
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metricSum(await scrape(), 'storyreel_jobs_created_total') ?? 0).toBe(0);

    mock.setFaults([
      // The first job fails (a replacement job is created), and the first poll is rate limited (a provider error
      // with the provider's request id).
      { match: { method: 'POST', path: '/v1/videos' }, action: { type: 'job_failed', code: 'processing_error' } },
      { match: { method: 'GET', path: '/v1/videos/*' }, action: { type: 'rate_limit', retryAfter: 1 } },
    ]);
    const client = await StoryreelClient.connect({ address: inject('temporalAddress'), taskQueue, outDir: `${workDir}/out` });
    const file = await writeStoryboard(await tempDir(), {
      title: 'Observed',
      defaults: { provider: 'openai-videos', model: 'sora-2', size: '1280x720', seconds: 4 },
      output: { captions: false },
      providers: { 'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 100 } },
      scenes: [
        { id: 'dawn', prompt: 'Dawn over the harbour' },
        { id: 'dusk', prompt: 'Dusk over the harbour' },
      ],
    });
    const { plan } = await client.plan(file, { productionId: `obs-${randomUUID().slice(0, 8)}` });
    await client.submit(plan);

    let done = false;
    const result = client.result(plan.productionId).finally(() => (done = true));
    const during: number[] = [];
    while (!done) {
      const created = metricSum(await scrape(), 'storyreel_jobs_created_total') ?? 0;
      if (!done) during.push(created);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await result).state).toBe('completed');
    const text = await scrape();
    const creates = mock.requests().filter((r) => r.method === 'POST' && r.path === '/v1/videos').length;
    const figures = {
      createdDuring: [...new Set(during)].join(' → '),
      created: metricSum(text, 'storyreel_jobs_created_total', { provider: 'openai-videos' }),
      creates,
      failed: metricSum(text, 'storyreel_jobs_failed_total', { provider: 'openai-videos', kind: 'job_failed' }),
      costUsd: metricSum(text, 'storyreel_cost_usd_sum'),
      clips: metricSum(text, 'storyreel_cost_usd_count'),
      assemblies: metricSum(text, 'storyreel_assembly_seconds_count'),
      assemblySeconds: metricSum(text, 'storyreel_assembly_seconds_sum'),
      queueWaits: metricSum(text, 'storyreel_submit_queue_wait_seconds_count'),
      sdkActivities: metricSum(text, 'temporal_activity_execution_latency_count'),
      sdkWorkflowsCompleted: metricSum(text, 'temporal_workflow_completed_total'),
    };
    console.log(`metrics: ${JSON.stringify(figures)}`);
    // Seen rising while the production ran: at least two different non-zero values before it finished.
    expect(new Set(during.filter((n) => n > 0)).size).toBeGreaterThanOrEqual(2);
    expect(figures.created).toBe(creates);
    expect(creates).toBe(3);
    expect(figures.failed).toBe(1);
    expect(figures.costUsd).toBeCloseTo(plan.totals.estimatedCostUsd, 4);
    expect(figures.clips).toBe(2);
    expect(figures.assemblies).toBe(1);
    expect(figures.assemblySeconds).toBeGreaterThan(0);
    expect(figures.queueWaits).toBe(3);
    expect(figures.sdkActivities).toBeGreaterThan(5);
    expect(figures.sdkWorkflowsCompleted).toBeGreaterThanOrEqual(3);

    const w = worker;
    await w.stop();
    worker = undefined;
    const lines = logLines(w.stderr());
    expect(lines.json.length).toBeGreaterThan(10);
    const submitted = lines.json.filter((l) => l.msg === 'submitted');
    expect(submitted).toHaveLength(3);
    for (const l of submitted) {
      expect(l).toMatchObject({ productionId: plan.productionId, provider: 'openai-videos', level: 'info' });
      expect(['dawn', 'dusk']).toContain(l.sceneId);
      expect(String(l.jobId)).toMatch(/^video_/);
    }
    const rateLimited = lines.json.find((l) => l.msg === 'provider request failed');
    const mockIds = mock
      .requests()
      .filter((r) => r.status === 429)
      .map((r) => r.requestId);
    expect(rateLimited).toMatchObject({ kind: 'rate_limited', productionId: plan.productionId, provider: 'openai-videos' });
    expect(['dawn', 'dusk']).toContain(rateLimited?.sceneId);
    expect(String(rateLimited?.jobId)).toMatch(/^video_/);
    expect(mockIds).toContain(rateLimited?.providerRequestId);
    expect(lines.all).not.toContain(KEY);
    await client.close();
  });
});

/** The worker's stderr: its JSON lines, parsed (the one human line it prints at start is skipped), and all of it. */
function logLines(text: string): { json: Record<string, unknown>[]; all: string } {
  const json: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    json.push(JSON.parse(line) as Record<string, unknown>);
  }
  return { json, all: text };
}
