/**
 * The google provider in real productions against the google mock, one fault at a time, counting creates in the
 * mock's log: one create per paid job. Neither Google API lets the client name a job or list recent ones, so a
 * create that may have started a job is never sent again (the scene waits for an operator with ambiguous_submit);
 * a refused create (429) is sent again after its Retry-After without reconciling. Veo on the Gemini API, Gemini Omni
 * through the Interactions API, and Veo on the Agent Platform with OAuth from Application Default Credentials.
 */
import { writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { credentialSha256, type RequestLogEntry } from '../../src/mock/kit/index.js';
import { startGoogleMock, type FaultRule, type GoogleMock } from '../../src/mock/google/server.js';
import type { ProductionProgress, ProductionResult } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'AIza-google-key-DO-NOT-LEAK-7c1d';
const SUBJECT = 'subject-token-DO-NOT-LEAK-90aa';
const VEO = 'veo-3.1-fast-generate-001';
const VEO_CREATE = `/v1beta/models/${VEO}:predictLongRunning`;
const OMNI_CREATE = '/v1beta/interactions';
let mock: GoogleMock;
let tw: TestWorker;

beforeAll(async () => {
  mock = await startGoogleMock({
    apiKey: KEY,
    vertex: { project: 'demo-project', subjectToken: SUBJECT },
    timing: { queuedMs: 50, msPerVideoSecond: 60 },
  });
  const dir = await tempDir();
  await writeFile(join(dir, 'subject.txt'), SUBJECT);
  const adc = join(dir, 'adc.json');
  await writeFile(
    adc,
    JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/ci',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: mock.tokenURL,
      credential_source: { file: join(dir, 'subject.txt') },
    }),
  );
  tw = await startTestWorker({ env: { GEMINI_API_KEY: KEY, GOOGLE_APPLICATION_CREDENTIALS: adc } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await mock?.close();
});

const storyboard = (tag: string, opts: { model?: string; seconds?: number; settings?: Record<string, unknown> } = {}) => ({
  title: `google ${tag}`,
  defaults: { provider: 'google', model: opts.model ?? VEO, size: '1280x720', seconds: opts.seconds ?? 4 },
  output: { captions: false },
  providers: { google: { baseURL: mock.url, pollIntervalMs: 50, jobDeadlineSeconds: 30, requestTimeoutMs: 20_000, ...opts.settings } },
  scenes: [{ id: 's1', prompt: `A lighthouse scene for ${tag}` }],
});

interface Run {
  result?: ProductionResult;
  error?: ProductionFailedError;
  log: RequestLogEntry[];
  progress: ProductionProgress;
}

async function produce(tag: string, faults: FaultRule[], opts: Parameters<typeof storyboard>[1] = {}): Promise<Run> {
  mock.setFaults(faults);
  const since = Date.now();
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, storyboard(tag, opts)), { productionId: `google-${tag}` });
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

const posts = (log: RequestLogEntry[], path: string) => log.filter((r) => r.method === 'POST' && r.path === path);
const outcomes = (run: Run) => run.progress.scenes[0]!.attempts.map((a) => a.outcome);

describe('Veo on the Gemini API: faults on create', () => {
  it('429 with Retry-After: 3 → sent again no sooner than 3 s later, without reconciling; one job', async () => {
    const run = await produce('ra3', [{ match: { method: 'POST', path: VEO_CREATE }, action: { type: 'rate_limit', retryAfter: 3 } }]);
    expect(run.result?.state).toBe('completed');
    const creates = posts(run.log, VEO_CREATE);
    expect(creates.map((r) => r.status)).toEqual([429, 200]);
    expect(creates[1]!.time - (creates[0]!.time + creates[0]!.durationMs)).toBeGreaterThanOrEqual(2950);
    expect(run.progress.scenes[0]!.attempts.map((a) => [a.outcome, a.reconciled])).toEqual([['ready', false]]);
  });

  it.each([
    ['h500', { type: 'http', status: 500 }],
    ['h503', { type: 'http', status: 503 }],
    ['h502', { type: 'http', status: 502, html: true }],
    ['drop', { type: 'accept_then_drop' }],
    ['reset', { type: 'reset' }],
  ] as const)(
    '%s: the create may have started a job → never sent again; the scene waits for an operator (ambiguous_submit)',
    async (tag, action) => {
      const before = mock.jobs().length;
      const run = await produce(tag, [{ match: { method: 'POST', path: VEO_CREATE }, action }]);
      expect(run.error).toBeDefined();
      expect(posts(run.log, VEO_CREATE)).toHaveLength(1);
      expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'ambiguous_submit' });
      // the dropped create really started a (paid) operation, which the operator is told to look for
      if (tag === 'drop') expect(mock.jobs().length).toBe(before + 1);
    },
  );

  it('quota (a per-day quota) → quota_exhausted, one create, resume named', async () => {
    const run = await produce('quota', [{ match: { method: 'POST', path: VEO_CREATE, times: -1 }, action: { type: 'quota' } }]);
    expect(run.error).toBeDefined();
    expect(posts(run.log, VEO_CREATE)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'quota_exhausted' });
    expect(run.error!.message).toMatch(/storyreel resume google-quota/);
  });
});

describe('Veo on the Gemini API: jobs that end badly, outputs that go wrong', () => {
  it("safety filtering (RAI) → content_policy with Google's reason and the input involved; one create, never retried", async () => {
    const run = await produce('rai', [{ match: { method: 'POST', path: VEO_CREATE }, action: { type: 'job_failed', code: 'RAI_INPUT' } }]);
    expect(run.error).toBeDefined();
    expect(posts(run.log, VEO_CREATE)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'content_policy', providerCode: 'rai:90789179' });
    expect(run.progress.scenes[0]!.reason!.message).toMatch(/Support codes: 90789179.*\(input: prompt\)/);
  });

  it('an operation that ends with an error → one new job', async () => {
    const run = await produce('internal', [
      { match: { method: 'POST', path: VEO_CREATE }, action: { type: 'job_failed', code: 'INTERNAL' } },
    ]);
    expect(run.result?.state).toBe('completed');
    expect(posts(run.log, VEO_CREATE)).toHaveLength(2);
    expect(outcomes(run)).toEqual(['job_failed', 'ready']);
  });

  it('an operation that never finishes → abandoned at its deadline, one new job', async () => {
    const run = await produce('stuck', [{ match: { method: 'POST', path: VEO_CREATE }, action: { type: 'job_stuck' } }], {
      settings: { jobDeadlineSeconds: 3 },
    });
    expect(run.result?.state).toBe('completed');
    expect(posts(run.log, VEO_CREATE)).toHaveLength(2);
    expect(outcomes(run)).toEqual(['job_stuck', 'ready']);
  });

  it('an expired file → one new job', async () => {
    const run = await produce('expired', [{ match: { method: 'GET', path: '/v1beta/files/*' }, action: { type: 'content_expired' } }]);
    expect(run.result?.state).toBe('completed');
    expect(posts(run.log, VEO_CREATE)).toHaveLength(2);
    expect(outcomes(run)).toEqual(['output_expired', 'ready']);
  });

  it('a truncated file → downloaded again, same job', async () => {
    const run = await produce('cut', [{ match: { method: 'GET', path: '/v1beta/files/*' }, action: { type: 'content_truncated' } }]);
    expect(run.result?.state).toBe('completed');
    expect(posts(run.log, VEO_CREATE)).toHaveLength(1);
    expect(run.log.filter((r) => r.path.startsWith('/v1beta/files/')).map((r) => r.fault ?? 'ok')).toEqual(['content_truncated', 'ok']);
  });
});

describe('Gemini Omni through the Interactions API', () => {
  const omni = { model: 'gemini-omni-1.1-flash', seconds: 3 };

  it("a 500 on create → never sent again (ambiguous_submit), where the SDK's Interactions client would have sent it up to 5 times", async () => {
    const run = await produce('omni500', [{ match: { method: 'POST', path: OMNI_CREATE }, action: { type: 'http', status: 500 } }], omni);
    expect(posts(run.log, OMNI_CREATE)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'ambiguous_submit' });
  });

  it('a blocked interaction → content_policy, one create', async () => {
    const run = await produce(
      'omnirai',
      [{ match: { method: 'POST', path: OMNI_CREATE }, action: { type: 'job_failed', code: 'RAI_INPUT' } }],
      omni,
    );
    expect(posts(run.log, OMNI_CREATE)).toHaveLength(1);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'content_policy', providerCode: 'PROHIBITED_CONTENT' });
  });

  it('the inline video cut short → read again, same interaction; the production completes', async () => {
    const run = await produce(
      'omnicut',
      [{ match: { method: 'GET', path: '/v1beta/interactions/*' }, action: { type: 'content_truncated' } }],
      omni,
    );
    expect(run.result?.state).toBe('completed');
    expect(posts(run.log, OMNI_CREATE)).toHaveLength(1);
    expect(run.log.filter((r) => r.fault === 'content_truncated')).toHaveLength(1);
  });
});

describe('Veo on the Agent Platform, OAuth from Application Default Credentials', () => {
  it('the worker exchanges its credential at the token service and every API call carries the bearer; one create', async () => {
    const run = await produce('vertex', [], { settings: { surface: 'vertex', project: 'demo-project' }, seconds: 6 });
    expect(run.result?.state).toBe('completed');
    const create = `/v1beta1/projects/demo-project/locations/us-central1/publishers/google/models/${VEO}:predictLongRunning`;
    expect(posts(run.log, create)).toHaveLength(1);
    const api = run.log.filter((r) => r.path.startsWith('/v1beta1/'));
    expect(api.length).toBeGreaterThan(1);
    expect(api.every((r) => r.auth?.header === 'authorization' && r.auth.scheme === 'Bearer')).toBe(true);
  });
});

describe('credentials never leak', () => {
  it('the key reached the mock (by its sha256); neither it nor the subject token appears in any log, error, manifest or history', async () => {
    const run = await produce('secret', [
      { match: { method: 'POST', path: VEO_CREATE, times: -1 }, action: { type: 'http', status: 400, code: 'API_KEY_INVALID' } },
    ]);
    expect(run.progress.scenes[0]!.reason).toMatchObject({ kind: 'auth' });
    expect(mock.requests().some((r) => r.auth?.sha256 === credentialSha256(KEY))).toBe(true);
    const haystacks: string[] = [run.error!.message, JSON.stringify(run.progress), JSON.stringify(mock.requests())];
    const logs = (globalThis as { __storyreelLogs?: LogEntry[] }).__storyreelLogs ?? [];
    haystacks.push(...logs.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`));
    for (const id of ['google-secret', 'google-ra3', 'google-internal', 'google-vertex', 'google-rai']) {
      haystacks.push(await readFile(join(tw.outDir, id, 'manifest.json'), 'utf8'));
      for await (const w of tw.temporal.workflow.list({ query: `WorkflowId = '${id}' OR WorkflowId STARTS_WITH '${id}/'` })) {
        haystacks.push(JSON.stringify(await tw.temporal.workflow.getHandle(w.workflowId).fetchHistory()));
      }
    }
    expect(haystacks.length).toBeGreaterThan(10);
    for (const h of haystacks) {
      expect(h.includes(KEY)).toBe(false);
      expect(h.includes(SUBJECT)).toBe(false);
      expect(/ya29\.mock-/.test(h)).toBe(false);
    }
  });
});
