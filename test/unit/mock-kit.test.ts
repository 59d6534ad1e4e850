/**
 * The mock kit (src/mock/kit) on a second, tiny provider defined here (a fal-like queue API with its own error
 * format, `Key` auth and state names), so what the OpenAI mock's tests do not reach is covered on its own: the
 * request log's credential hashing, fault counting and applicability, error-fault hints, control endpoints and the
 * listing hook, published media URLs (Range, expiry, content faults), the job store's clock-driven state machine
 * with concurrency, cancellation and deadlines, silent renders, and close() with hung and upgraded connections.
 */
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  credentialSha256,
  DuplicateJobIdError,
  json,
  JobStore,
  MediaRenderer,
  MockHttpError,
  outcomeOf,
  parseBody,
  parseRange,
  seededFaultPlan,
  startMockServer,
  type ErrorFault,
  type FaultRuleStatus,
  type HandlerResult,
  type JobPhase,
  type MockKit,
  type MockProvider,
  type MockRequest,
  type MockRoute,
  type MockServer,
} from '../../src/mock/kit/index.js';
import { tempDir } from '../helpers/files.js';
import { streamsOf } from '../helpers/media.js';

// ------------------------------------------------------------------------------------------------ a tiny queue API

const KEY = 'tiny-secret-key-1234';
const STATES = {
  queued: 'IN_QUEUE',
  throttled: 'IN_QUEUE',
  running: 'IN_PROGRESS',
  succeeded: 'COMPLETED',
  failed: 'COMPLETED',
  canceled: 'CANCELLED',
} as const satisfies Record<JobPhase, string>;
type QueueState = (typeof STATES)[JobPhase];

interface QueueRoute extends MockRoute {
  kind: 'submit' | 'status' | 'result' | 'cancel';
  id?: string;
}

const RESULT_TTL_MS = 60_000;

/** POST /queue/{model} → {request_id}; GET /queue/requests/{id}/status; GET /queue/requests/{id} → {video:{url}}; PUT …/cancel. */
class TinyQueue implements MockProvider<QueueRoute> {
  readonly jobs: JobStore<{ prompt: string }, QueueState>;
  readonly listings = { jobs: () => this.jobs.all().map((j) => ({ id: j.id, state: this.jobs.view(j).state })) };
  private n = 0;

  constructor(private readonly kit: MockKit) {
    this.jobs = new JobStore({ states: STATES, clock: kit.clock, newId: () => `req-${++this.n}`, concurrency: 1 });
  }

  route(method: string, path: string): QueueRoute | undefined {
    const id = /^\/queue\/requests\/([\w-]+)/.exec(path)?.[1];
    if (method === 'POST' && /^\/queue\/[\w-]+$/.test(path)) return { kind: 'submit', createsJob: true };
    if (id === undefined) return undefined;
    if (method === 'GET' && path.endsWith('/status')) return { kind: 'status', id, jobId: id };
    if (method === 'PUT' && path.endsWith('/cancel')) return { kind: 'cancel', id, jobId: id };
    if (method === 'GET' && path === `/queue/requests/${id}`) return { kind: 'result', id, jobId: id };
    return undefined;
  }

  async handle(req: MockRequest<QueueRoute>): Promise<HandlerResult> {
    if (req.route.kind === 'submit') {
      const prompt = req.body.fields.prompt;
      if (typeof prompt !== 'string') throw new MockHttpError(422, 'prompt: field required', { code: 'missing_field', param: 'prompt' });
      const job = this.jobs.add({ data: { prompt }, queuedMs: 100, runMs: 1000, outcome: outcomeOf(req.fault) });
      return { reply: json({ request_id: job.id }), jobId: job.id };
    }
    const job = this.jobs.get(req.route.id!);
    if (!job) throw new MockHttpError(404, `Request ${req.route.id} not found`, { code: 'not_found' });
    const view = this.jobs.view(job);
    if (req.route.kind === 'status')
      return {
        reply: json({ status: view.state, queue_position: view.queuePosition, error: view.failureCode }, view.finishedAtMs ? 200 : 202),
      };
    if (req.route.kind === 'cancel') return { reply: json({ canceled: this.jobs.cancel(job.id) }) };
    if (view.phase !== 'succeeded') throw new MockHttpError(400, `Request is ${view.state}`, { code: 'not_ready' });
    const spec = { kind: 'generate', prompt: job.data.prompt, width: 160, height: 90, seconds: 1, fps: 12, audio: false } as const;
    const media = this.kit.media.publish({ spec }, { filename: 'output.mp4', ttlMs: RESULT_TTL_MS, jobId: job.id });
    return { reply: json({ video: { url: media.url, content_type: 'video/mp4' } }) };
  }

  errorReply(err: MockHttpError) {
    return json({ detail: err.message, ...(err.code ? { code: err.code } : {}) }, err.status, err.headers);
  }

  faultBody(action: ErrorFault) {
    if (action.type === 'http') return json({ detail: action.message ?? `upstream said ${action.status}` }, action.status);
    return json(
      { detail: action.type === 'quota' ? 'User is locked. Exhausted balance.' : 'Too many requests' },
      action.type === 'quota' ? 403 : 429,
    );
  }

  notFound(method: string, path: string) {
    return new MockHttpError(404, `Not Found: ${method} ${path}`);
  }

  authorize(req: { headers: Record<string, string | string[] | undefined> }) {
    if (req.headers.authorization !== `Key ${KEY}`) throw new MockHttpError(401, 'Invalid Key', { code: 'unauthorized' });
  }

  reset() {
    this.jobs.clear();
  }

  /** Answers any upgrade with 101 and keeps the socket (a stand-in for a WebSocket). */
  upgrade(_req: unknown, socket: Duplex) {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-test\r\nConnection: Upgrade\r\n\r\n');
  }
}

let now = Date.UTC(2026, 11, 2, 12, 0, 0);
const clock = () => now;
let mock: MockServer<TinyQueue>;

const startTiny = () =>
  startMockServer(
    { name: 'tiny-queue', clock, faults: { jobFailureCodes: ['generation_failed'] }, credentialQueryParams: ['key'] },
    (kit) => new TinyQueue(kit),
  );

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${mock.url}${path}`, { ...init, headers: { authorization: `Key ${KEY}`, ...(init.headers as Record<string, string>) } });
const submit = async (prompt: string, headers: Record<string, string> = {}) => {
  const res = await call('/queue/tiny-model', {
    method: 'POST',
    body: JSON.stringify({ prompt }),
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { res, body: (await res.json()) as { request_id: string; detail?: string } };
};
const status = async (id: string, headers: Record<string, string> = {}) => {
  const res = await call(`/queue/requests/${id}/status`, { headers });
  return { res, body: (await res.json()) as { status: string; queue_position: number | null; error: string | null } };
};
const control = async <T>(path: string, init: RequestInit = {}): Promise<T> =>
  (await (await fetch(`${mock.url}/__mock/${path}`, init)).json()) as T;

beforeAll(async () => {
  mock = await startTiny();
});
beforeEach(() => mock.reset());
afterAll(async () => {
  await mock?.close();
});

describe('mock kit: a second provider on the kit', () => {
  it('listens on 127.0.0.1 and a free port by default', () => {
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mock.port).toBeGreaterThan(0);
  });

  it('the request log proves which key was sent by its sha256 and never holds a credential', async () => {
    const { body } = await submit('a lighthouse');
    await status(body.request_id, { authorization: 'Key wrong-key', 'x-goog-api-key': 'goog-secret-5678' });
    await fetch(`${mock.url}/queue/requests/nope/status?key=query-secret-9&logs=1`, { headers: { 'x-goog-api-key': 'goog-secret-5678' } });

    const log = mock.requests();
    expect(log.map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/queue/tiny-model', 200],
      ['GET', `/queue/requests/${body.request_id}/status`, 401],
      ['GET', '/queue/requests/nope/status', 401],
    ]);
    expect(log[0]!.auth).toEqual({ header: 'authorization', scheme: 'Key', sha256: credentialSha256(KEY) });
    // two credentials sent: the first known header is the one hashed; both values are redacted
    expect(log[1]!.auth).toEqual({ header: 'authorization', scheme: 'Key', sha256: credentialSha256('wrong-key') });
    expect(log[1]!.auth!.sha256).not.toBe(credentialSha256(KEY));
    expect(log[1]!.headers['x-goog-api-key']).toBe('REDACTED');
    expect(log[2]!.query).toBe('key=REDACTED&logs=1');
    expect(log[2]!.auth).toEqual({ header: 'x-goog-api-key', sha256: credentialSha256('goog-secret-5678') });
    expect(log[0]!.headers.authorization).toBe('REDACTED');
    expect(log[0]!.jobId).toBe(body.request_id);

    const served = await (await fetch(`${mock.url}/__mock/requests`)).text();
    for (const text of [JSON.stringify(log), served]) {
      for (const secret of [KEY, 'wrong-key', 'goog-secret-5678', 'query-secret-9']) expect(text).not.toContain(secret);
    }
    expect(JSON.parse(served)).toEqual(log);
  });

  it('rules count the requests they match: nth, times, the x-mock-fault override, applicability', async () => {
    const { body } = await submit('counting');
    mock.faults.set([
      { match: { method: 'GET', path: '/queue/requests/*/status', nth: 2, times: 2 }, action: { type: 'http', status: 503 } },
      { match: {}, action: { type: 'job_failed', code: 'generation_failed', atProgress: 50 } },
    ]);
    const statuses: number[] = [];
    statuses.push((await status(body.request_id)).res.status);
    // the header wins and the rules do not count the request
    statuses.push((await status(body.request_id, { 'x-mock-fault': '{"type":"http","status":418}' })).res.status);
    for (let i = 0; i < 4; i++) statuses.push((await status(body.request_id)).res.status);
    expect(statuses).toEqual([202, 418, 503, 503, 202, 202]);

    let rules = await control<FaultRuleStatus[]>('faults');
    expect(rules.map((r) => [r.seen, r.fired])).toEqual([
      [5, 2],
      [0, 0], // a job fault never matches a request that creates no job
    ]);
    const failing = await submit('fails half-way');
    rules = await control<FaultRuleStatus[]>('faults');
    expect(rules[1]).toMatchObject({ seen: 1, fired: 1 });
    // one slot: it waits for the first job (100 + 1000 ms), then fails at 50 % of its 1000 ms
    now += 1100 + 400;
    expect((await status(failing.body.request_id)).body.status).toBe('IN_PROGRESS');
    now += 100;
    expect((await status(failing.body.request_id)).body).toMatchObject({ status: 'COMPLETED', error: 'generation_failed' });
    expect(mock.requests().map((e) => e.fault ?? null)).toEqual([null, null, 'http', 'http', 'http', null, null, 'job_failed', null, null]);
    expect(mock.requests().every((e) => !('x-mock-fault' in e.headers))).toBe(true);
  });

  it("error faults answer in the provider's format; the kit adds Retry-After, retry-after-ms, x-should-retry, HTML pages", async () => {
    const hit = async (action: object) => {
      const res = await call('/queue/requests/x/status', { headers: { 'x-mock-fault': JSON.stringify(action) } });
      return { res, text: await res.text() };
    };
    const limited = await hit({ type: 'rate_limit', retryAfter: 3, retryAfterMs: 2500 });
    expect([limited.res.status, limited.res.headers.get('retry-after'), limited.res.headers.get('retry-after-ms')]).toEqual([
      429,
      '3',
      '2500',
    ]);
    expect(JSON.parse(limited.text)).toEqual({ detail: 'Too many requests' });
    const quota = await hit({ type: 'quota' });
    expect([quota.res.status, quota.res.headers.get('retry-after'), JSON.parse(quota.text)]).toEqual([
      403,
      null,
      { detail: 'User is locked. Exhausted balance.' },
    ]);
    const server = await hit({ type: 'http', status: 500, shouldRetry: false, message: 'boom' });
    expect([server.res.status, server.res.headers.get('x-should-retry'), JSON.parse(server.text)]).toEqual([
      500,
      'false',
      { detail: 'boom' },
    ]);
    const gateway = await hit({ type: 'http', status: 502, html: true });
    expect([gateway.res.status, gateway.res.headers.get('content-type')]).toEqual([502, 'text/html; charset=utf-8']);
    expect(gateway.text).toContain('<title>502 Bad Gateway</title>');
    // error faults hit before auth, as a gateway in front of the API would
    const noKey = await fetch(`${mock.url}/queue/requests/x/status`, { headers: { 'x-mock-fault': 'quota' } });
    expect(noKey.status).toBe(403);
  });

  it('control endpoints: append / replace, validation in the provider format, the listing hook, reset, 404', async () => {
    const rule = { match: { path: '/queue/*' }, action: { type: 'reset' } };
    expect(await control('faults', { method: 'POST', body: JSON.stringify(rule) })).toEqual({ ok: true, added: 1, total: 1 });
    expect(await control('faults', { method: 'POST', body: JSON.stringify([rule, rule]) })).toEqual({ ok: true, added: 2, total: 3 });
    expect(await control('faults?replace=1', { method: 'POST', body: '[]' })).toEqual({ ok: true, added: 0, total: 0 });
    const bad = await fetch(`${mock.url}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ match: {}, action: { type: 'job_failed', code: 'moderation_blocked' } }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_fault', detail: expect.stringContaining('generation_failed') as unknown });

    const { body } = await submit('listed');
    expect(await control('jobs')).toEqual([{ id: body.request_id, state: 'IN_QUEUE' }]);
    const missing = await fetch(`${mock.url}/__mock/nope`);
    expect([missing.status, await missing.json()]).toEqual([404, { detail: 'Not Found: GET /__mock/nope' }]);
    expect(mock.requests().map((e) => e.path)).toEqual(['/queue/tiny-model']); // control requests are not logged

    expect(await control('reset', { method: 'POST' })).toEqual({ ok: true });
    expect([mock.requests(), await control('jobs'), mock.faults.status()]).toEqual([[], [], []]);
  });

  it('media URLs: served without a key, with Range; content faults apply; they expire', async () => {
    const { body } = await submit('a silent clip');
    now += 100 + 1000;
    const result = (await (await call(`/queue/requests/${body.request_id}`)).json()) as { video: { url: string } };
    expect(result.video.url).toMatch(new RegExp(`^${mock.url}/files/[0-9a-f]{32}/output\\.mp4$`));

    const whole = await fetch(result.video.url);
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect([whole.status, whole.headers.get('content-type'), whole.headers.get('accept-ranges')]).toEqual([200, 'video/mp4', 'bytes']);
    expect(Number(whole.headers.get('content-length'))).toBe(bytes.length);
    const size = bytes.length;
    const dir = await tempDir('mock-kit-');
    const path = join(dir, 'clip.mp4');
    await writeFile(path, bytes);
    const probed = await streamsOf(path);
    await rm(dir, { recursive: true, force: true });
    expect([probed.width, probed.height, probed.frames, probed.fps, probed.audio.length]).toEqual([160, 90, 12, 12, 0]);

    const ranged = async (range: string) => {
      const res = await fetch(result.video.url, { headers: { range } });
      return { status: res.status, contentRange: res.headers.get('content-range'), body: Buffer.from(await res.arrayBuffer()) };
    };
    const first = await ranged('bytes=0-99');
    expect([first.status, first.contentRange, first.body.equals(bytes.subarray(0, 100))]).toEqual([206, `bytes 0-99/${size}`, true]);
    const suffix = await ranged('bytes=-10');
    expect([suffix.status, suffix.contentRange, suffix.body.equals(bytes.subarray(size - 10))]).toEqual([
      206,
      `bytes ${size - 10}-${size - 1}/${size}`,
      true,
    ]);
    const open = await ranged('bytes=100-');
    expect([open.status, open.body.length]).toEqual([206, size - 100]);
    const beyond = await ranged(`bytes=${size}-`);
    expect([beyond.status, beyond.contentRange, JSON.parse(beyond.body.toString())]).toEqual([
      416,
      `bytes */${size}`,
      { detail: `Requested range not satisfiable: 'bytes=${size}-' for ${size} bytes.`, code: 'range_not_satisfiable' },
    ]);
    const malformed = await ranged('bytes=a-b');
    expect([malformed.status, malformed.body.length]).toEqual([200, size]);

    expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
    const corrupt = await fetch(result.video.url, { headers: { 'x-mock-fault': 'content_corrupt' } });
    const corruptBytes = Buffer.from(await corrupt.arrayBuffer());
    expect(corrupt.status).toBe(200);
    expect(corruptBytes.toString('latin1', 4, 8)).not.toBe('ftyp');

    const mediaLog = mock.requests().filter((e) => e.path.startsWith('/files/'));
    expect(mediaLog.every((e) => e.jobId === body.request_id && e.auth === undefined)).toBe(true);
    expect(mediaLog.map((e) => e.status)).toEqual([200, 206, 206, 206, 416, 200, 200]);

    now += RESULT_TTL_MS - 1;
    expect((await fetch(result.video.url)).status).toBe(200);
    now += 1;
    const expired = await fetch(result.video.url);
    expect([expired.status, await expired.text()]).toEqual([404, 'Not Found: this URL has expired\n']);
    expect((await fetch(`${mock.url}/files/${'0'.repeat(32)}/output.mp4`)).status).toBe(404);
  });

  it('close() ends hung requests and upgraded connections instead of waiting for them', async () => {
    const own = await startTiny();
    const hung = fetch(`${own.url}/queue/requests/x/status`, { headers: { 'x-mock-fault': 'hang' } }).then(
      () => 'answered',
      () => 'connection closed',
    );
    const upgraded = await new Promise<Socket>((resolve, reject) => {
      const req = httpRequest(`${own.url}/ws`, { headers: { connection: 'Upgrade', upgrade: 'x-test' } });
      req.on('upgrade', (_res, socket) => resolve(socket));
      req.on('error', reject);
      req.end();
    });
    const upgradedClosed = new Promise<void>((resolve) => upgraded.once('close', () => resolve()));
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await own.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await hung).toBe('connection closed');
    await upgradedClosed;
    expect(own.requests().map((e) => [e.path, e.status, e.fault])).toEqual([['/queue/requests/x/status', 0, 'hang']]);
  });
});

// ------------------------------------------------------------------------------------------------ job store

describe('JobStore: clock-driven, generic over state names', () => {
  let t = 1_000_000;
  const store = (concurrency?: number) =>
    new JobStore<string, QueueState>({
      states: STATES,
      clock: () => t,
      newId: (() => {
        let n = 0;
        return () => `job-${++n}`;
      })(),
      ...(concurrency ? { concurrency } : {}),
    });
  const at = <S extends string>(s: JobStore<string, S>, id: string, ms: number) => s.view(s.get(id)!, ms);

  it('queued → running with progress → succeeded; a create is queued at its instant even with zero timings', () => {
    t = 1_000_000;
    const s = store();
    const a = s.add({ data: 'a', queuedMs: 100, runMs: 1000 });
    const zero = s.add({ data: 'z', queuedMs: 0, runMs: 0 });
    expect(at(s, zero.id, t).phase).toBe('queued');
    expect(at(s, zero.id, t + 1)).toMatchObject({ phase: 'succeeded', state: 'COMPLETED', progress: 100, finishedAtMs: t });
    expect(at(s, a.id, t + 99)).toMatchObject({ state: 'IN_QUEUE', progress: 0, startedAtMs: null });
    expect(at(s, a.id, t + 100 + 456)).toMatchObject({ state: 'IN_PROGRESS', progress: 45, startedAtMs: t + 100 });
    expect(at(s, a.id, t + 1099)).toMatchObject({ progress: 99 });
    expect(at(s, a.id, t + 1100)).toMatchObject({ phase: 'succeeded', progress: 100, finishedAtMs: t + 1100 });
  });

  it('beyond `concurrency` jobs wait throttled, first ready first served, with their queue position', () => {
    t = 2_000_000;
    const s = store(1);
    const a = s.add({ data: 'a', queuedMs: 100, runMs: 1000 });
    const b = s.add({ data: 'b', queuedMs: 100, runMs: 1000 });
    const c = s.add({ data: 'c', queuedMs: 100, runMs: 1000, outcome: { kind: 'fail', code: 'x', atProgress: 50 } });
    expect([a, b, c].map((j) => at(s, j.id, t + 50).queuePosition)).toEqual([0, 1, 2]);
    expect([a, b, c].map((j) => at(s, j.id, t + 200).phase)).toEqual(['running', 'throttled', 'throttled']);
    expect([b, c].map((j) => at(s, j.id, t + 200).queuePosition)).toEqual([0, 1]);
    expect(at(s, b.id, t + 1100)).toMatchObject({ phase: 'running', startedAtMs: t + 1100, progress: 0 });
    expect(at(s, c.id, t + 2100)).toMatchObject({ phase: 'running', startedAtMs: t + 2100 });
    // a failure at 50 % ends the job (and frees its slot) half-way
    expect(at(s, c.id, t + 2600)).toMatchObject({
      phase: 'failed',
      state: 'COMPLETED',
      failureCode: 'x',
      progress: 50,
      finishedAtMs: t + 2600,
    });
    t += 2600;
    const d = s.add({ data: 'd', queuedMs: 0, runMs: 10 });
    expect(at(s, d.id, t + 1)).toMatchObject({ phase: 'running', startedAtMs: t });
  });

  it('a stuck job holds its slot forever; cancel frees it and later jobs start then', () => {
    t = 3_000_000;
    const s = store(1);
    const stuck = s.add({ data: 's', queuedMs: 0, runMs: 100, outcome: outcomeOf({ type: 'job_stuck', atProgress: 30 }) });
    const next = s.add({ data: 'n', queuedMs: 0, runMs: 100 });
    expect(at(s, stuck.id, t + 1_000_000)).toMatchObject({ phase: 'running', progress: 30 });
    expect(at(s, next.id, t + 1_000_000)).toMatchObject({ phase: 'throttled', queuePosition: 0 });
    t += 5000;
    expect(s.cancel(stuck.id)).toBe(true);
    expect(s.view(stuck)).toMatchObject({ phase: 'canceled', state: 'CANCELLED', finishedAtMs: t, progress: 30 });
    expect(s.view(next)).toMatchObject({ phase: 'running', startedAtMs: t });
    expect(at(s, stuck.id, t - 1).phase).toBe('running'); // the past does not change
    t += 100;
    expect(s.view(next).phase).toBe('succeeded');
    expect(s.cancel(next.id)).toBe(false);
  });

  it('a deadline cancels a job that has not ended by then (never started: no start time); client-chosen ids are unique', () => {
    t = 4_000_000;
    const s = store(1);
    s.add({ data: 'long', queuedMs: 0, runMs: 10_000 });
    const late = s.add({ data: 'late', queuedMs: 0, runMs: 100, cancelAtMs: t + 500 });
    const quick = s.add({ data: 'quick', queuedMs: 0, runMs: 100, cancelAtMs: t + 1_000_000, id: 'my-own-id' });
    expect(at(s, late.id, t + 499).phase).toBe('throttled');
    expect(at(s, late.id, t + 500)).toMatchObject({ phase: 'canceled', startedAtMs: null, finishedAtMs: t + 500 });
    expect(at(s, quick.id, t + 10_100)).toMatchObject({ phase: 'succeeded', startedAtMs: t + 10_000 });
    expect(at(s, quick.id, t + 2_000_000).phase).toBe('succeeded'); // over before its deadline
    expect(() => s.add({ data: 'again', queuedMs: 0, runMs: 1, id: 'my-own-id' })).toThrow(DuplicateJobIdError);
  });

  it('pages live jobs; a deleted job still works as a cursor; an unknown cursor is undefined', () => {
    t = 5_000_000;
    const s = store();
    const ids = ['a', 'b', 'c', 'd'].map((d) => s.add({ data: d, queuedMs: 0, runMs: 0 }).id);
    s.delete(ids[1]!);
    expect(s.page({ limit: 10, order: 'asc' })!.jobs.map((j) => j.data)).toEqual(['a', 'c', 'd']);
    expect(s.page({ limit: 1, order: 'desc', after: ids[2] })).toMatchObject({ hasMore: false, jobs: [{ data: 'a' }] });
    expect(s.page({ limit: 10, order: 'asc', after: ids[1] })!.jobs.map((j) => j.data)).toEqual(['c', 'd']);
    expect(s.page({ limit: 10, order: 'asc', after: 'nope' })).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------------ pure pieces

describe('kit pieces', () => {
  it('parseRange: one range of RFC 9110, else the whole file or 416', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-30', 100)).toEqual({ start: 70, end: 99 });
    expect(parseRange('bytes=-300', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-4', 100)).toBe('unsatisfiable');
    for (const ignored of [undefined, 'bytes=0-1,5-6', 'items=0-1', 'bytes=-']) expect(parseRange(ignored, 100)).toBeUndefined();
  });

  it('parseBody: JSON, urlencoded with brackets, and coded errors a provider can re-word', async () => {
    expect(await parseBody(Buffer.from('{"a":1}'), 'application/json')).toEqual({ format: 'json', fields: { a: 1 } });
    expect(await parseBody(Buffer.from('a%5Bb%5D=1&c=2'), 'application/x-www-form-urlencoded')).toEqual({
      format: 'form',
      fields: { a: { b: '1' }, c: '2' },
    });
    expect(await parseBody(Buffer.alloc(0), undefined)).toEqual({ format: 'empty', fields: {} });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'parsed',
        (e: MockHttpError) => `${e.status} ${e.code}`,
      );
    expect(await code(parseBody(Buffer.from('{'), 'application/json'))).toBe('400 invalid_json');
    expect(await code(parseBody(Buffer.from('[1]'), 'application/json'))).toBe('400 invalid_json');
    expect(await code(parseBody(Buffer.from('x'), 'text/plain'))).toBe('400 unsupported_content_type');
  });

  it('seededFaultPlan: deterministic, over the given routes, with the provider’s failure code', () => {
    const routes = [{ method: 'POST', path: '/queue/*', mix: { job_failed: 1, reset: 1 } }];
    const plan = seededFaultPlan(routes, 'generation_failed', { seed: 11, rate: 0.5, requestsPerRoute: 100 });
    expect(seededFaultPlan(routes, 'generation_failed', { seed: 11, rate: 0.5, requestsPerRoute: 100 })).toEqual(plan);
    expect(plan.length).toBeGreaterThan(30);
    expect(plan.length).toBeLessThan(70);
    expect(plan.every((r) => r.match.path === '/queue/*' && r.match.method === 'POST')).toBe(true);
    expect(new Set(plan.map((r) => JSON.stringify(r.action)))).toEqual(
      new Set([JSON.stringify({ type: 'job_failed', code: 'generation_failed' }), JSON.stringify({ type: 'reset' })]),
    );
  });

  it('renders exact size, frame count and length, with or without sound, once per content key', async () => {
    const workDir = await tempDir('mock-kit-render-');
    const renderer = new MediaRenderer({ workDir });
    try {
      const base = { kind: 'generate', prompt: 'kit', width: 96, height: 64, seconds: 2, fps: 10 } as const;
      const withSound = await renderer.asset(base, 'video');
      const silent = await renderer.asset({ ...base, audio: false }, 'video');
      const extended = await renderer.asset({ kind: 'extend', base: { ...base, audio: false }, prompt: 'more', seconds: 1 }, 'video');
      const [a, b, c] = await Promise.all([withSound, silent, extended].map((x) => streamsOf(x.path)));
      expect([a!.width, a!.height, a!.frames, a!.audio.length]).toEqual([96, 64, 20, 1]);
      expect([b!.width, b!.height, b!.frames, b!.audio.length]).toEqual([96, 64, 20, 0]);
      expect([c!.frames, c!.audio.length]).toEqual([30, 0]);
      const rendered = (await stat(withSound.path)).mtimeMs;
      expect((await renderer.asset({ ...base }, 'video')).path).toBe(withSound.path);
      expect((await stat(withSound.path)).mtimeMs).toBe(rendered);
      expect(silent.path).not.toBe(withSound.path);
    } finally {
      renderer.close();
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
