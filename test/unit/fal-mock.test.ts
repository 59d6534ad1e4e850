/**
 * The fal mock through the official `@fal-ai/client` (its hosts rewritten to the mock), and the fal adapter against
 * it: what each route answers, and how each fault is classified, counting creates in the mock's log.
 */
import { createFalClient, ApiError, ValidationError } from '@fal-ai/client';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startFalMock, type FalMock } from '../../src/mock/fal/server.js';
import { catalog } from '../../src/providers/catalog.js';
import { ProviderError } from '../../src/providers/errors.js';
import { FalProvider } from '../../src/providers/fal/provider.js';
import type { GenerateRequest, JobSnapshot } from '../../src/contracts/jobs.js';
import { streamsOf } from '../helpers/media.js';

const KEY = 'fal-test-key-123';
let mock: FalMock;
let dir: string;

beforeAll(async () => {
  mock = await startFalMock({ apiKey: KEY, timing: { queuedMs: 30, msPerVideoSecond: 30 }, concurrency: 1 });
  dir = await mkdtemp(join(tmpdir(), 'fal-unit-'));
});
afterAll(async () => {
  await mock?.close();
});
beforeEach(() => mock.reset());

/** The SDK with fal's hosts pointed at the mock. */
const sdk = (key = KEY) =>
  createFalClient({
    credentials: key,
    suppressLocalCredentialsWarning: true,
    fetch: (input, init) =>
      fetch(String(input instanceof Request ? input.url : input).replace(/^https:\/\/(queue\.fal\.run|rest\.fal\.ai)/, mock.url), init),
  });
const provider = (settings: Record<string, unknown> = {}) =>
  new FalProvider({ settings: { baseURL: mock.url, requestTimeoutMs: 30_000, ...settings }, env: { FAL_KEY: KEY } });
const request = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  clientRef: 'p:s1:1.1',
  model: 'fal-ai/kling-video/v4',
  prompt: 'a lighthouse at dawn',
  seconds: 3,
  size: { width: 1280, height: 720 },
  fps: 24,
  ...over,
});
const creates = () => mock.requests().filter((r) => r.method === 'POST' && !r.path.startsWith('/storage'));

async function until(p: FalProvider, jobId: string): Promise<JobSnapshot> {
  for (;;) {
    const s = await p.poll(jobId, {});
    if (s.state === 'succeeded' || s.state === 'failed') return s;
    await new Promise((r) => setTimeout(r, 40));
  }
}

describe('the queue contract through @fal-ai/client', () => {
  it('submit → IN_QUEUE with queue_position behind the concurrency limit → COMPLETED → result with a CDN URL', async () => {
    const fal = sdk();
    const a = await fal.queue.submit('fal-ai/kling-video/v4/text-to-video', { input: { prompt: 'one', duration: 60 } });
    await fal.queue.submit('fal-ai/kling-video/v4/text-to-video', { input: { prompt: 'two', duration: 3 } });
    const b = await fal.queue.submit('fal-ai/kling-video/v4/text-to-video', { input: { prompt: 'three', duration: 3 } });
    // Once a runs (concurrency 1; it leaves the queue after queuedMs, then renders for 1.8 s), one request waits ahead of b.
    for (
      let i = 0;
      (await fal.queue.status('fal-ai/kling-video/v4/text-to-video', { requestId: a.request_id })).status === 'IN_QUEUE';
      i++
    ) {
      if (i > 100) throw new Error('the first request never started');
      await new Promise((r) => setTimeout(r, 10));
    }
    const sb = await fal.queue.status('fal-ai/kling-video/v4/text-to-video', { requestId: b.request_id });
    expect(sb).toMatchObject({ status: 'IN_QUEUE', queue_position: 1 });
    // Status URLs carry owner/app only: the subpath is for submit (docs.fal.ai queue).
    expect(mock.requests().at(-1)!.path).toBe(`/fal-ai/kling-video/requests/${b.request_id}/status`);
    await fal.queue.subscribeToStatus('fal-ai/kling-video/v4/text-to-video', { requestId: a.request_id, pollInterval: 30 });
    const res = await fal.queue.result('fal-ai/kling-video/v4/text-to-video', { requestId: a.request_id });
    const video = (res.data as { video: { url: string; content_type: string } }).video;
    expect(video.content_type).toBe('video/mp4');
    const status = mock.requests().filter((r) => r.path.endsWith('/status'));
    expect(status.some((r) => r.status === 202)).toBe(true);
    expect(status.at(-1)!.status).toBe(200);
    expect(mock.requests().every((r) => r.path.startsWith('/files') || r.auth?.sha256 === credentialSha256(KEY))).toBe(true);
  });

  it('cancel before processing: CANCELLATION_REQUESTED; the request then completes without a result', async () => {
    const fal = sdk();
    // The busy request never finishes, so the second one is still waiting when it is cancelled, however slow the machine.
    mock.addFaults([{ match: { method: 'POST', path: '/fal-ai/veo3.1' }, action: { type: 'job_stuck' } }]);
    await fal.queue.submit('fal-ai/veo3.1', { input: { prompt: 'busy', duration: '8s' } });
    const q = await fal.queue.submit('fal-ai/veo3.1', { input: { prompt: 'waiting', duration: '8s' } });
    await fal.queue.cancel('fal-ai/veo3.1', { requestId: q.request_id });
    expect(mock.requests().at(-1)).toMatchObject({ method: 'PUT', status: 202 });
    await expect(fal.queue.result('fal-ai/veo3.1', { requestId: q.request_id })).rejects.toMatchObject({ status: 400 });
  });

  it('errors are {detail}: a missing prompt is a 422 ValidationError with loc; a wrong key 401', async () => {
    const err = await sdk()
      .queue.submit('fal-ai/kling-video/v4/text-to-video', { input: { duration: 3 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fieldErrors[0]).toMatchObject({ loc: ['body', 'prompt'], type: 'missing' });
    const bad = await sdk('wrong')
      .queue.status('fal-ai/x', { requestId: 'nope' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError<unknown>).status).toBe(401);
  });
});

describe('the fal adapter', () => {
  it('text-to-video: one POST to the t2v endpoint with the mapped fields; the clip has the planned size, length and sound', async () => {
    const p = provider();
    const snap = await p.submit(request(), {});
    const done = await until(p, snap.jobId);
    expect(done).toMatchObject({ state: 'succeeded', billed: { units: 3 } });
    const file = await p.download(snap.jobId, join(dir, 't2v.mp4'), {});
    const s = await streamsOf(file.path);
    expect([s.width, s.height, s.audio.length, Math.round(s.durationS)]).toEqual([1280, 720, 1, 3]);
    expect(creates().map((r) => r.path)).toEqual(['/fal-ai/kling-video/v4/text-to-video']);
    const post = creates()[0]!;
    expect(post.headers['x-fal-object-lifecycle-preference']).toBe('{"expiration_duration_seconds":3600}');
  });

  it('chained: the first frame is uploaded and sent as start_image_url to the image-to-video endpoint; keyframes add end_image_url', async () => {
    const png = join(dir, 'frame.png');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:s=160x90', '-frames:v', '1', png]);
    const p = provider();
    const snap = await p.submit(
      request({ firstFrame: { kind: 'file', path: png, mime: 'image/png' }, lastFrame: { kind: 'file', path: png, mime: 'image/png' } }),
      {},
    );
    expect(snap.jobId.startsWith('fal-ai/kling-video/v4/image-to-video::')).toBe(true);
    expect(mock.requests().filter((r) => r.path === '/storage/upload/initiate')).toHaveLength(2);
    const job = mock.queue()[0] as { endpoint: string };
    expect(job.endpoint).toBe('fal-ai/kling-video/v4/image-to-video');
    expect((await until(p, snap.jobId)).state).toBe('succeeded');
  });

  it('a frame-count model gets num_frames; Veo gets "8s"; a declared model uses its own fields', async () => {
    const settings = {
      models: { 'acme/new-video': { seconds: [4], sizes: { '1280x720': { ratio: 'wide' } }, usdPerSecond: 0.2, durationFormat: 'string' } },
    };
    const p = provider(settings);
    await p.submit(request({ model: 'fal-ai/wan/v2.2-a14b', seconds: 5 }), {});
    await p.submit(request({ model: 'fal-ai/veo3.1', seconds: 8 }), {});
    await p.submit(request({ model: 'acme/new-video', seconds: 4 }), {});
    const inputs = mock.queue().map((j) => (j as { endpoint: string }).endpoint);
    expect(inputs).toEqual(['fal-ai/wan/v2.2-a14b/text-to-video', 'fal-ai/veo3.1', 'acme/new-video']);
    expect(catalog.capabilitiesOf('fal', 'acme/new-video', settings as never)?.pricing).toEqual([{ usdPerSecond: 0.2 }]);
    expect(p.validate(request({ model: 'acme/new-video', seconds: 5 }))[0]).toMatch(
      /^seconds: 5 is not allowed by fal\/acme\/new-video; allowed: 4/,
    );
  });

  const failing = async (action: object, path = '/fal-ai/kling-video/v4/text-to-video') => {
    mock.setFaults([{ match: { method: 'POST', path }, action: action as never }]);
    const err = await provider()
      .submit(request(), {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  };

  it.each([
    [{ type: 'rate_limit', retryAfter: 3 }, 'rate_limited', true],
    [{ type: 'quota' }, 'quota_exhausted', false],
    [{ type: 'http', status: 422, code: 'content_policy_violation' }, 'content_policy', false],
    [{ type: 'http', status: 500 }, 'ambiguous_submit', true],
    [{ type: 'http', status: 502, html: true }, 'ambiguous_submit', true],
    [{ type: 'accept_then_drop' }, 'ambiguous_submit', true],
    [{ type: 'reset' }, 'ambiguous_submit', true],
  ])('create fault %j → %s, sent once', async (action, kind, retryable) => {
    const err = await failing(action);
    expect([err.kind, err.retryable]).toEqual([kind, retryable]);
    if (kind === 'rate_limited') expect(err.retryAfterMs).toBe(3000);
    if (kind === 'content_policy') expect(err.input).toBe('prompt');
    expect(creates()).toHaveLength(1);
  });

  it('a failed request: moderation → content_policy; another model error → job_failed with its type', async () => {
    const p = provider();
    mock.setFaults([{ match: { method: 'POST', nth: 1, times: 2 }, action: { type: 'job_failed', code: 'content_policy_violation' } }]);
    const a = await p.submit(request(), {});
    expect((await until(p, a.jobId)).failure).toMatchObject({ kind: 'content_policy', code: 'content_policy_violation' });
    mock.setFaults([{ match: { method: 'POST' }, action: { type: 'job_failed', code: 'internal_server_error' } }]);
    const b = await p.submit(request(), {});
    expect((await until(p, b.jobId)).failure).toMatchObject({ kind: 'job_failed', code: 'internal_server_error' });
  });

  it('an output past its lifecycle is output_expired; a truncated one output_corrupt', async () => {
    const p = provider({ outputRetentionSeconds: 60 });
    const snap = await p.submit(request(), {});
    await until(p, snap.jobId);
    mock.setFaults([{ match: { method: 'GET', path: '/files/*/*' }, action: { type: 'content_truncated' } }]);
    await expect(p.download(snap.jobId, join(dir, 'cut.mp4'), {})).rejects.toMatchObject({ kind: 'output_corrupt' });
    mock.setFaults([{ match: { method: 'GET', path: '/files/*/*' }, action: { type: 'content_expired' } }]);
    await expect(p.download(snap.jobId, join(dir, 'gone.mp4'), {})).rejects.toMatchObject({ kind: 'output_expired' });
  });

  it('media expire per the lifecycle header', async () => {
    let now = Date.now();
    const clocked = await startFalMock({ timing: { queuedMs: 0, msPerVideoSecond: 0 }, clock: () => now });
    try {
      const p = new FalProvider({ settings: { baseURL: clocked.url, outputRetentionSeconds: 60 }, env: { FAL_KEY: 'k' } });
      const snap = await p.submit(request(), {});
      now += 10;
      expect((await p.poll(snap.jobId, {})).state).toBe('succeeded');
      now += 61_000;
      await expect(p.download(snap.jobId, join(dir, 'late.mp4'), {})).rejects.toMatchObject({ kind: 'output_expired' });
    } finally {
      await clocked.close();
    }
  });
});
