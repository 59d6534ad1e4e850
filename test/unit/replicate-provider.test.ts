/**
 * The replicate adapter on its own, against the mock: reconciliation that does not trust the list's order or
 * filters, several candidates reported (the caller fails closed), removed outputs, the classification of errors
 * and failed predictions, local validation, and the planner's view of the catalog (declared models, errors naming
 * their path).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFile } from '../../src/load/load-storyboard.js';
import { startReplicateMock, type ReplicateMock } from '../../src/mock/replicate/server.js';
import { catalog } from '../../src/providers/catalog.js';
import { ProviderError } from '../../src/providers/errors.js';
import { errorCodeOf } from '../../src/providers/replicate/http.js';
import { outputUrl, ReplicateProvider } from '../../src/providers/replicate/provider.js';
import type { GenerateRequest } from '../../src/contracts/jobs.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';

let now = Date.UTC(2026, 11, 1, 9, 0, 0);
const clock = () => now;
let mock: ReplicateMock;
beforeAll(async () => {
  // An older server: ignores created_after and lists oldest first, two per page.
  mock = await startReplicateMock({
    clock,
    prerender: false,
    listOrder: 'asc',
    ignoreListFilters: true,
    pageSize: 2,
    dataRetentionMs: 60_000,
  });
});
afterAll(async () => {
  await mock?.close();
});

const provider = (settings: Record<string, unknown> = {}) =>
  new ReplicateProvider({ settings: { baseURL: mock.baseURL, ...settings }, env: { REPLICATE_API_TOKEN: 'k' } });
const request = (prompt: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  clientRef: `p:${prompt}:1`,
  model: 'google/veo-3.1-fast',
  prompt,
  seconds: 4,
  size: { width: 1280, height: 720 },
  fps: 24,
  ...extra,
});

async function thrown(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('reconciliation by inputs', () => {
  it('finds every matching prediction since the first attempt, on any page and in any order, and nothing else', async () => {
    mock.reset();
    const p = provider();
    const before = await p.submit(request('old harbour'), {});
    now += 60_000;
    const since = new Date(now);
    const a = await p.submit(request('harbour'), {});
    await p.submit(request('harbour', { seconds: 6 }), {});
    await p.submit(request('harbour', { seed: 7 }), {});
    await p.submit(request('other'), {});
    const b = await p.submit(request('harbour'), {});
    const found = await p.findCandidates(request('harbour'), since, {});
    expect(found.map((f) => f.jobId).sort()).toEqual([a.jobId, b.jobId].sort());
    expect(found.map((f) => f.jobId)).not.toContain(before.jobId);
    // every page was read (asc order, filter ignored: no early stop)
    expect(mock.requests().filter((r) => r.method === 'GET' && r.path === '/v1/predictions')).toHaveLength(3);
  });

  it('an older prediction with the same inputs is not taken when the list is newest first', async () => {
    const desc = await startReplicateMock({ clock, prerender: false, ignoreListFilters: true, pageSize: 1 });
    try {
      const p = new ReplicateProvider({ settings: { baseURL: desc.baseURL }, env: { REPLICATE_API_TOKEN: 'k' } });
      await p.submit(request('same'), {});
      now += 60_000;
      const since = new Date(now);
      const fresh = await p.submit(request('same'), {});
      expect((await p.findCandidates(request('same'), since, {})).map((f) => f.jobId)).toEqual([fresh.jobId]);
      // newest first was observed, so the scan stopped at the first older item
      expect(desc.requests().filter((r) => r.path === '/v1/predictions' && r.method === 'GET')).toHaveLength(2);
    } finally {
      await desc.close();
    }
  });
});

describe('outputs and failures', () => {
  it('a removed output (data_removed after the retention) is output_expired, before any download', async () => {
    mock.reset();
    const p = provider();
    const job = await p.submit(request('short-lived'), {});
    now += 20_000;
    expect((await p.poll(job.jobId, {})).state).toBe('succeeded');
    now += 60_000;
    const err = await thrown(p.download(job.jobId, join(await tempDir(), 'x.mp4'), {}));
    expect([err.kind, err.jobId]).toEqual(['output_expired', job.jobId]);
    expect(mock.requests().some((r) => r.path.startsWith('/files/'))).toBe(false);
  });

  it('a prediction failing with a documented code: E005 is content_policy, others job_failed with the code', async () => {
    mock.reset();
    const p = provider();
    mock.setFaults([
      { match: { method: 'POST', nth: 1 }, action: { type: 'job_failed', code: 'E005' } },
      { match: { method: 'POST', nth: 2 }, action: { type: 'job_failed', code: 'E1001' } },
    ]);
    const mod = await p.submit(request('flagged'), {});
    const oom = await p.submit(request('heavy'), {});
    now += 2000;
    expect((await p.poll(mod.jobId, {})).failure).toMatchObject({ kind: 'content_policy', code: 'E005' });
    expect((await p.poll(oom.jobId, {})).failure).toMatchObject({ kind: 'job_failed', code: 'E1001' });
    expect(errorCodeOf('Prediction interrupted; please retry (code: PA)')).toBeUndefined();
  });

  it('HTTP answers: 404 on create is model_unavailable, 422 invalid_request naming the fields, 5xx on a create ambiguous', async () => {
    const p = provider({ models: { 'acme/gone': { seconds: [5], sizes: { '1280x720': {} } } } });
    expect((await thrown(p.submit(request('x', { model: 'acme/gone', seconds: 5 }), {}))).kind).toBe('model_unavailable');
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'http', status: 503 } }]);
    expect((await thrown(provider().submit(request('x'), {}))).kind).toBe('ambiguous_submit');
    const wrong = new ReplicateProvider({
      settings: {
        baseURL: mock.baseURL,
        models: { 'google/veo-3.1-fast': { seconds: [5], sizes: { '1280x720': {} }, fields: { duration: 'duration' } } },
      },
      env: { REPLICATE_API_TOKEN: 'k' },
    });
    const invalid = await thrown(wrong.submit(request('x', { seconds: 5 }), {}));
    expect([invalid.kind, invalid.httpStatus, invalid.message]).toEqual([
      'invalid_request',
      422,
      expect.stringContaining('(fields: input.duration)'),
    ]);
  });

  it('the video URL is found in a string, a list or an object output', () => {
    expect(outputUrl('https://r.example/a.mp4')).toBe('https://r.example/a.mp4');
    expect(outputUrl(['https://r.example/cover.png', 'https://r.example/v.mp4'])).toBe('https://r.example/v.mp4');
    expect(outputUrl({ video: 'https://r.example/v.webm', seed: 1 })).toBe('https://r.example/v.webm');
    expect(outputUrl(null)).toBeUndefined();
  });
});

describe('local validation and planning', () => {
  it('validate names the field and what to do', () => {
    const p = provider();
    expect(p.validate(request('x', { model: 'kwaivgi/kling-v2.1', seconds: 5 }))).toEqual([
      'firstFrame: kwaivgi/kling-v2.1 is image-to-video and needs a first frame; use continuity "chain" or "anchor", or a text-to-video model',
    ]);
    expect(p.validate(request('x', { model: 'minimax/hailuo-02', seconds: 10, size: { width: 1920, height: 1080 } }))).toEqual([
      'seconds: minimax/hailuo-02 makes 1920x1080 clips of 6 s only; use a smaller size for 10 s',
    ]);
    expect(
      p.validate(
        request('x', {
          lastFrame: { kind: 'file', path: '/x.png', mime: 'image/png' },
          model: 'kwaivgi/kling-v2.5-turbo-pro',
          seconds: 5,
          size: { width: 1920, height: 1080 },
        }),
      ),
    ).toEqual(['lastFrame: kwaivgi/kling-v2.5-turbo-pro takes no last frame; use a model with keyframes']);
  });

  it('a declared model plans like a built-in one; a bad declaration is refused with its path', async () => {
    const dir = await tempDir();
    const good = await writeStoryboard(dir, {
      title: 'Declared',
      defaults: { provider: 'replicate', model: 'acme/new-video', size: '1280x720', seconds: 5 },
      providers: {
        replicate: {
          models: { 'acme/new-video': { seconds: [5, 10], sizes: { '1280x720': { aspect_ratio: '16:9' } }, usdPerSecond: 0.1 } },
        },
      },
      scenes: [{ id: 'a', prompt: 'x' }],
    });
    const { plan } = await planFile(good, { catalog });
    expect([plan.scenes[0]!.model, plan.totals.estimatedCostUsd]).toEqual(['acme/new-video', 0.5]);
    const bad = await writeStoryboard(dir, {
      title: 'Declared badly',
      defaults: { provider: 'replicate', model: 'acme/new-video', size: '1280x720', seconds: 5 },
      providers: { replicate: { models: { 'acme/new-video': { seconds: [], sizes: {} } } } },
      scenes: [{ id: 'a', prompt: 'x' }],
    });
    await expect(planFile(bad, { catalog })).rejects.toThrow(
      /providers\.replicate\.models\.acme\/new-video\.seconds: needs at least one length/,
    );
    const unknown = await writeStoryboard(dir, {
      title: 'Unknown',
      defaults: { provider: 'replicate', model: 'acme/other', size: '1280x720', seconds: 5 },
      scenes: [{ id: 'a', prompt: 'x' }],
    });
    await expect(planFile(unknown, { catalog })).rejects.toThrow(/unknown model "acme\/other" for replicate; known: .*google\/veo-3\.1/);
  });
});
