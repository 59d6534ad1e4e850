/**
 * The comfyui provider against the ComfyUI mock, through the real workflows, one fault at a time, counting requests
 * in the mock's log and runs in its queue: every paid job (GPU time) is queued once, jobs = 1 + job failures + stuck
 * + expired, and a create whose answer was lost is found by its prompt_id, never queued again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { startComfyMock, type ComfyMock, type FaultRule, type RequestLogEntry } from '../../src/mock/comfyui/server.js';
import { promptIdFor } from '../../src/providers/comfyui/provider.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'comfy-proxy-DO-NOT-LEAK-51c0ffee';
let mock: ComfyMock;
let tw: TestWorker;

beforeAll(async () => {
  mock = await startComfyMock({ apiKey: KEY, timing: { msPerStep: 10, loadMs: 20, msPerNode: 2 } });
  tw = await startTestWorker({ env: { COMFY_PROXY_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const storyboard = (tag: string, scenes: number, settings: Record<string, unknown> = {}, baseURL = mock.url) => ({
  title: `ComfyUI ${tag}`,
  defaults: { provider: 'comfyui', model: 'wan2.2-t2v', size: '832x480', seconds: 1, maxParallelScenes: 4 },
  output: { captions: false },
  providers: {
    comfyui: {
      baseURL,
      apiKeyEnv: 'COMFY_PROXY_KEY',
      pollIntervalMs: 50,
      jobDeadlineSeconds: 30,
      requestTimeoutMs: 3000,
      ...settings,
    },
  },
  scenes: Array.from({ length: scenes }, (_, i) => ({ id: `s${i + 1}`, prompt: `A harbour scene ${i + 1} for ${tag}` })),
});

interface Run {
  id: string;
  result?: ProductionResult;
  error?: ProductionFailedError;
  log: RequestLogEntry[];
  progress: ProductionProgress;
}

async function produce(tag: string, faults: FaultRule[], opts: { scenes?: number; settings?: Record<string, unknown> } = {}): Promise<Run> {
  mock.setFaults(faults);
  const since = Date.now();
  const dir = await tempDir();
  const id = `cf-${tag}`;
  const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard(tag, opts.scenes ?? 1, opts.settings)), { productionId: id });
  await tw.client.submit(plan, { timeouts: { submitS: 20, heartbeatS: 10 } });
  let result: ProductionResult | undefined;
  let error: ProductionFailedError | undefined;
  try {
    result = await tw.client.result(id);
  } catch (err) {
    if (!(err instanceof ProductionFailedError)) throw err;
    error = err;
  }
  const progress = await tw.client.status(id);
  mock.setFaults([]);
  return { id, ...(result ? { result } : {}), ...(error ? { error } : {}), log: mock.requests().filter((r) => r.time >= since), progress };
}

const creates = (log: RequestLogEntry[]) => log.filter((r) => r.method === 'POST' && r.path === '/prompt');
/** Runs the mock queued for a production (a reused prompt id would show up twice). */
const runsOf = (id: string) =>
  mock.runs().filter((r) => String((r.extraData.storyreel as { clientRef?: string } | undefined)?.clientRef).startsWith(`${id}:`));
const refOf = (r: ReturnType<typeof runsOf>[number]) => (r.extraData.storyreel as { clientRef: string }).clientRef;

/** Runs per scene = 1 + its job failures, stuck jobs and expiries; no prompt id queued twice. */
function expectRunsMatchAttempts(run: Run) {
  const runs = runsOf(run.id);
  expect(new Set(runs.map((r) => r.promptId)).size, 'a prompt id queued twice').toBe(runs.length);
  for (const s of run.progress.scenes) {
    const replaced = s.attempts.filter(
      (a) => a.outcome === 'job_failed' || a.outcome === 'job_stuck' || a.outcome === 'output_expired',
    ).length;
    expect(runs.filter((r) => refOf(r).startsWith(`${run.id}:${s.id}:`)).length, `runs for ${s.id}`).toBe(s.attempts.length);
    expect(s.attempts.length, s.id).toBe(1 + replaced);
  }
}

describe('HTTP and transport faults on POST /prompt: retried, never queued twice', () => {
  it('429 with Retry-After: 3 — the next request comes no sooner than 3 s later', async () => {
    const run = await produce('ra3', [{ match: { method: 'POST', path: '/prompt' }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    expect(run.result?.state).toBe('completed');
    const i = run.log.findIndex((r) => r.status === 429);
    const limited = run.log[i]!;
    const next = run.log[i + 1]!;
    expect(next.time - (limited.time + limited.durationMs)).toBeGreaterThanOrEqual(2950);
    expect(creates(run.log).map((r) => r.status)).toEqual([429, 200]);
    expectRunsMatchAttempts(run);
  });

  it.each([500, 502, 503])(
    '%i on create: /history and /queue are read before the one new POST, with the same prompt id',
    async (status) => {
      const run = await produce(`h${status}`, [
        { match: { method: 'POST', path: '/prompt' }, action: { type: 'http', status, ...(status === 502 ? { html: true } : {}) } },
      ]);
      expect(run.result?.state).toBe('completed');
      const posts = creates(run.log);
      expect(posts.map((r) => r.status)).toEqual([status, 200]);
      const between = run.log.filter((r) => r.time >= posts[0]!.time && r.time <= posts[1]!.time && r !== posts[0] && r !== posts[1]);
      const id = promptIdFor(`${run.id}:s1:1.1`, 0);
      expect(between.some((r) => r.path === `/history/${id}`)).toBe(true);
      expect(between.some((r) => r.path === '/queue')).toBe(true);
      expect(runsOf(run.id).map((r) => r.promptId)).toEqual([id]);
      expectRunsMatchAttempts(run);
    },
  );

  it('a connection reset on create', async () => {
    const run = await produce('reset', [{ match: { method: 'POST', path: '/prompt' }, action: { type: 'reset' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log).map((r) => r.status)).toEqual([0, 200]);
    expectRunsMatchAttempts(run);
  });

  it('accept-then-drop: the prompt was queued though the answer was lost — found by its id, not posted again', async () => {
    const run = await produce('drop', [{ match: { method: 'POST', path: '/prompt' }, action: { type: 'accept_then_drop' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.attempts[0]!.reconciled).toBe(true);
    expectRunsMatchAttempts(run);
  });

  it('a 503 on /history while waiting is retried; no new job', async () => {
    const run = await produce('poll503', [
      { match: { method: 'GET', path: '/history/*', nth: 3, times: 2 }, action: { type: 'http', status: 503 } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(run.log.filter((r) => r.status === 503)).toHaveLength(2);
  });
});

describe('non-retryable answers fail the scene with the reason, without another POST', () => {
  it('quota exhausted (402 from a paid ComfyUI host)', async () => {
    const run = await produce('quota', [{ match: { method: 'POST', path: '/prompt', times: -1 }, action: { type: 'quota' } }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'quota_exhausted', providerCode: 'insufficient_credits' });
    expect(runsOf(run.id)).toHaveLength(0);
  });

  it("a safety node's exception listed in policyExceptionTypes is content_policy: never retried", async () => {
    const run = await produce(
      'mod',
      [{ match: { method: 'POST', path: '/prompt' }, action: { type: 'job_failed', code: 'nsfw_check.ContentBlocked' } }],
      {
        settings: { policyExceptionTypes: ['nsfw_check.ContentBlocked'] },
      },
    );
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({
      kind: 'content_policy',
      providerCode: 'nsfw_check.ContentBlocked',
      input: 'prompt',
    });
  });

  it('a workflow ComfyUI refuses (node_errors) fails with the node and its problem', async () => {
    const run = await produce('refused', [], {
      settings: { workflows: { 'wan2.2-t2v': { template: 'wan2.2-t2v', set: { '37.inputs.weight_dtype': 'fp4' } } } },
    });
    expect(run.error).toBeDefined();
    expect(creates(run.log).map((r) => r.status)).toEqual([400]);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'invalid_request', providerCode: 'prompt_outputs_failed_validation' });
    expect(run.progress.scenes[0]!.reason!.message).toMatch(/node 37 \(UNETLoader\): Value not in list \(weight_dtype: 'fp4' not in/);
  });
});

describe('job-level recovery: a new job for a lost one, bounded', () => {
  it('an execution error (RuntimeError) → one new job with a new prompt id', async () => {
    const run = await produce('fail', [
      { match: { method: 'POST', path: '/prompt' }, action: { type: 'job_failed', code: 'RuntimeError', atProgress: 40 } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(2);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_failed', 'ready']);
    expect(run.progress.scenes[0]!.attempts[0]!.message).toMatch(/raised RuntimeError/);
    expectRunsMatchAttempts(run);
  });

  it('a job stuck past its deadline is interrupted (the GPU is freed) and one new job runs', async () => {
    const run = await produce('stuck', [{ match: { method: 'POST', path: '/prompt' }, action: { type: 'job_stuck', atProgress: 60 } }], {
      settings: { jobDeadlineSeconds: 3 },
    });
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_stuck', 'ready']);
    expect(run.log.filter((r) => r.method === 'POST' && r.path === '/interrupt').map((r) => r.jobId)).toEqual([
      run.progress.scenes[0]!.attempts[0]!.jobId,
    ]);
    expect(runsOf(run.id).map((r) => r.state)).toEqual(['interrupted', 'success']);
    expectRunsMatchAttempts(run);
  });

  it('the output file gone (404 on /view) → one new job', async () => {
    const run = await produce('expired', [{ match: { method: 'GET', path: '/view' }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['output_expired', 'ready']);
    expectRunsMatchAttempts(run);
  });

  it.each(['content_truncated', 'content_corrupt'] as const)('%s → downloaded again, same job', async (type) => {
    const run = await produce(type.replace('_', ''), [{ match: { method: 'GET', path: '/view' }, action: { type } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(run.log.filter((r) => r.path === '/view')).toHaveLength(2);
  });

  it('a production re-run after failing never re-queues the earlier prompt ids (ComfyUI would run them again)', async () => {
    const failed = await produce(
      'rerun',
      [{ match: { method: 'POST', path: '/prompt' }, action: { type: 'job_failed', code: 'RuntimeError' } }],
      {
        settings: { maxJobAttempts: 1 },
      },
    );
    expect(failed.error).toBeDefined();
    const again = await produce('rerun', [], { settings: { maxJobAttempts: 1 } });
    expect(again.result?.state).toBe('completed');
    const ref = `${again.id}:s1:1.1`;
    expect(runsOf(again.id).map((r) => [refOf(r), r.promptId, r.state])).toEqual([
      [ref, promptIdFor(ref, 0), 'error'],
      [ref, promptIdFor(ref, 1), 'success'],
    ]);
  });
});

describe('a 6-scene production with about 30 % of requests faulted (seeded)', () => {
  it('completes; runs per scene = 1 + replaced jobs; no prompt id queued twice', async () => {
    const { seededFaults } = await import('../../src/mock/comfyui/server.js');
    const run = await produce('chaos', seededFaults({ seed: 7, rate: 0.3, requestsPerRoute: 80, retryAfterS: 1 }), { scenes: 6 });
    expect(run.result?.state).toBe('completed');
    const s = await streamsOf(run.result!.outputPath!);
    expect(s.video).toHaveLength(1);
    expectRunsMatchAttempts(run);
    const faulted = run.log.filter((r) => r.fault).length;
    console.log(
      `comfyui chaos: ${run.log.length} requests, ${faulted} faulted, ${creates(run.log).length} POST /prompt, ${runsOf(run.id).length} runs for 6 scenes`,
    );
    expect(faulted).toBeGreaterThan(5);
  });
});

describe('the proxy key never leaks', () => {
  it('reached the mock (by hash) and appears in no log line, error, manifest or workflow history', async () => {
    const { credentialSha256 } = await import('../../src/mock/kit/index.js');
    expect(
      mock
        .requests()
        .filter((r) => r.path === '/prompt')
        .every((r) => r.auth?.sha256 === credentialSha256(KEY)),
    ).toBe(true);
    const run = await produce('secret', [
      { match: { method: 'POST', path: '/prompt', times: -1 }, action: { type: 'http', status: 401, message: 'bad key' } },
    ]);
    expect(run.error).toBeDefined();
    expect(run.progress.scenes[0]!.reason?.kind).toBe('auth');
    const haystacks: string[] = [run.error!.message, JSON.stringify(run.progress), JSON.stringify(mock.requests())];
    const logs = (globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs ?? [];
    expect(logs.length).toBeGreaterThan(0);
    haystacks.push(...logs.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`));
    for (const id of ['cf-secret', 'cf-ra3', 'cf-fail']) {
      haystacks.push(await readFile(join(tw.outDir, id, 'manifest.json'), 'utf8'));
      for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = '${id}' OR WorkflowId STARTS_WITH '${id}/'` })) {
        haystacks.push(JSON.stringify(await tw.temporal.workflow.getHandle(w.workflowId).fetchHistory()));
      }
    }
    expect(haystacks.length).toBeGreaterThan(10);
    for (const h of haystacks) expect(h.includes(KEY)).toBe(false);
  });
});
