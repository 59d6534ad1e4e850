/**
 * The openai-videos provider through the official SDK against the faithful mock, one fault at a time, counting
 * requests in the mock's log: a create is paid for once per job, and jobs = 1 + job failures + stuck + expired.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import type { LogEntry } from '@temporalio/worker';
import type { Manifest } from '../../workflows/manifest.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import {
  seededFaults,
  startOpenAIMock,
  type FaultRule,
  type MockRequestLogEntry,
  type OpenAIMock,
} from '../../src/mock/openai-videos/server.js';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { colorDistance, frameRgb, patchColor, streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'sk-test-DO-NOT-LEAK-7f3a9c2e';
let mock: OpenAIMock;
let tw: TestWorker;

beforeAll(async () => {
  mock = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 60 }, pollAfterMs: 100 });
  tw = await startTestWorker({ env: { OPENAI_API_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const storyboard = (tag: string, scenes: number, settings: Record<string, unknown> = {}) => ({
  title: `OpenAI ${tag}`,
  defaults: { provider: 'openai-videos', model: 'sora-2', size: '1280x720', seconds: 4, maxParallelScenes: 4 },
  output: { captions: false },
  providers: {
    'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 50, jobDeadlineSeconds: 30, requestTimeoutMs: 3000, ...settings },
  },
  scenes: Array.from({ length: scenes }, (_, i) => ({ id: `s${i + 1}`, prompt: `A lighthouse scene ${i + 1} for ${tag}` })),
});

interface Run {
  result?: ProductionResult;
  error?: ProductionFailedError;
  log: MockRequestLogEntry[];
  progress: ProductionProgress;
}

async function produce(tag: string, faults: FaultRule[], opts: { scenes?: number; settings?: Record<string, unknown> } = {}): Promise<Run> {
  mock.setFaults(faults);
  const since = Date.now();
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard(tag, opts.scenes ?? 1, opts.settings)), {
    productionId: `oa-${tag}`,
  });
  await tw.client.submit(plan, { timeouts: { submitS: 20, heartbeatS: 10 } });
  let result: ProductionResult | undefined;
  let error: ProductionFailedError | undefined;
  try {
    result = await tw.client.result(plan.productionId);
  } catch (err) {
    if (!(err instanceof ProductionFailedError)) throw err;
    error = err;
  }
  const progress = await tw.client.status(plan.productionId);
  return { ...(result ? { result } : {}), ...(error ? { error } : {}), log: mock.requests().filter((r) => r.time >= since), progress };
}

const creates = (log: MockRequestLogEntry[]) => log.filter((r) => r.method === 'POST' && r.path === '/v1/videos');
const jobsFor = (tag: string) => mock.videos().filter((v) => v.prompt?.includes(` for ${tag}.`) || v.prompt?.includes(` for ${tag} `));
/** Jobs the provider created for a scene must be 1 + its job failures, stuck jobs and expiries. */
function expectJobsMatchAttempts(run: Run, tag: string) {
  for (const s of run.progress.scenes) {
    const jobs = mock.videos().filter((v) => v.prompt?.startsWith(`A lighthouse scene ${s.id.slice(1)} for ${tag}.`));
    const replaced = s.attempts.filter(
      (a) => a.outcome === 'job_failed' || a.outcome === 'job_stuck' || a.outcome === 'output_expired',
    ).length;
    expect(jobs.length, `jobs for ${tag}/${s.id}`).toBe(s.attempts.length);
    expect(s.attempts.length, `${tag}/${s.id}`).toBe(1 + replaced);
  }
}

describe('transport and HTTP faults on create: retried without paying twice', () => {
  it('429 with Retry-After: 3 — the next request comes no sooner than 3 s later', async () => {
    const run = await produce('ra3', [{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    expect(run.result?.state).toBe('completed');
    const i = run.log.findIndex((r) => r.status === 429);
    const limited = run.log[i]!;
    const next = run.log[i + 1]!;
    expect(next.time - (limited.time + limited.durationMs)).toBeGreaterThanOrEqual(2950);
    expect(creates(run.log).map((r) => r.status)).toEqual([429, 200]);
    expect(jobsFor('ra3')).toHaveLength(1);
    expectJobsMatchAttempts(run, 'ra3');
  });

  it('429 without Retry-After', async () => {
    const run = await produce('r429', [{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'rate_limit' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log).map((r) => r.status)).toEqual([429, 200]);
    expect(jobsFor('r429')).toHaveLength(1);
  });

  it.each([500, 502, 503, 504])('%i on create: reconciled (list) before the one new POST', async (status) => {
    const tag = `h${status}`;
    const run = await produce(tag, [
      { match: { method: 'POST', path: '/v1/videos' }, action: { type: 'http', status, ...(status === 502 ? { html: true } : {}) } },
    ]);
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.status)).toEqual([status, 200]);
    const between = run.log.filter((r) => r.time > posts[0]!.time && r.time < posts[1]!.time);
    expect(between.some((r) => r.method === 'GET' && r.path === '/v1/videos')).toBe(true);
    expect(jobsFor(tag)).toHaveLength(1);
  });

  it('a connection reset on create', async () => {
    const run = await produce('reset', [{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'reset' } }]);
    expect(run.result?.state).toBe('completed');
    expect(jobsFor('reset')).toHaveLength(1);
  });

  it('a hang before headers on create (the SDK times out)', async () => {
    const run = await produce('hang', [{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'hang', ms: 8000 } }], {
      settings: { requestTimeoutMs: 1500 },
    });
    expect(run.result?.state).toBe('completed');
    expect(jobsFor('hang')).toHaveLength(1);
  });

  it('accept-then-drop: the job exists though the client never heard — found, not created again', async () => {
    const run = await produce('drop', [{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'accept_then_drop' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(jobsFor('drop')).toHaveLength(1);
    expect(run.progress.scenes[0]!.attempts[0]!.reconciled).toBe(true);
  });

  it('a 503 on a status poll is retried; no new job', async () => {
    const run = await produce('poll503', [{ match: { method: 'GET', path: '/v1/videos/*' }, action: { type: 'http', status: 503 } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
  });
});

describe('non-retryable kinds fail with the precise reason, without another create', () => {
  it('quota (credit_balance_exhausted)', async () => {
    const run = await produce('quota', [{ match: { method: 'POST', path: '/v1/videos', times: -1 }, action: { type: 'quota' } }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'quota_exhausted', providerCode: 'credit_balance_exhausted' });
    expect(run.error!.message).toMatch(/storyreel resume oa-quota/);
    mock.setFaults([]);
  });

  it("moderation: the scene fails with the provider's reason and the input involved; never retried", async () => {
    const run = await produce('mod', [
      { match: { method: 'POST', path: '/v1/videos' }, action: { type: 'job_failed', code: 'moderation_blocked' } },
    ]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    const reason = run.progress.scenes[0]!.reason!;
    expect(reason).toMatchObject({ kind: 'content_policy', providerCode: 'moderation_blocked', input: 'prompt' });
    expect(reason.message).toMatch(/Your request was blocked by our moderation system\./);
  });
});

describe('job-level recovery: a new job for a lost one, bounded', () => {
  it('job failed (processing_error) → one new job', async () => {
    const run = await produce('perr', [
      { match: { method: 'POST', path: '/v1/videos' }, action: { type: 'job_failed', code: 'processing_error' } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(2);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_failed', 'ready']);
    expectJobsMatchAttempts(run, 'perr');
  });

  it("reconciling an ambiguous create never takes the scene's earlier failed job for the new one", async () => {
    // Job 1 fails; the create of job 2 gets a 500 (no job made); the retry lists videos, where job 1 matches the
    // same prompt, model, size and seconds — it must be skipped and job 2 created.
    const run = await produce('refail', [
      { match: { method: 'POST', path: '/v1/videos', nth: 1 }, action: { type: 'job_failed', code: 'processing_error' } },
      { match: { method: 'POST', path: '/v1/videos', nth: 2 }, action: { type: 'http', status: 500 } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => [a.outcome, a.reconciled])).toEqual([
      ['job_failed', false],
      ['ready', false],
    ]);
    expect(creates(run.log).map((r) => r.status)).toEqual([200, 500, 200]);
    expectJobsMatchAttempts(run, 'refail');
  });

  it('job stuck past its deadline → abandoned, one new job', async () => {
    const run = await produce('stuck', [{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'job_stuck', atProgress: 99 } }], {
      settings: { jobDeadlineSeconds: 3 },
    });
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_stuck', 'ready']);
    expectJobsMatchAttempts(run, 'stuck');
  });

  it('content expired (404) → one new job', async () => {
    const run = await produce('expired', [{ match: { method: 'GET', path: '/v1/videos/*/content' }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['output_expired', 'ready']);
    expectJobsMatchAttempts(run, 'expired');
  });

  it.each(['content_truncated', 'content_corrupt'] as const)('%s → downloaded again, same job', async (type) => {
    const run = await produce(type.replace('_', ''), [{ match: { method: 'GET', path: '/v1/videos/*/content' }, action: { type } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(run.log.filter((r) => r.path.endsWith('/content')).length).toBe(2);
  });

  it('a download that stalls (no bytes for the idle timeout) is abandoned and downloaded again', async () => {
    const run = await produce(
      'stall',
      [{ match: { method: 'GET', path: '/v1/videos/*/content' }, action: { type: 'content_stall', afterBytes: 20_000 } }],
      { settings: { requestTimeoutMs: 1500 } },
    );
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(run.log.filter((r) => r.path.endsWith('/content')).length).toBe(2);
  });

  it('a job failing every time stops after maxJobAttempts', async () => {
    const run = await produce(
      'always',
      [{ match: { method: 'POST', path: '/v1/videos', times: -1 }, action: { type: 'job_failed', code: 'processing_error' } }],
      { settings: { maxJobAttempts: 2 } },
    );
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(2);
    mock.setFaults([]);
  });
});

describe('a 12-scene production with about 30 % of requests faulted (seeded)', () => {
  it('completes with a valid final.mp4, and jobs per scene = 1 + replaced jobs', async () => {
    const faults = seededFaults({ seed: 42, rate: 0.42, requestsPerRoute: 120, retryAfterS: 1 });
    const run = await produce('chaos30', faults, { scenes: 12 });
    expect(run.result?.state).toBe('completed');
    const s = await streamsOf(run.result!.outputPath!);
    expect([s.video.length, s.audio.length, s.frames]).toEqual([1, 1, 12 * 4 * 24]);
    expectJobsMatchAttempts(run, 'chaos30');
    const faulted = run.log.filter((r) => r.fault).length;
    const retries = run.log.filter((r) => r.status >= 400 || r.status === 0).length;
    const waits = run.log.filter((r) => r.method === 'GET' && /^\/v1\/videos\/[^/]+$/.test(r.path)).length;
    console.log(
      `chaos30: ${run.log.length} requests, ${faulted} faulted (${Math.round((100 * faulted) / run.log.length)} %), creates ${creates(run.log).length} for 12 scenes, failed requests retried ${retries}, status polls ${waits}`,
    );
    expect(faulted / run.log.length).toBeGreaterThan(0.2);
    expect(faulted / run.log.length).toBeLessThan(0.45);
  });
});

describe('the API key never leaks', () => {
  it('appears in no log line, error, manifest or workflow history', async () => {
    const run = await produce('secret', [
      {
        match: { method: 'POST', path: '/v1/videos', times: -1 },
        action: { type: 'http', status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided' },
      },
    ]);
    expect(run.error).toBeDefined();
    const haystacks: string[] = [run.error!.message, JSON.stringify(run.progress)];
    const logs = (globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs ?? [];
    expect(logs.length).toBeGreaterThan(0);
    haystacks.push(...logs.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`));
    for (const id of ['oa-secret', 'oa-ra3', 'oa-chaos30']) {
      const manifest = await readFile(join(tw.outDir, id, 'manifest.json'), 'utf8');
      haystacks.push(manifest);
      for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = '${id}' OR WorkflowId STARTS_WITH '${id}/'` })) {
        haystacks.push(JSON.stringify(await tw.temporal.workflow.getHandle(w.workflowId).fetchHistory()));
      }
    }
    expect(haystacks.length).toBeGreaterThan(10);
    for (const h of haystacks) expect(h.includes(KEY)).toBe(false);
    // and this very key was used (its hash reached the mock), so the search is meaningful
    const sent = mock.requests().filter((r) => r.auth);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((r) => r.auth!.sha256 === credentialSha256(KEY))).toBe(true);
    mock.setFaults([]);
  });
});

describe('review gate on a provider with remix', () => {
  it('a rejected take becomes a remix of the rejected job, and the rejected clip is kept', async () => {
    mock.setFaults([]);
    const dir = await tempDir();
    const sb = { ...storyboard('review', 1), review: { scenes: 'all' } };
    const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: 'oa-review' });
    await tw.client.submit(plan);
    let p = await tw.client.status('oa-review');
    while (p.scenes[0]!.state !== 'awaiting_review') {
      await new Promise((r) => setTimeout(r, 200));
      p = await tw.client.status('oa-review');
    }
    const rejected = p.scenes[0]!.clip!;
    const since = Date.now();
    await tw.client.review('oa-review', { sceneId: 's1', decision: 'reject', note: 'the lamp should be lit' });
    while ((p = await tw.client.status('oa-review')).scenes[0]!.state !== 'awaiting_review' || p.scenes[0]!.take !== 2) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const remix = mock.requests().filter((r) => r.time >= since && r.method === 'POST' && r.path === `/v1/videos/${rejected.jobId}/remix`);
    expect(remix).toHaveLength(1);
    expect(mock.requests().filter((r) => r.time >= since && r.method === 'POST' && r.path === '/v1/videos')).toHaveLength(0);
    expect(p.scenes[0]!.rejectedTakes[0]!.clip.sha256).toBe(rejected.sha256);
    await tw.client.review('oa-review', { sceneId: 's1', decision: 'approve' });
    expect((await tw.client.result('oa-review')).state).toBe('completed');
  });
});

describe('extend: the provider stitches, the final video does not repeat footage', () => {
  it('keeps only the new part of an extension', async () => {
    mock.setFaults([]);
    const dir = await tempDir();
    const sb = storyboard('extend', 2);
    (sb.scenes[1] as Record<string, unknown>).continuity = 'extend';
    const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: 'oa-extend' });
    await tw.client.submit(plan);
    const result = await tw.client.result('oa-extend');
    const manifest = JSON.parse(await readFile(result.manifestPath, 'utf8')) as Manifest;
    const s = await streamsOf(result.outputPath!);
    expect(s.frames).toBe(8 * 24); // 4 + 4, not 4 + 8
    expect(mock.requests().some((r) => r.method === 'POST' && r.path === '/v1/videos/extensions')).toBe(true);
    const patch = async (t: number) => patchColor(await frameRgb(result.outputPath!, t), 8, 8, 24);
    const first = await patch(2);
    const second = await patch(6);
    // scene 2's span shows the extension's new footage from its first frame, not scene 1 again
    expect(colorDistance(first, second)).toBeGreaterThan(30);
    expect(colorDistance(await patch(4.3), second)).toBeLessThan(12);
    expect(manifest.scenes[1]!.clip?.durationS).toBeCloseTo(4, 2);
  });
});
