/**
 * The runway provider against the Runway mock through real workflows, one fault at a time, counting creates in the
 * mock's log: one create per paid task. A refused create (429 with Retry-After, a 503 while Runway sheds load) is sent
 * again after its wait; a create that may have made a task (500, a dropped answer, a reset) is never sent again
 * (Runway has no client-chosen id and no task list: the scene fails closed with ambiguous_submit for an operator);
 * tasks per scene = 1 + failed, stuck and expired tasks; THROTTLED tasks simply wait.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { credentialSha256, type RequestLogEntry } from '../../src/mock/kit/index.js';
import { startRunwayMock, type FaultRule, type RunwayMock } from '../../src/mock/runway/server.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'key_runway-DO-NOT-LEAK-9f3e21';
const CREATE = '/v1/text_to_video';
const FILES = '/files/*/*';
let mock: RunwayMock;
let tw: TestWorker;

beforeAll(async () => {
  // Tier 1: two tasks of a model run at once, the rest wait THROTTLED.
  mock = await startRunwayMock({ apiKey: KEY, recordBodies: true, timing: { queuedMs: 50, msPerVideoSecond: 60 } });
  tw = await startTestWorker({ env: { RUNWAYML_API_SECRET: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const storyboard = (tag: string, scenes: number, settings: Record<string, unknown> = {}) => ({
  title: `Runway ${tag}`,
  defaults: { provider: 'runway', model: 'gen4.5', size: '1280x720', seconds: 3, maxParallelScenes: 4 },
  output: { captions: false },
  providers: { runway: { baseURL: mock.baseURL, pollIntervalMs: 50, jobDeadlineSeconds: 30, requestTimeoutMs: 5000, ...settings } },
  scenes: Array.from({ length: scenes }, (_, i) => ({ id: `s${i + 1}`, prompt: `A harbour scene ${i + 1} for ${tag}` })),
});

interface Run {
  result?: ProductionResult;
  error?: ProductionFailedError;
  log: RequestLogEntry[];
  progress: ProductionProgress;
}

async function produce(tag: string, faults: FaultRule[], opts: { scenes?: number; settings?: Record<string, unknown> } = {}): Promise<Run> {
  mock.setFaults(faults);
  const since = Date.now();
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard(tag, opts.scenes ?? 1, opts.settings)), {
    productionId: `rw-${tag}`,
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

const creates = (log: RequestLogEntry[]) =>
  log.filter((r) => r.method === 'POST' && (r.path === CREATE || r.path === '/v1/image_to_video'));
const tasksFor = (tag: string) => mock.tasks().filter((t) => t.promptText.includes(` for ${tag}`));
const downloads = (log: RequestLogEntry[]) => log.filter((r) => r.path.startsWith('/files/'));

describe('creates are sent once, and a refused one again only after its wait', () => {
  it('a plain scene: the version header and the key (hashed) on the create, no key on the output URL; the clip is the model’s', async () => {
    const run = await produce('plain', []);
    expect(run.result?.state).toBe('completed');
    const [post] = creates(run.log);
    expect(post!.headers['x-runway-version']).toBe('2024-11-06');
    expect(post!.auth).toEqual({ header: 'authorization', scheme: 'Bearer', sha256: credentialSha256(KEY) });
    expect(post!.retryCount).toBe(0);
    expect(downloads(run.log)[0]!.auth).toBeUndefined();
    const s = await streamsOf(run.result!.outputPath!);
    expect([s.width, s.height, s.frames]).toEqual([1280, 720, 72]);
  });

  it('429 with Retry-After: 3 — the next create comes no sooner than 3 s later; one task', async () => {
    const run = await produce('ra3', [{ match: { method: 'POST', path: CREATE }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1]!.time - (posts[0]!.time + posts[0]!.durationMs)).toBeGreaterThanOrEqual(2950);
    expect(tasksFor('ra3')).toHaveLength(1);
  });

  it('503 (Runway shedding load: nothing created) → sent again; one task', async () => {
    const run = await produce('h503', [{ match: { method: 'POST', path: CREATE }, action: { type: 'http', status: 503 } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log).map((r) => r.status)).toEqual([503, 200]);
    expect(tasksFor('h503')).toHaveLength(1);
  });

  it.each([
    ['h500', { type: 'http', status: 500 }],
    ['drop', { type: 'accept_then_drop' }],
    ['reset', { type: 'reset' }],
  ] as const)('%s: the create may have made a task → never sent again; the scene fails closed (ambiguous_submit)', async (tag, action) => {
    const run = await produce(tag, [{ match: { method: 'POST', path: CREATE }, action }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'ambiguous_submit' });
    expect(run.progress.scenes[0]!.reason!.message).toMatch(/will not post again/);
    // the dropped create really made a task, which the operator is told to look for
    expect(tasksFor(tag)).toHaveLength(tag === 'drop' ? 1 : 0);
  });

  it('THROTTLED tasks wait their turn (queued, not failed): three scenes under a concurrency of one, one create each', async () => {
    const slow = await startRunwayMock({
      apiKey: KEY,
      recordBodies: true,
      concurrency: 1,
      timing: { queuedMs: 50, msPerVideoSecond: 400 },
    });
    try {
      const run = await produce('throttled', [], { scenes: 3, settings: { baseURL: slow.baseURL } });
      expect(run.result?.state).toBe('completed');
      const log = slow.requests();
      expect(creates(log)).toHaveLength(3);
      const statuses = log.flatMap((r) => (r.path.startsWith('/v1/tasks/') ? [(r.responseBody as { status?: string }).status] : []));
      expect(statuses).toContain('THROTTLED');
      expect(run.progress.scenes.map((s) => s.attempts.map((a) => a.outcome))).toEqual([['ready'], ['ready'], ['ready']]);
    } finally {
      await slow.close();
    }
  });
});

describe('non-retryable kinds fail with the precise reason, without another create', () => {
  it('out of credit → quota_exhausted (the organization shows a 0 balance)', async () => {
    const run = await produce('quota', [{ match: { method: 'POST', path: CREATE, times: -1 }, action: { type: 'quota' } }]);
    mock.reset(); // the quota fault emptied the balance: refill it for the next tests
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.log.some((r) => r.path === '/v1/organization')).toBe(true);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'quota_exhausted', providerCode: 'insufficient_credits' });
  });

  it('SAFETY.INPUT.TEXT → content_policy naming the prompt, never retried', async () => {
    const run = await produce('mod', [
      { match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'SAFETY.INPUT.TEXT' } },
    ]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    const reason = run.progress.scenes[0]!.reason!;
    expect(reason).toMatchObject({ kind: 'content_policy', providerCode: 'SAFETY.INPUT.TEXT' });
    expect(reason.message).toMatch(/the input prompt was refused by moderation/);
  });

  it('SAFETY.OUTPUT.VIDEO → content_policy naming the output, never retried', async () => {
    const run = await produce('modout', [
      { match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'SAFETY.OUTPUT.VIDEO' } },
    ]);
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason!.message).toMatch(/the output was refused by moderation/);
  });
});

describe('task-level recovery: a new task for a lost one, bounded', () => {
  it('INTERNAL.BAD_OUTPUT → one new task', async () => {
    const run = await produce('fail', [
      { match: { method: 'POST', path: CREATE }, action: { type: 'job_failed', code: 'INTERNAL.BAD_OUTPUT.CODE01', atProgress: 30 } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(2);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_failed', 'ready']);
    expect(tasksFor('fail')).toHaveLength(2);
  });

  it('a task that never finishes → abandoned at its deadline and deleted on Runway, one new task', async () => {
    const run = await produce('stuck', [{ match: { method: 'POST', path: CREATE }, action: { type: 'job_stuck', atProgress: 40 } }], {
      settings: { jobDeadlineSeconds: 3 },
    });
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_stuck', 'ready']);
    const stuckId = run.progress.scenes[0]!.attempts[0]!.jobId;
    expect(run.log.filter((r) => r.method === 'DELETE').map((r) => [r.path, r.status])).toEqual([[`/v1/tasks/${stuckId}`, 204]]);
    expect(creates(run.log)).toHaveLength(2);
  });

  it('an output URL that has expired → the task is read again for a fresh URL: no new task', async () => {
    const run = await produce('expired1', [{ match: { method: 'GET', path: FILES }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(downloads(run.log).map((r) => r.status)).toEqual([404, 200]);
  });

  it('an output gone for good (the fresh URL fails too) → output_expired, one new task', async () => {
    const run = await produce('expired2', [{ match: { method: 'GET', path: FILES, times: 2 }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['output_expired', 'ready']);
    expect(creates(run.log)).toHaveLength(2);
  });

  it('a truncated download → downloaded again, same task', async () => {
    const run = await produce('truncated', [{ match: { method: 'GET', path: FILES }, action: { type: 'content_truncated' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(downloads(run.log)).toHaveLength(2);
  });
});

describe('the API key never leaks', () => {
  it('appears in no log line, error, manifest or workflow history', async () => {
    const run = await produce('secret', [
      {
        match: { method: 'POST', path: CREATE, times: -1 },
        action: { type: 'http', status: 401, message: 'The API key provided is not valid.' },
      },
    ]);
    expect(run.error).toBeDefined();
    expect(run.progress.scenes[0]!.reason?.kind).toBe('auth');
    const haystacks: string[] = [run.error!.message, JSON.stringify(run.progress)];
    const logs = (globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs ?? [];
    expect(logs.length).toBeGreaterThan(0);
    haystacks.push(...logs.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`));
    for (const id of ['rw-secret', 'rw-plain', 'rw-drop', 'rw-mod', 'rw-quota']) {
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
