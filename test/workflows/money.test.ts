/**
 * Issue 11, "Money": a paid job is never paid for again — across runs, under reconciliation, past an activity's
 * timeout — counted as POSTs in the gateway mock's request log.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionFailedError } from '../../src/client/index.js';
import { startOpenAIMock, type FaultRule, type MockRequestLogEntry, type OpenAIMock } from '../../src/mock/openai-videos/server.js';
import type { ProductionProgress } from '../../workflows/definitions.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';
import { startTestWorker, type TestWorker } from '../helpers/temporal.js';

const KEY = 'sk-money-test-0b1c';
let tw: TestWorker;
const mocks: OpenAIMock[] = [];

async function mockWith(opts: Parameters<typeof startOpenAIMock>[0] = {}): Promise<OpenAIMock> {
  const m = await startOpenAIMock({ apiKey: KEY, timing: { queuedMs: 50, msPerVideoSecond: 60 }, pollAfterMs: 100, ...opts });
  mocks.push(m);
  return m;
}

beforeAll(async () => {
  tw = await startTestWorker({ env: { OPENAI_API_KEY: KEY } });
});
afterAll(async () => {
  await tw?.stop({ cleanup: true });
  await Promise.all(mocks.map((m) => m.close()));
});

interface SceneSpec {
  id: string;
  prompt: string;
  seed?: number;
  continuity?: string;
}

const storyboard = (mock: OpenAIMock, title: string, scenes: SceneSpec[], settings: Record<string, unknown> = {}, extra = {}) => ({
  title,
  defaults: { provider: 'openai-videos', model: 'sora-2', size: '1280x720', seconds: 4, maxParallelScenes: 4 },
  output: { captions: false, poster: false, contactSheet: false },
  providers: {
    'openai-videos': { baseURL: mock.baseURL, pollIntervalMs: 50, jobDeadlineSeconds: 30, requestTimeoutMs: 3000, ...settings },
  },
  scenes,
  ...extra,
});

const creates = (log: MockRequestLogEntry[]) => log.filter((r) => r.method === 'POST' && r.path === '/v1/videos');

async function start(mock: OpenAIMock, id: string, sb: object, timeouts = { submitS: 20, heartbeatS: 10 }) {
  const dir = await tempDir();
  const { plan } = await tw.client.plan(await writeStoryboard(dir, sb), { productionId: id });
  await tw.client.submit(plan, { timeouts });
  return plan;
}

async function outcome(id: string): Promise<{ state: string; progress: ProductionProgress }> {
  try {
    const r = await tw.client.result(id);
    return { state: r.state, progress: await tw.client.status(id) };
  } catch (err) {
    if (!(err instanceof ProductionFailedError)) throw err;
    return { state: 'failed', progress: await tw.client.status(id) };
  }
}

async function waitFor(id: string, ok: (p: ProductionProgress) => boolean): Promise<ProductionProgress> {
  for (;;) {
    const p = await tw.client.status(id);
    if (ok(p)) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a paid job is never paid again, across runs', () => {
  it('the content endpoint fails past every retry; the run fails; resume after recovery completes with zero new creates', async () => {
    const mock = await mockWith();
    const content: FaultRule = { match: { method: 'GET', path: '/v1/videos/*/content', times: 50 }, action: { type: 'http', status: 503 } };
    mock.setFaults([content]);
    await start(mock, 'money-outage', storyboard(mock, 'Outage', [{ id: 's1', prompt: 'A keeper climbs the stairs' }]));
    const first = await outcome('money-outage');
    expect(first.state).toBe('failed');
    const paid = creates(mock.requests());
    expect(paid).toHaveLength(1);
    const jobId = first.progress.scenes[0]!.attempts[0]!.jobId;

    mock.setFaults([]); // the gateway recovers
    const since = Date.now();
    await tw.client.resume('money-outage');
    const second = await outcome('money-outage');
    expect(second.state).toBe('completed');
    const afterResume = mock.requests().filter((r) => r.time >= since);
    console.log(`outage: creates before resume ${paid.length}, creates after resume ${creates(afterResume).length}`);
    expect(creates(afterResume)).toHaveLength(0);
    expect(second.progress.scenes[0]!.clip?.jobId).toBe(jobId);
    expect(afterResume.some((r) => r.method === 'GET' && r.path === `/v1/videos/${jobId}/content` && r.status === 200)).toBe(true);
  });
});

describe('reconciliation never adopts the wrong job and never assumes the list order', () => {
  it('a job with the same prompt but other seconds in the window is not taken; ours is', async () => {
    const mock = await mockWith();
    const prompt = 'A gull lands on the railing';
    const sdk = new OpenAI({ apiKey: KEY, baseURL: mock.baseURL, maxRetries: 0 });
    const decoy = await sdk.videos.create({ prompt: `${prompt}.`, model: 'sora-2', seconds: '8', size: '1280x720' });
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'accept_then_drop' } }]);
    await start(mock, 'money-decoy', storyboard(mock, 'Decoy', [{ id: 's1', prompt }]));
    const done = await outcome('money-decoy');
    expect(done.state).toBe('completed');
    const job = done.progress.scenes[0]!.clip!.jobId;
    expect(job).not.toBe(decoy.id);
    expect(done.progress.scenes[0]!.attempts[0]!.reconciled).toBe(true);
    expect(creates(mock.requests())).toHaveLength(2); // the decoy's and our one dropped create
  });

  it("a job another production's scene claimed is excluded, however similar its inputs", async () => {
    const mock = await mockWith();
    const prompt = 'The lamp turns behind the glass';
    // Same request to the gateway (the seed is not sent), different clip (the seed is in the cache key).
    await start(mock, 'money-claim-a', storyboard(mock, 'Claim A', [{ id: 's1', prompt, seed: 1 }]));
    const a = await outcome('money-claim-a');
    expect(a.state).toBe('completed');
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'accept_then_drop' } }]);
    await start(mock, 'money-claim-b', storyboard(mock, 'Claim B', [{ id: 's1', prompt, seed: 2 }]));
    const b = await outcome('money-claim-b');
    expect(b.state).toBe('completed');
    expect(b.progress.scenes[0]!.clip!.jobId).not.toBe(a.progress.scenes[0]!.clip!.jobId);
    expect(b.progress.scenes[0]!.attempts[0]!.reconciled).toBe(true);
    expect(creates(mock.requests())).toHaveLength(2);
  });

  it('several unclaimed candidates: no second POST, the scene fails as ambiguous and says why', async () => {
    const mock = await mockWith();
    const prompt = 'Waves break on the rocks';
    const sdk = new OpenAI({ apiKey: KEY, baseURL: mock.baseURL, maxRetries: 0 });
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'accept_then_drop' } }]);
    await start(mock, 'money-ambiguous', storyboard(mock, 'Ambiguous', [{ id: 's1', prompt }]));
    while (!creates(mock.requests()).length) await new Promise((r) => setTimeout(r, 20));
    // Someone else sends the very same request while our create's answer is lost (before our retry reconciles).
    await sdk.videos.create({ prompt: `${prompt}.`, model: 'sora-2', seconds: '4', size: '1280x720' });
    const done = await outcome('money-ambiguous');
    expect(done.state).toBe('failed');
    const scene = done.progress.scenes[0]!;
    expect(scene.reason?.kind).toBe('ambiguous_submit');
    expect(scene.reason?.message).toMatch(/2 unclaimed jobs .* match this scene's request/);
    expect(creates(mock.requests())).toHaveLength(2); // ours (dropped) and the other client's: never a third
  });

  it('a gateway that ignores order=desc still reconciles a dropped create', async () => {
    let offset = -120_000;
    const mock = await mockWith({ listOrder: 'ignore', clock: () => Date.now() + offset });
    const sdk = new OpenAI({ apiKey: KEY, baseURL: mock.baseURL, maxRetries: 0 });
    await sdk.videos.create({ prompt: 'An older, unrelated video', model: 'sora-2', seconds: '4', size: '1280x720' });
    offset = 0;
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'accept_then_drop' } }]);
    await start(mock, 'money-order', storyboard(mock, 'Order', [{ id: 's1', prompt: 'The keeper lights the lamp' }]));
    const done = await outcome('money-order');
    expect(done.state).toBe('completed');
    const lists = mock.requests().filter((r) => r.method === 'GET' && r.path === '/v1/videos');
    expect(lists.length).toBeGreaterThan(0);
    expect(creates(mock.requests())).toHaveLength(2); // the old video and our one create
  });
});

describe('a submit cannot outlive its activity', () => {
  it('a create held by the gateway past the submit timeout is abandoned before the retry reconciles: one job', async () => {
    const mock = await mockWith();
    // The gateway would answer only after the submit activity's own timeout (20 s). requestTimeoutMs must end inside
    // it with 10 s to spare (a longer one is refused at submit), so the client gives up at 10 s, and the retry
    // reconciles instead of posting blind.
    const holdMs = 24_000;
    mock.setFaults([{ match: { method: 'POST', path: '/v1/videos' }, action: { type: 'delay', ms: holdMs, stage: 'before' } }]);
    const sb = storyboard(mock, 'Slow create', [{ id: 's1', prompt: 'Fog rolls over the point' }], { requestTimeoutMs: 10_000 });
    await start(mock, 'money-slow', sb, { submitS: 20, heartbeatS: 10 });
    const done = await outcome('money-slow');
    expect(done.state).toBe('completed');
    // Past the held request's release: it must not create a job.
    const firstPost = creates(mock.requests())[0]!;
    await new Promise((r) => setTimeout(r, Math.max(0, firstPost.time + holdMs + 1000 - Date.now())));
    const posts = creates(mock.requests());
    console.log(`slow create: ${posts.length} POSTs, statuses ${posts.map((p) => p.status).join(',')}, jobs ${mock.videos().length}`);
    expect(mock.videos()).toHaveLength(1);
    expect(posts[0]!.status).toBe(0); // abandoned by the client while held
  });
});

describe('remix and extend after their source expired', () => {
  it('a rejected take whose clip expired falls back to a fresh create', async () => {
    // Long enough that a clip is always downloaded before it expires on a loaded machine (a take-2 clip that expired
    // first would need a second create), short enough to wait out.
    const mock = await mockWith({ expiresAfterS: 4 });
    const sb = storyboard(mock, 'Expired remix', [{ id: 's1', prompt: 'A boat leaves the harbour' }], {}, { review: { scenes: 'all' } });
    await start(mock, 'money-remix', sb);
    const p = await waitFor('money-remix', (x) => x.scenes[0]!.state === 'awaiting_review');
    const rejected = p.scenes[0]!.clip!;
    await new Promise((r) => setTimeout(r, 4500)); // the gateway no longer keeps the rejected clip
    const since = Date.now();
    await tw.client.review('money-remix', { sceneId: 's1', decision: 'reject', note: 'at dusk' });
    await waitFor('money-remix', (x) => x.scenes[0]!.state === 'awaiting_review' && x.scenes[0]!.take === 2);
    const after = mock.requests().filter((r) => r.time >= since);
    const remix = after.filter((r) => r.method === 'POST' && r.path === `/v1/videos/${rejected.jobId}/remix`);
    expect(remix.map((r) => r.status)).toEqual([404]);
    expect(creates(after)).toHaveLength(1);
    await tw.client.review('money-remix', { sceneId: 's1', decision: 'approve' });
    expect((await outcome('money-remix')).state).toBe('completed');
  });
});
