/**
 * The fal provider against the fal mock, one fault at a time, counting creates in the mock's log: one create per paid
 * job; a create that may have queued a job is never sent again (fal has no client-chosen id: the scene fails closed
 * with ambiguous_submit for an operator); a refused create (429) is retried after its Retry-After without
 * reconciliation. Ends with a CLI production through fal with chained and keyframed scenes.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { credentialSha256, type RequestLogEntry } from '../../src/mock/kit/index.js';
import { startFalMock, type FalMock, type FaultRule } from '../../src/mock/fal/server.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { startCliWorker } from '../helpers/cli-worker.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'fal-key-DO-NOT-LEAK-51c0ffee';
const T2V = '/fal-ai/kling-video/v4/text-to-video';
let mock: FalMock;
let tw: TestWorker;

beforeAll(async () => {
  mock = await startFalMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 60 }, concurrency: 4 });
  tw = await startTestWorker({ env: { FAL_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const storyboard = (tag: string, scenes: number, settings: Record<string, unknown> = {}) => ({
  title: `fal ${tag}`,
  defaults: { provider: 'fal', model: 'fal-ai/kling-video/v4', size: '1280x720', seconds: 3, maxParallelScenes: 4 },
  output: { captions: false },
  providers: { fal: { baseURL: mock.url, pollIntervalMs: 50, jobDeadlineSeconds: 30, requestTimeoutMs: 20_000, ...settings } },
  scenes: Array.from({ length: scenes }, (_, i) => ({ id: `s${i + 1}`, prompt: `A lighthouse scene ${i + 1} for ${tag}` })),
});

interface Run {
  result?: ProductionResult;
  error?: ProductionFailedError;
  log: RequestLogEntry[];
  progress: ProductionProgress;
}

async function produce(tag: string, faults: FaultRule[], opts: { settings?: Record<string, unknown> } = {}): Promise<Run> {
  mock.setFaults(faults);
  const since = Date.now();
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard(tag, 1, opts.settings)), { productionId: `fal-${tag}` });
  await tw.client.submit(plan, { timeouts: { submitS: 30, heartbeatS: 10 } });
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

const creates = (log: RequestLogEntry[]) => log.filter((r) => r.method === 'POST' && r.path === T2V);
describe('faults on create', () => {
  it('429 with Retry-After: 3 → sent again no sooner than 3 s later, without reconciling; one job', async () => {
    const run = await produce('ra3', [{ match: { method: 'POST', path: T2V }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    expect(run.result?.state).toBe('completed');
    const posts = creates(run.log);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1]!.time - (posts[0]!.time + posts[0]!.durationMs)).toBeGreaterThanOrEqual(2950);
    expect(run.progress.scenes[0]!.attempts.map((a) => [a.outcome, a.reconciled])).toEqual([['ready', false]]);
  });

  it.each([
    ['h500', { type: 'http', status: 500 }],
    ['h502', { type: 'http', status: 502, html: true }],
    ['drop', { type: 'accept_then_drop' }],
    ['reset', { type: 'reset' }],
  ] as const)(
    '%s: the create may have queued a job → never sent again; the scene waits for an operator (ambiguous_submit)',
    async (tag, action) => {
      const before = mock.queue().length;
      const run = await produce(tag, [{ match: { method: 'POST', path: T2V }, action }]);
      expect(run.error).toBeDefined();
      expect(creates(run.log)).toHaveLength(1);
      expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'ambiguous_submit' });
      // the dropped create really queued a job, which the operator is told to look for
      if (tag === 'drop') expect(mock.queue().length).toBe(before + 1);
    },
  );

  it('quota (403 locked account) → quota_exhausted, one create, resume named', async () => {
    const run = await produce('quota', [{ match: { method: 'POST', path: T2V, times: -1 }, action: { type: 'quota' } }]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'quota_exhausted' });
    expect(run.error!.message).toMatch(/storyreel resume fal-quota/);
  });

  it('moderation at create (422 content_policy_violation) → content_policy naming the prompt; never retried', async () => {
    const run = await produce('mod422', [
      { match: { method: 'POST', path: T2V }, action: { type: 'http', status: 422, code: 'content_policy_violation' } },
    ]);
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'content_policy' });
  });
});

describe('job-level faults: a new job only when the old one is lost', () => {
  it('a request whose result is a model error → one new job', async () => {
    const run = await produce('ise', [
      { match: { method: 'POST', path: T2V }, action: { type: 'job_failed', code: 'internal_server_error' } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(2);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_failed', 'ready']);
  });

  it('moderation of the output (COMPLETED with content_policy_violation) → content_policy, one create', async () => {
    const run = await produce('modout', [
      { match: { method: 'POST', path: T2V }, action: { type: 'job_failed', code: 'content_policy_violation' } },
    ]);
    expect(run.error).toBeDefined();
    expect(creates(run.log)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'content_policy', providerCode: 'content_policy_violation' });
  });

  it('a job that never finishes → abandoned at its deadline, one new job', async () => {
    const run = await produce('stuck', [{ match: { method: 'POST', path: T2V }, action: { type: 'job_stuck' } }], {
      settings: { jobDeadlineSeconds: 3 },
    });
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(2);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['job_stuck', 'ready']);
  });

  it('an expired output → one new job', async () => {
    const run = await produce('expired', [{ match: { method: 'GET', path: '/files/*/*' }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(2);
    expect(run.progress.scenes[0]!.attempts.map((a) => a.outcome)).toEqual(['output_expired', 'ready']);
  });

  it('a truncated output → downloaded again, same job', async () => {
    const run = await produce('cut', [{ match: { method: 'GET', path: '/files/*/*' }, action: { type: 'content_truncated' } }]);
    expect(run.result?.state).toBe('completed');
    expect(creates(run.log)).toHaveLength(1);
    expect(run.log.filter((r) => r.path.startsWith('/files/')).length).toBe(2);
  });
});

describe('the API key never leaks', () => {
  it('reached the mock (by its sha256) and appears in no log line, error, manifest or workflow history', async () => {
    const run = await produce('secret', [
      { match: { method: 'POST', path: T2V, times: -1 }, action: { type: 'http', status: 401, message: 'Invalid authorization header' } },
    ]);
    expect(run.error).toBeDefined();
    expect(mock.requests().some((r) => r.auth?.sha256 === credentialSha256(KEY))).toBe(true);
    const haystacks: string[] = [run.error!.message, JSON.stringify(run.progress)];
    const logs = (globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs ?? [];
    haystacks.push(...logs.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`));
    for (const id of ['fal-secret', 'fal-ra3', 'fal-ise']) {
      haystacks.push(await readFile(join(tw.outDir, id, 'manifest.json'), 'utf8'));
      for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = '${id}' OR WorkflowId STARTS_WITH '${id}/'` })) {
        haystacks.push(JSON.stringify(await tw.temporal.workflow.getHandle(w.workflowId).fetchHistory()));
      }
    }
    expect(haystacks.length).toBeGreaterThan(10);
    for (const h of haystacks) expect(h.includes(KEY)).toBe(false);
  });
});

describe('storyreel run through fal (CLI)', () => {
  it('chain (first frame = previous last frame) and keyframes (first + last) reach the image-to-video endpoint; final.mp4 checks out', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const dir = await tempDir();
    await copyFile(join(root, 'examples/refs/lighthouse.png'), join(dir, 'end.png'));
    const sb = storyboard('cli', 3);
    sb.scenes[1] = { ...sb.scenes[1]!, continuity: 'chain' } as (typeof sb.scenes)[number];
    sb.scenes[2] = { ...sb.scenes[2]!, continuity: 'keyframes', lastFrame: 'end.png' } as (typeof sb.scenes)[number];
    const file = await writeStoryboard(dir, sb);
    const since = Date.now();
    const work = await tempDir();
    const env = {
      FAL_KEY: KEY,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STORYREEL_TASK_QUEUE: `e2e-fal-${randomUUID()}`,
      STORYREEL_WORK_DIR: join(work, 'work'),
      STORYREEL_OUT_DIR: join(work, 'out'),
    };
    const worker = await startCliWorker(env, root);
    const out = await promisify(execFile)(process.execPath, [join(root, 'bin/storyreel.js'), 'run', file, '--id', 'fal-cli'], {
      cwd: root,
      env: { ...process.env, ...env },
      maxBuffer: 32 * 1024 * 1024,
    }).finally(() => worker.stop());
    expect(out.stdout + out.stderr).toContain('completed');
    const log = mock.requests().filter((r) => r.time >= since && r.method === 'POST' && !r.path.startsWith('/storage'));
    expect(log.map((r) => r.path).sort()).toEqual(
      [T2V, '/fal-ai/kling-video/v4/image-to-video', '/fal-ai/kling-video/v4/image-to-video'].sort(),
    );
    // chain uploads one frame, keyframes two
    expect(mock.requests().filter((r) => r.time >= since && r.path === '/storage/upload/initiate')).toHaveLength(3);
    const s = await streamsOf(join(work, 'out', 'fal-cli', 'final.mp4'));
    expect([s.video.length, s.audio.length, s.width, s.height, s.frames]).toEqual([1, 1, 1280, 720, 3 * 3 * 24]);
    expect(out.stdout + out.stderr).not.toContain(KEY);
  });
});
