/**
 * The HTTP API against a real `storyreel serve --worker` process and the suite's Temporal server: auth, limits,
 * assets, idempotent creation, the event stream, every operator action, Range requests, batches, and every JSON
 * answer validated against the server's own OpenAPI document.
 */
import { Client, Connection } from '@temporalio/client';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApiServer, until, type ApiServer } from '../helpers/api-server.js';

let api: ApiServer;
let temporal: Client;
let connection: Connection;
let png: Buffer;

const local = (extra: Record<string, unknown> = {}) => ({ local: { pollIntervalMs: 50, ...extra } });
const small = { provider: 'local', size: '320x180', fps: 12, seconds: 1 };
const storyboard = (title: string, over: Record<string, unknown> = {}) => ({
  title,
  defaults: small,
  providers: local(),
  scenes: [
    { id: 'a', prompt: `${title}: a red boat at dawn` },
    { id: 'b', prompt: `${title}: a whale under the boat`, continuity: 'chain' },
  ],
  ...over,
});

beforeAll(async () => {
  api = await startApiServer({
    STORYREEL_API_BODY_LIMIT: '100000',
    STORYREEL_ASSET_MAX_BYTES: '200000',
    STORYREEL_WEBHOOK_ALLOW_PRIVATE: '0',
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
  const dir = api.work;
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=320x180', '-frames:v', '1', '-y', join(dir, 'ref.png')]);
  png = await readFile(join(dir, 'ref.png'));
});

afterAll(async () => {
  await api?.stop();
  await connection?.close();
});

async function waitState(id: string, states: string[], timeoutMs = 90_000) {
  return until(
    `${id} in ${states.join('|')}`,
    async () => {
      const r = await api.call('GET', `/v1/productions/${id}`, { route: '/v1/productions/{id}' });
      return states.includes(r.body.state) ? r.body : undefined;
    },
    timeoutMs,
  );
}

async function executions(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

describe('storyreel serve: security', () => {
  it('health needs no key; everything else does, with the scope it needs', async () => {
    expect((await api.call('GET', '/health', { key: null, route: '/health' })).status).toBe(200);
    const none = await api.call('GET', '/v1/productions', { key: null, route: '/v1/productions' });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: 'unauthorized', field: 'authorization' });
    expect((await api.call('GET', '/openapi.json', { key: null })).status).toBe(401);
    const wrong = await api.call('GET', '/v1/productions', { key: `${api.keys.read.slice(0, -4)}AAAA` });
    expect(wrong.status).toBe(401);
    const readOnly = await api.call('POST', '/v1/productions', { key: api.keys.read, body: storyboard('scope'), route: '/v1/productions' });
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.message).toContain('"write"');
    expect((await api.call('GET', '/v1/productions', { key: api.keys.read })).status).toBe(200);
    // no key text in anything the server printed
    for (const k of Object.values(api.keys)) expect(api.log()).not.toContain(k.slice(12));
  });

  it('refuses bodies over the limit (storyboards and assets) with 413', async () => {
    const big = storyboard('big', { description: 'x'.repeat(150_000) });
    const r = await api.call('POST', '/v1/productions', { body: big, route: '/v1/productions' });
    expect(r.status).toBe(413);
    expect(r.body.error).toBe('payload_too_large');
    const asset = Buffer.concat([png, Buffer.alloc(250_000)]);
    const res = await fetch(`${api.url}/v1/assets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.keys.write}`, 'content-type': 'image/png' },
      body: asset,
    });
    expect(res.status).toBe(413);
  });

  it('limits requests per key per minute', async () => {
    const { KeyStore, keysFile } = await import('../../src/api/keys.js');
    const { key } = await new KeyStore(keysFile(api.workDir)).create({ name: 'slow', scope: 'read', rateLimitPerMinute: 3 });
    await new Promise((r) => setTimeout(r, 1100)); // the server re-reads keys at most once a second
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await api.call('GET', '/v1/productions', { key })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // another key is not affected
    expect((await api.call('GET', '/v1/productions', { key: api.keys.read })).status).toBe(200);
  });

  it('refuses callback URLs with credentials or on private addresses (unless the operator allows them)', async () => {
    const creds = await api.call('POST', '/v1/productions?callbackUrl=' + encodeURIComponent('https://u:p@example.com/x'), {
      body: storyboard('cb'),
    });
    expect(creds.status).toBe(400);
    expect(creds.body).toMatchObject({ field: 'callbackUrl' });
    const loop = await api.call('POST', '/v1/productions?callbackUrl=' + encodeURIComponent('http://127.0.0.1:9/x'), {
      body: storyboard('cb'),
    });
    expect(loop.status).toBe(400);
    expect(loop.body.message).toMatch(/loopback or private/);
  });
});

describe('storyreel serve: storyboards, assets, idempotency', () => {
  it('uploads an asset (content-addressed, type checked) and produces a storyboard that uses it; a server path is refused', async () => {
    const up = async (body: Buffer, type: string) =>
      fetch(`${api.url}/v1/assets`, { method: 'POST', headers: { authorization: `Bearer ${api.keys.write}`, 'content-type': type }, body });
    const first = await up(png, 'image/png');
    expect(first.status).toBe(201);
    const asset = (await first.json()) as { id: string; sha256: string; width: number };
    expect(asset.sha256).toBe(createHash('sha256').update(png).digest('hex'));
    expect(asset).toMatchObject({ id: `asset:${asset.sha256}`, width: 320 });
    expect((await up(png, 'image/png')).status).toBe(200);
    expect((await up(Buffer.from('not an image at all, just text'), 'image/png')).status).toBe(415);
    expect((await up(png, 'application/x-sh')).status).toBe(415);

    const withPath = storyboard('anchor path', { scenes: [{ id: 'a', prompt: 'x', continuity: 'anchor', anchor: '/etc/hostname' }] });
    const refused = await api.call('POST', '/v1/productions', { body: withPath, route: '/v1/productions' });
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('scenes[0].anchor');
    expect(refused.body.issues[0].message).toMatch(/POST \/v1\/assets/);
    const operatorOnly = await api.call('POST', '/v1/productions', {
      body: storyboard('base url', { providers: { local: { baseURL: 'http://evil.example' } } }),
    });
    expect(operatorOnly.body.field).toBe('providers.local.baseURL');

    const sb = storyboard('anchored', { scenes: [{ id: 'a', prompt: 'a test card', continuity: 'anchor', anchor: asset.id }] });
    const plan = await api.call('POST', '/v1/productions/plan', { body: sb, route: '/v1/productions/plan' });
    expect(plan.status).toBe(200);
    expect(plan.body.scenes[0].continuity).toBe('anchor');
    const created = await api.call('POST', '/v1/productions', { body: sb, route: '/v1/productions' });
    expect(created.status).toBe(201);
    const done = await waitState(created.body.productionId, ['completed']);
    expect(done.scenes[0].state).toBe('ready');
  });

  it('the same Idempotency-Key and body give one production; another body with that key is a conflict', async () => {
    const sb = storyboard('idempotent');
    const headers = { 'idempotency-key': 'create-once-1' };
    const [one, two] = await Promise.all([
      api.call('POST', '/v1/productions', { body: sb, headers, route: '/v1/productions' }),
      api.call('POST', '/v1/productions', { body: sb, headers, route: '/v1/productions' }),
    ]);
    expect(one.body.productionId).toBe(two.body.productionId);
    expect([one.status, two.status].sort()).toEqual([200, 201]);
    const again = await api.call('POST', '/v1/productions', { body: sb, headers, route: '/v1/productions' });
    expect(again.body).toMatchObject({ productionId: one.body.productionId, attached: true });
    const other = await api.call('POST', '/v1/productions', { body: storyboard('something else'), headers, route: '/v1/productions' });
    expect(other.status).toBe(409);
    expect(other.body.field).toBe('idempotency-key');
    await waitState(one.body.productionId, ['completed']);
    expect(await executions(one.body.productionId)).toBe(1);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are JSON read loosely; the OpenAPI test checks their shapes
async function readEvents(path: string, lastEventId?: string): Promise<{ id?: string; event: string; data: any }[]> {
  const res = await fetch(`${api.url}${path}`, {
    headers: { authorization: `Bearer ${api.keys.read}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
  });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text(); // the stream ends after the run's closing event
  return text
    .split('\n\n')
    .filter((b) => /^(id|event):/m.test(b))
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      const data = field('data');
      return {
        ...(field('id') ? { id: field('id')! } : {}),
        event: field('event')!,
        data: data ? (JSON.parse(data) as unknown) : undefined,
      };
    });
}

describe('storyreel serve: the event stream and outputs', () => {
  it('streams a whole production as Server-Sent Events, resumable with Last-Event-ID', async () => {
    const created = await api.call('POST', '/v1/productions', { body: storyboard('streamed'), route: '/v1/productions' });
    const id = created.body.productionId as string;
    const all = await readEvents(`/v1/productions/${id}/events`);
    const durable = all.filter((e) => e.id);
    expect(durable.map((e) => `${e.event}${e.data.sceneId ? `:${e.data.sceneId}` : ''}`)).toEqual([
      'scene.ready:a',
      'scene.ready:b',
      'production.completed',
    ]);
    expect(durable.map((e) => e.id)).toEqual([1, 2, 3].map((n) => `${created.body.runId}.${n}`));
    expect(all.filter((e) => e.event === 'progress').length).toBeGreaterThan(0);
    expect(all.at(-1)!.event).toBe('end');
    const resumed = (await readEvents(`/v1/productions/${id}/events`, `${created.body.runId}.1`)).filter((e) => e.id);
    expect(resumed.map((e) => e.id)).toEqual([2, 3].map((n) => `${created.body.runId}.${n}`));
  });

  it('serves the final video with Range requests, and captions, poster, contact sheet, clips and frames', async () => {
    const sb = storyboard('ranged', { scenes: [{ id: 'a', prompt: 'one', narration: 'Hello there.' }] });
    const created = await api.call('POST', '/v1/productions', { body: sb });
    const done = await waitState(created.body.productionId, ['completed']);
    const file = await readFile(join(api.outDir, created.body.productionId, 'final.mp4'));
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.keys.read}`, ...headers } });
    const full = await get(done.outputs.video);
    expect(full.status).toBe(200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await full.arrayBuffer()).equals(file)).toBe(true);
    const part = await get(done.outputs.video, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${file.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(file.subarray(100, 200))).toBe(true);
    const tail = await get(done.outputs.video, { range: 'bytes=-64' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(file.subarray(file.length - 64))).toBe(true);
    expect((await get(done.outputs.video, { range: `bytes=${file.length + 10}-` })).status).toBe(416);
    expect(await (await get(done.outputs.captionsVtt)).text()).toContain('Hello there.');
    expect((await get(done.outputs.poster)).headers.get('content-type')).toBe('image/jpeg');
    expect((await get(done.outputs.contactSheet)).status).toBe(200);
    const clip = await get(done.scenes[0].clip.url);
    expect(
      createHash('sha256')
        .update(Buffer.from(await clip.arrayBuffer()))
        .digest('hex'),
    ).toBe(done.scenes[0].clip.sha256);
    const frame = Buffer.from(await (await get(done.scenes[0].clip.lastFrameUrl)).arrayBuffer());
    expect(frame.subarray(1, 4).toString()).toBe('PNG');
    expect((await get(`/v1/productions/${created.body.productionId}/outputs/..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);
  });
});

describe('storyreel serve: operator actions', () => {
  it('retry with an edited prompt, skip, approve and reject with a note', async () => {
    const sb = storyboard('operated', {
      providers: local({
        faults: [
          { scene: 'b', on: 'job', kind: 'content_policy', times: 1 },
          { scene: 'c', on: 'job', kind: 'content_policy', times: 0 },
        ],
      }),
      operator: { waitSeconds: 600 },
      review: { scenes: ['a'] },
      scenes: [
        { id: 'a', prompt: 'operated: reviewed' },
        { id: 'b', prompt: 'operated: fails once' },
        { id: 'c', prompt: 'operated: always fails' },
      ],
    });
    const { body } = await api.call('POST', '/v1/productions', { body: sb });
    const id = body.productionId as string;
    const waiting = await until('b and c failed, a in review', async () => {
      const p = (await api.call('GET', `/v1/productions/${id}`)).body;
      return p.scenes.map((s: { state: string }) => s.state).join() === 'awaiting_review,failed,failed' ? p : undefined;
    });
    expect(waiting.scenes[1].reason.kind).toBe('content_policy');
    const refused = await api.call('POST', `/v1/productions/${id}/scenes/a/retry`, {
      body: {},
      route: '/v1/productions/{id}/scenes/{sceneId}/retry',
    });
    expect(refused.status).toBe(409);

    const rejected = await api.call('POST', `/v1/productions/${id}/scenes/a/reject`, {
      body: { note: 'warmer light' },
      route: '/v1/productions/{id}/scenes/{sceneId}/reject',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.take).toBe(2);
    const retried = await api.call('POST', `/v1/productions/${id}/scenes/b/retry`, {
      body: { prompt: 'operated: a calmer shot', model: 'local-v1' },
      route: '/v1/productions/{id}/scenes/{sceneId}/retry',
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ take: 2 });
    expect(retried.body.prompt).toContain('a calmer shot');
    const skipped = await api.call('POST', `/v1/productions/${id}/scenes/c/skip`, {
      body: { placeholder: 'slate' },
      route: '/v1/productions/{id}/scenes/{sceneId}/skip',
    });
    expect(skipped.body.state).toBe('skipped');
    await until('take 2 of a in review', async () => {
      const p = (await api.call('GET', `/v1/productions/${id}`)).body;
      return p.scenes[0].state === 'awaiting_review' && p.scenes[0].take === 2 ? p : undefined;
    });
    const approved = await api.call('POST', `/v1/productions/${id}/scenes/a/approve`, {
      body: {},
      route: '/v1/productions/{id}/scenes/{sceneId}/approve',
    });
    expect(approved.body.state).toBe('ready');
    const done = await waitState(id, ['completed_with_placeholders']);
    expect(done.scenes[0].rejectedTakes).toEqual([expect.objectContaining({ take: 1, note: 'warmer light' })]);
    expect(done.scenes.map((s: { state: string }) => s.state)).toEqual(['ready', 'ready', 'skipped']);
  });

  it('abort, cancel, and resume with every finished clip reused', async () => {
    const failing = storyboard('aborted', {
      providers: local({ faults: [{ scene: 'a', on: 'job', kind: 'content_policy', times: 0 }] }),
      operator: { waitSeconds: 600 },
    });
    const a = (await api.call('POST', '/v1/productions', { body: failing })).body.productionId as string;
    await waitState(a, ['waiting_for_operator']);
    const aborted = await api.call('POST', `/v1/productions/${a}/abort`, { body: {}, route: '/v1/productions/{id}/abort' });
    expect(aborted.status).toBe(202);
    await waitState(a, ['failed']);

    const reviewed = storyboard('cancelled', { review: { scenes: ['b'] } });
    const c = await api.call('POST', '/v1/productions', { body: reviewed });
    const id = c.body.productionId as string;
    await until('b in review', async () =>
      (await api.call('GET', `/v1/productions/${id}`)).body.scenes[1].state === 'awaiting_review' ? true : undefined,
    );
    expect((await api.call('POST', `/v1/productions/${id}/cancel`, { route: '/v1/productions/{id}/cancel' })).status).toBe(202);
    await waitState(id, ['cancelled']);
    await until('the run closed', async () =>
      (await temporal.workflow.getHandle(id).describe()).status.name === 'CANCELLED' ? true : undefined,
    );
    const resumed = await api.call('POST', `/v1/productions/${id}/resume`, { body: {}, route: '/v1/productions/{id}/resume' });
    expect(resumed.status).toBe(201);
    expect(resumed.body.runId).not.toBe(c.body.runId);
    await until('b in review again', async () =>
      (await api.call('GET', `/v1/productions/${id}`)).body.scenes[1].state === 'awaiting_review' ? true : undefined,
    );
    await api.call('POST', `/v1/productions/${id}/scenes/b/approve`, { body: {} });
    const done = await waitState(id, ['completed']);
    expect(done.scenes.every((s: { cached: boolean }) => s.cached)).toBe(true);
    expect((await api.call('POST', `/v1/productions/${id}/resume`, { body: {} })).status).toBe(409);
    const list = await api.call('GET', '/v1/productions?state=completed', { route: '/v1/productions' });
    expect(list.body.productions.map((p: { productionId: string }) => p.productionId)).toContain(id);
  });
});

describe('storyreel serve: batches', () => {
  it('creates a batch of inline storyboards, reads its status and items', async () => {
    const body = {
      batch: 'api-batch',
      maxParallelProductions: 2,
      items: [
        { id: 'one', storyboard: storyboard('batch one') },
        { id: 'two', storyboard: storyboard('batch two') },
      ],
    };
    const created = await api.call('POST', '/v1/batches', { body, headers: { 'idempotency-key': 'batch-1' }, route: '/v1/batches' });
    expect(created.status).toBe(201);
    const done = await until('batch completed', async () => {
      const b = await api.call('GET', '/v1/batches/api-batch', { route: '/v1/batches/{id}' });
      return b.body.state === 'completed' ? b.body : undefined;
    });
    expect(done.counts.completed).toBe(2);
    const items = await api.call('GET', '/v1/batches/api-batch/items', { route: '/v1/batches/{id}/items' });
    expect(items.body.items.map((i: { key: string; state: string }) => [i.key, i.state])).toEqual([
      ['one', 'completed'],
      ['two', 'completed'],
    ]);
    const resumed = await api.call('POST', '/v1/batches/api-batch/resume', { body: {}, route: '/v1/batches/{id}/resume' });
    expect(resumed.status).toBe(202);
  });
});

describe('storyreel serve: OpenAPI', () => {
  it('serves an OpenAPI 3.1 document that every recorded answer conforms to', async () => {
    const doc = (await api.call('GET', '/openapi.json', { key: api.keys.read })).body;
    expect(doc.openapi).toBe('3.1.0');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...doc, $id: 'openapi' });
    const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
    const checked = new Set<string>();
    const failures: string[] = [];
    for (const r of api.recorded) {
      if (typeof r.body !== 'object') continue;
      const op = doc.paths[r.route]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.route} is documented`).toBeDefined();
      const resp = op.responses[String(r.status)];
      expect(resp, `${r.method} ${r.route} documents ${r.status}`).toBeDefined();
      const validate = ajv.getSchema(
        `openapi#/${pointer('paths', r.route, r.method.toLowerCase(), 'responses', String(r.status), 'content', 'application/json', 'schema')}`,
      )!;
      if (!validate(r.body)) failures.push(`${r.method} ${r.route} ${r.status}: ${ajv.errorsText(validate.errors)}`);
      checked.add(`${r.method} ${r.route} ${r.status}`);
    }
    expect(failures).toEqual([]);
    expect(checked.size).toBeGreaterThan(15);
  });
});
