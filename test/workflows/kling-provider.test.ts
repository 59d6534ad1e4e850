/**
 * The kling provider against the faithful mock, one fault at a time, counting creates in the mock's log: a task is
 * paid for once per job, tasks per scene = 1 + job failures + stuck jobs + expiries, and a create whose answer was
 * lost is found by its external_task_id, never sent again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '@temporalio/worker';
import { ProductionFailedError } from '../../src/client/index.js';
import type { RequestLogEntry } from '../../src/mock/kit/index.js';
import { startKlingMock, type FaultRule, type KlingMock } from '../../src/mock/kling/server.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const AK = 'ak-DO-NOT-LEAK-51e0c2';
const SK = 'sk-DO-NOT-LEAK-8a7d44f1';
const WRONG_SK = 'sk-WRONG-DO-NOT-LEAK-0b9e';
const CREATE = '/v1/videos/text2video';

let mock: KlingMock;
let tw: TestWorker;

beforeAll(async () => {
  mock = await startKlingMock({ accessKey: AK, secretKey: SK, timing: { queuedMs: 50, msPerVideoSecond: 60 } });
  tw = await startTestWorker({ env: { KLING_ACCESS_KEY: AK, KLING_SECRET_KEY: SK, WRONG_KLING_SECRET: WRONG_SK } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const storyboard = (tag: string, scenes: number, settings: Record<string, unknown> = {}, baseURL = mock.baseURL) => ({
  title: `Kling ${tag}`,
  defaults: { provider: 'kling', model: 'kling-v3', size: '1280x720', seconds: 3, maxParallelScenes: 4 },
  output: { captions: false },
  providers: { kling: { baseURL, pollIntervalMs: 50, jobDeadlineSeconds: 30, requestTimeoutMs: 3000, ...settings } },
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
  opts: { scenes?: number; settings?: Record<string, unknown>; on?: KlingMock; resume?: boolean } = {},
): Promise<Run> {
  const m = opts.on ?? mock;
  m.setFaults(faults);
  const since = Date.now();
  const id = `kling-${tag}`;
  if (opts.resume) await tw.client.resume(id, {});
  else {
    const dir = await tempDir();
    const sb = storyboard(tag, opts.scenes ?? 1, opts.settings, m.baseURL);
    const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: id });
    await tw.client.submit(plan, { timeouts: { submitS: 20, heartbeatS: 10 } });
  }
  let result: ProductionResult | undefined;
  let error: ProductionFailedError | undefined;
  try {
    result = await tw.client.result(id);
  } catch (err) {
    if (!(err instanceof ProductionFailedError)) throw err;
    error = err;
  }
  const progress = await tw.client.status(id);
  m.setFaults([]);
  return { ...(result ? { result } : {}), ...(error ? { error } : {}), log: m.requests().filter((r) => r.time >= since), progress };
}

const creates = (log: RequestLogEntry[]) => log.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/videos/'));
const lookups = (log: RequestLogEntry[]) =>
  log.filter((r) => r.method === 'GET' && /^\/v1\/videos\/text2video\/sr-[0-9a-f]{40}$/.test(r.path));
const downloads = (log: RequestLogEntry[]) => log.filter((r) => r.path.startsWith('/kcdn/'));
/** Tasks made for each scene = its attempts = 1 + the jobs that were replaced. */
function expectTasksMatchAttempts(run: Run) {
  for (const s of run.progress.scenes) {
    const made = new Set(
      creates(run.log)
        .filter((r) => (r.status === 200 || r.status === 0) && r.jobId)
        .map((r) => r.jobId),
    );
    const replaced = s.attempts.filter((a) => ['job_failed', 'job_stuck', 'output_expired'].includes(a.outcome ?? '')).length;
    expect(made.size, `tasks for ${s.id}`).toBe(s.attempts.length);
    expect(s.attempts.length, s.id).toBe(1 + replaced);
  }
}

describe('creates are sent once and never twice for one job', () => {
  it('a create is signed with the keys (the mock verifies the JWT) and carries an external_task_id; the clip is 720p with sound', async () => {
    const run = await produce('plain', []);
    expect(run.result?.state).toBe('completed');
    const [post] = creates(run.log);
    expect([post!.status, post!.auth?.scheme]).toEqual([200, 'Bearer']);
    expect(mock.tasks().find((t) => t.task_id === post!.jobId)!.task_info.external_task_id).toMatch(/^sr-[0-9a-f]{40}$/);
    expect(downloads(run.log).map((r) => r.auth)).toEqual([undefined]); // the CDN URL gets no token
    const s = await streamsOf(run.result!.outputPath!);
    expect([s.width, s.height, s.frames, s.audio.length]).toEqual([1280, 720, 72, 1]);
  });

  it('429 (1302) with Retry-After: 3 — the next create comes no sooner than 3 s later; one task', async () => {
    const run = await produce('ra3', [{ match: { method: 'POST', path: CREATE }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1]!.time - (posts[0]!.time + posts[0]!.durationMs)).toBeGreaterThanOrEqual(2950);
    // Refused, so nothing to reconcile: no lookup between the two.
    expect(lookups(run.log)).toHaveLength(0);
  });

  it('429 with Retry-After on a query: the next query waits', async () => {
    const run = await produce('poll429', [
      { match: { method: 'GET', path: '/v1/videos/text2video/*' }, action: { type: 'rate_limit', retryAfter: 2 } },
    ]);
    expect(run.result?.state).toBe('completed');
    const reads = run.log.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/videos/text2video/'));
    const i = reads.findIndex((r) => r.status === 429);
    expect(reads[i + 1]!.time - (reads[i]!.time + reads[i]!.durationMs)).toBeGreaterThanOrEqual(1950);
  });

  it.each([500, 502, 503])('%i on create: looked up by its external_task_id before the one new POST', async (status) => {
    const run = await produce(`h${status}`, [
      { match: { method: 'POST', path: CREATE }, action: { type: 'http', status, ...(status === 502 ? { html: true } : {}) } },
    ]);
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.status)).toEqual([status, 200]);
    const between = lookups(run.log).filter((r) => r.time >= posts[0]!.time && r.time <= posts[1]!.time);
    expect(between.map((r) => r.status)).toEqual([404]);
    expectTasksMatchAttempts(run);
  });

  it('accept-then-drop: the task exists though the client never heard — found by its external_task_id, not created again', async () => {
    const run = await produce('drop', [{ match: { method: 'POST', path: CREATE }, action: { type: 'accept_then_drop' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.attempts[0]!.reconciled).toBe(true);
    // Generation 0 of its id is there; generation 1 is not: that task is the one.
    expect(lookups(run.log).map((r) => r.status)).toEqual([200, 404]);
    expect(run.progress.scenes[0]!.attempts[0]!.jobId).toBe(`text2video:${creates(run.log)[0]!.jobId}`);
  });

  it('a reset on create: one task at most', async () => {
    const run = await produce('reset', [{ match: { method: 'POST', path: CREATE }, action: { type: 'reset' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log).map((r) => r.status)).toEqual([0, 200]);
    expectTasksMatchAttempts(run);
  });

  it('1303 at the resource pack’s concurrency: the scene waits and goes on; one task per scene', async () => {
    const narrow = await startKlingMock({ accessKey: AK, secretKey: SK, concurrency: 1, timing: { queuedMs: 50, msPerVideoSecond: 100 } });
    try {
      const run = await produce('conc', [], { scenes: 2, on: narrow });
      expect(run.result?.state).toBe('completed');
      const posts = creates(run.log);
      expect(posts.filter((r) => r.status === 429).length).toBeGreaterThan(0);
      expect(posts.filter((r) => r.status === 200)).toHaveLength(2);
      expect(narrow.tasks()).toHaveLength(2);
    } finally {
      await narrow.close();
    }
  });
});

describe('non-retryable kinds fail with the precise reason, without another create', () => {
  it('quota (429, code 1102: resource pack depleted)', async () => {
    const run = await produce('quota', [{ match: { method: 'POST', path: CREATE, times: -1 }, action: { type: 'quota' } }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'quota_exhausted', providerCode: '1102' });
  });

  it('content refused at create (1301): content_policy naming the prompt, never retried', async () => {
    const run = await produce('mod', [{ match: { method: 'POST', path: CREATE }, action: { type: 'http', status: 400, code: '1301' } }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'content_policy', providerCode: '1301', input: 'prompt' });
  });
});

describe('job-level recovery: a new job for a lost one, bounded', () => {
  it('a task that fails (internal error) → one new task', async () => {
    const run = await produce('fail', [
      { match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'internal_error', atProgress: 30 } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log).map((r) => r.status)).toEqual([200, 200]);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_failed', 'ready']);
    expectTasksMatchAttempts(run);
  });

  it('a task that fails the risk control after acceptance → a job failure with Kling’s reason (no failure code exists), then a new task', async () => {
    const run = await produce('risk', [{ match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'risk_control' } }]);
    expect(run.result?.state).toBe('completed');
    const [first] = run.progress.scenes[0]!.attempts;
    expect(first!.outcome).toBe('job_failed');
    expectTasksMatchAttempts(run);
  });

  it('a task that never finishes: abandoned at the job deadline → one new task', async () => {
    const run = await produce('stuck', [{ match: { method: 'POST', path: CREATE }, action: { type: 'job_stuck', atProgress: 40 } }], {
      settings: { jobDeadlineSeconds: 3 },
    });
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_stuck', 'ready']);
    expect(creates(run.log)).toHaveLength(2);
    expectTasksMatchAttempts(run);
  });

  it('an expired output (the URL answers 404) → one new task', async () => {
    const run = await produce('expired', [{ match: { method: 'GET', path: '/kcdn/*/*' }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['output_expired', 'ready']);
    expectTasksMatchAttempts(run);
  });

  it.each(['content_truncated', 'content_corrupt'] as const)('%s → downloaded again, same task', async (type) => {
    const run = await produce(type.replace('_', ''), [{ match: { method: 'GET', path: '/kcdn/*/*' }, action: { type } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(downloads(run.log)).toHaveLength(2);
  });

  it('a resumed production whose job failed: its id is taken by the failed task, so the next generation is created', async () => {
    const failed = await produce('resume', [{ match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'timeout' } }], {
      settings: { maxJobAttempts: 1 },
    });
    expect(failed.error).toBeDefined();
    expect(creates(failed.log).map((r) => r.status)).toEqual([200]);
    const resumed = await produce('resume', [], { resume: true });
    expect(resumed.result?.state).toBe('completed');
    // The same clientRef: Kling refuses the taken id (nothing created), the lookup finds the failed task, the next
    // generation is the one paid create.
    expect(creates(resumed.log).map((r) => r.status)).toEqual([400, 200]);
    const ids = [...creates(failed.log), ...creates(resumed.log)]
      .filter((r) => r.status === 200)
      .map((r) => mock.tasks().find((t) => t.task_id === r.jobId)!.task_info.external_task_id);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('the keys never leak', () => {
  it('neither key appears in a log line, error, manifest or workflow history', async () => {
    const run = await produce('secret', [], { settings: { secretKeyEnv: 'WRONG_KLING_SECRET' } });
    expect(run.error).toBeDefined();
    // The mock verified the token's signature and refused it: the wrong secret was used, and said so by code.
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'auth', providerCode: '1002' });
    const haystacks: string[] = [run.error!.message, JSON.stringify(run.progress)];
    const logs = (globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs ?? [];
    expect(logs.length).toBeGreaterThan(0);
    haystacks.push(...logs.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`));
    for (const id of ['kling-secret', 'kling-plain', 'kling-drop', 'kling-mod']) {
      haystacks.push(await readFile(join(tw.outDir, id, 'manifest.json'), 'utf8'));
      for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = '${id}' OR WorkflowId STARTS_WITH '${id}/'` })) {
        haystacks.push(JSON.stringify(await tw.temporal.workflow.getHandle(w.workflowId).fetchHistory()));
      }
    }
    haystacks.push(JSON.stringify(mock.requests()));
    expect(haystacks.length).toBeGreaterThan(10);
    for (const h of haystacks) for (const secret of [AK, SK, WRONG_SK]) expect(h.includes(secret)).toBe(false);
  });
});
