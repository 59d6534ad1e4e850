/**
 * The replicate provider against the faithful mock, one fault at a time, counting creates in the mock's log: a
 * prediction is paid for once per job, and predictions per scene = 1 + job failures + stuck jobs + expiries.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '@temporalio/worker';
import { ProductionFailedError } from '../../src/client/index.js';
import type { RequestLogEntry } from '../../src/mock/kit/index.js';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startReplicateMock, versionOf, type FaultRule, type MockModel, type ReplicateMock } from '../../src/mock/replicate/server.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'r8_test-DO-NOT-LEAK-4c1d9e';
const CREATE = '/v1/models/google/veo-3.1-fast/predictions';
/** A community model the storyboard declares itself (not in storyreel's catalog), run by version. */
const TINY: MockModel = {
  name: 'acme/tiny-video',
  official: false,
  version: versionOf('acme/tiny-video'),
  fields: {
    text: { type: 'string', required: true },
    seconds: { type: 'integer', default: 3, enum: [3, 6] },
    shape: { type: 'string', default: 'wide', enum: ['wide', 'tall'] },
  },
  seconds: (i) => Number(i.seconds),
  fps: 24,
  sizes: [
    { when: { shape: 'wide' }, width: 640, height: 360 },
    { when: { shape: 'tall' }, width: 360, height: 640 },
  ],
  audio: false,
  output: 'url',
};

let mock: ReplicateMock;
let tw: TestWorker;

beforeAll(async () => {
  mock = await startReplicateMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 60 }, extraModels: [TINY] });
  tw = await startTestWorker({ env: { REPLICATE_API_TOKEN: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const storyboard = (tag: string, scenes: number, settings: Record<string, unknown> = {}) => ({
  title: `Replicate ${tag}`,
  defaults: { provider: 'replicate', model: 'google/veo-3.1-fast', size: '1280x720', seconds: 4, maxParallelScenes: 4 },
  output: { captions: false },
  providers: {
    replicate: { baseURL: mock.baseURL, pollIntervalMs: 50, jobDeadlineSeconds: 30, requestTimeoutMs: 3000, ...settings },
  },
  scenes: Array.from({ length: scenes }, (_, i) => ({ id: `s${i + 1}`, prompt: `A harbour scene ${i + 1} for ${tag}` })),
});

interface Run {
  result?: ProductionResult;
  error?: ProductionFailedError;
  log: RequestLogEntry[];
  progress: ProductionProgress;
}

async function produce(
  tag: string,
  faults: FaultRule[],
  opts: { scenes?: number; settings?: Record<string, unknown>; sb?: unknown } = {},
): Promise<Run> {
  mock.setFaults(faults);
  const since = Date.now();
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, opts.sb ?? storyboard(tag, opts.scenes ?? 1, opts.settings)), {
    productionId: `rep-${tag}`,
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
  mock.setFaults([]);
  return { ...(result ? { result } : {}), ...(error ? { error } : {}), log: mock.requests().filter((r) => r.time >= since), progress };
}

const creates = (log: RequestLogEntry[]) => log.filter((r) => r.method === 'POST' && (r.path === CREATE || r.path === '/v1/predictions'));
const predictionsFor = (tag: string) => mock.predictions().filter((p) => String(p.input.prompt ?? '').includes(` for ${tag}`));
const downloads = (log: RequestLogEntry[]) => log.filter((r) => r.path.startsWith('/files/'));
/** Predictions made for each scene = its attempts = 1 + the jobs that were replaced. */
function expectJobsMatchAttempts(run: Run, tag: string) {
  for (const s of run.progress.scenes) {
    const made = mock.predictions().filter((p) => String(p.input.prompt ?? '').startsWith(`A harbour scene ${s.id.slice(1)} for ${tag}.`));
    const replaced = s.attempts.filter((a) => ['job_failed', 'job_stuck', 'output_expired'].includes(a.outcome ?? '')).length;
    expect(made.length, `predictions for ${tag}/${s.id}`).toBe(s.attempts.length);
    expect(s.attempts.length, `${tag}/${s.id}`).toBe(1 + replaced);
  }
}

describe('creates are sent once, with the deadline, and never twice for one job', () => {
  it("a create carries Cancel-After = the job deadline and the key (hashed in the log); the clip is the model's", async () => {
    const run = await produce('plain', []);
    expect(run.result?.state).toBe('completed');
    const [post] = creates(run.log);
    expect(post!.headers['cancel-after']).toBe('30s');
    expect(post!.auth).toEqual({ header: 'authorization', scheme: 'Bearer', sha256: credentialSha256(KEY) });
    // The output URL is fetched without the key.
    expect(downloads(run.log)[0]!.auth).toBeUndefined();
    const s = await streamsOf(run.result!.outputPath!);
    expect([s.width, s.height, s.frames, s.audio.length]).toEqual([1280, 720, 96, 1]);
  });

  it('429 with Retry-After: 3 — the next create comes no sooner than 3 s later', async () => {
    const run = await produce('ra3', [{ match: { method: 'POST', path: CREATE }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.status)).toEqual([429, 201]);
    expect(posts[1]!.time - (posts[0]!.time + posts[0]!.durationMs)).toBeGreaterThanOrEqual(2950);
    expect(predictionsFor('ra3')).toHaveLength(1);
  });

  it('429 with Retry-After on a status read: not repeated by the SDK; the next read waits', async () => {
    const run = await produce('poll429', [
      { match: { method: 'GET', path: '/v1/predictions/*' }, action: { type: 'rate_limit', retryAfter: 2 } },
    ]);
    expect(run.result?.state).toBe('completed');
    const reads = run.log.filter((r) => r.method === 'GET' && /^\/v1\/predictions\/[^/]+$/.test(r.path));
    const i = reads.findIndex((r) => r.status === 429);
    expect(reads[i + 1]!.time - (reads[i]!.time + reads[i]!.durationMs)).toBeGreaterThanOrEqual(1950);
  });

  it.each([500, 502, 503])('%i on create: reconciled (list) before the one new POST', async (status) => {
    const tag = `h${status}`;
    const run = await produce(tag, [
      { match: { method: 'POST', path: CREATE }, action: { type: 'http', status, ...(status === 502 ? { html: true } : {}) } },
    ]);
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.status)).toEqual([status, 201]);
    const between = run.log.filter((r) => r.time > posts[0]!.time && r.time < posts[1]!.time);
    expect(between.some((r) => r.method === 'GET' && r.path === '/v1/predictions')).toBe(true);
    expect(predictionsFor(tag)).toHaveLength(1);
  });

  it('accept-then-drop: the prediction exists though the client never heard — found by its inputs, not created again', async () => {
    const run = await produce('drop', [{ match: { method: 'POST', path: CREATE }, action: { type: 'accept_then_drop' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(predictionsFor('drop')).toHaveLength(1);
    expect(run.progress.scenes[0]!.attempts[0]!.reconciled).toBe(true);
    expect(run.log.some((r) => r.method === 'GET' && r.path === '/v1/predictions' && r.query.includes('created_after='))).toBe(true);
  });

  it('a reset on create: one prediction at most', async () => {
    const run = await produce('reset', [{ match: { method: 'POST', path: CREATE }, action: { type: 'reset' } }]);
    expect(run.result?.state).toBe('completed');
    expect(predictionsFor('reset')).toHaveLength(1);
  });
});

describe('non-retryable kinds fail with the precise reason, without another create', () => {
  it('quota (402 Insufficient credit)', async () => {
    const run = await produce('quota', [{ match: { method: 'POST', path: CREATE, times: -1 }, action: { type: 'quota' } }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'quota_exhausted', providerCode: 'Insufficient credit' });
  });

  it("moderation (E005): content_policy with the provider's text, never retried", async () => {
    const run = await produce('mod', [{ match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'E005' } }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    const reason = run.progress.scenes[0]!.reason!;
    expect(reason).toMatchObject({ kind: 'content_policy', providerCode: 'E005', input: 'prompt' });
    expect(reason.message).toMatch(/flagged as sensitive/);
  });
});

describe('job-level recovery: a new job for a lost one, bounded', () => {
  it('a prediction that fails (E1000) → one new prediction', async () => {
    const run = await produce('fail', [
      { match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'E1000', atProgress: 30 } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(2);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_failed', 'ready']);
    expectJobsMatchAttempts(run, 'fail');
  });

  it('a prediction that never finishes: Replicate cancels it at the Cancel-After deadline → one new prediction', async () => {
    const run = await produce('stuck', [{ match: { method: 'POST', path: CREATE }, action: { type: 'job_stuck', atProgress: 40 } }], {
      settings: { jobDeadlineSeconds: 3 },
    });
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_stuck', 'ready']);
    expect(creates(run.log).map((r) => r.headers['cancel-after'])).toEqual(['3s', '3s']);
    const [stuck] = predictionsFor('stuck');
    expect([stuck!.status, stuck!.completed_at]).toEqual(['canceled', stuck!.deadline]);
    expectJobsMatchAttempts(run, 'stuck');
  });

  it('an expired output (the URL answers 404) → one new prediction', async () => {
    const run = await produce('expired', [{ match: { method: 'GET', path: '/files/*/*' }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['output_expired', 'ready']);
    expectJobsMatchAttempts(run, 'expired');
  });

  it.each(['content_truncated', 'content_corrupt'] as const)('%s → downloaded again, same prediction', async (type) => {
    const run = await produce(type.replace('_', ''), [{ match: { method: 'GET', path: '/files/*/*' }, action: { type } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(downloads(run.log)).toHaveLength(2);
  });
});

describe('a model the storyboard declares (not in the catalog), run by version', () => {
  it('maps the prompt, length and size onto the declared fields and completes', async () => {
    const sb = {
      ...storyboard('tiny', 2, {
        models: {
          'acme/tiny-video': {
            version: TINY.version,
            seconds: [3, 6],
            sizes: { '640x360': { shape: 'wide' }, '360x640': { shape: 'tall' } },
            fields: { prompt: 'text', duration: 'seconds' },
            usdPerSecond: 0.01,
          },
        },
      }),
    };
    Object.assign(sb.defaults, { model: 'acme/tiny-video', size: '640x360', seconds: 3 });
    const run = await produce('tiny', [], { sb });
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.path)).toEqual(['/v1/predictions', '/v1/predictions']);
    const made = mock.predictions().filter((p) => p.model === 'acme/tiny-video');
    expect(made.map((p) => [p.version, p.input.seconds, p.input.shape])).toEqual([
      [TINY.version, 3, 'wide'],
      [TINY.version, 3, 'wide'],
    ]);
    const s = await streamsOf(run.result!.outputPath!);
    expect([s.width, s.height, s.frames]).toEqual([640, 360, 6 * 24]);
  });
});

describe('the API key never leaks', () => {
  it('appears in no log line, error, manifest or workflow history', async () => {
    const run = await produce('secret', [
      {
        match: { method: 'POST', path: CREATE, times: -1 },
        action: { type: 'http', status: 401, message: 'You did not pass a valid authentication token' },
      },
    ]);
    expect(run.error).toBeDefined();
    expect(run.progress.scenes[0]!.reason?.kind).toBe('auth');
    const haystacks: string[] = [run.error!.message, JSON.stringify(run.progress)];
    const logs = (globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs ?? [];
    expect(logs.length).toBeGreaterThan(0);
    haystacks.push(...logs.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`));
    for (const id of ['rep-secret', 'rep-plain', 'rep-drop', 'rep-mod']) {
      haystacks.push(await readFile(join(tw.outDir, id, 'manifest.json'), 'utf8'));
      for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = '${id}' OR WorkflowId STARTS_WITH '${id}/'` })) {
        haystacks.push(JSON.stringify(await tw.temporal.workflow.getHandle(w.workflowId).fetchHistory()));
      }
    }
    expect(haystacks.length).toBeGreaterThan(10);
    for (const h of haystacks) expect(h.includes(KEY)).toBe(false);
    // and the key really was sent (so the search means something)
    expect(mock.requests().some((r) => r.auth?.sha256 === credentialSha256(KEY))).toBe(true);
  });
});
