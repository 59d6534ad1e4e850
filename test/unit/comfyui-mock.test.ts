/**
 * The ComfyUI mock against ComfyUI's documented server contract (server.py, execution.py, main.py), through plain
 * HTTP and a `ws` WebSocket client as any ComfyUI client uses it (there is no official client of the server API):
 * validation and its error shapes, the client's prompt_id (and a reused one running again), one prompt at a time,
 * the WebSocket events in order, history entries, /view, uploads, queue deletion and interrupts, /api paths, faults,
 * auth and the request log.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { credentialSha256 } from '../../src/mock/kit/index.js';
import { startComfyMock, type ComfyMock, type HistoryEntry } from '../../src/mock/comfyui/server.js';

const run = promisify(execFile);
const TEMPLATES = resolve(import.meta.dirname, '../../src/providers/comfyui/templates');
const MARA = resolve(import.meta.dirname, '../../examples/refs/mara.png');
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: { title: string } }>;
let mock: ComfyMock;
const template = async (name: string): Promise<Graph> => JSON.parse(await readFile(join(TEMPLATES, `${name}.json`), 'utf8')) as Graph;

beforeAll(async () => {
  mock = await startComfyMock({ timing: { msPerStep: 4, loadMs: 10, msPerNode: 2 } });
});
afterAll(async () => {
  await mock?.close();
});
afterEach(() => mock.setFaults([]));

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, headers: res.headers };
}
const get = async (path: string) => (await fetch(`${mock.url}${path}`)).json() as Promise<Record<string, unknown>>;

async function upload(name: string, data: Buffer, extra: Record<string, string> = {}) {
  const form = new FormData();
  form.append('image', new Blob([data], { type: 'image/png' }), name);
  for (const [k, v] of Object.entries(extra)) form.append(k, v);
  const res = await fetch(`${mock.url}/upload/image`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.text()) || undefined };
}

async function historyOf(id: string, timeoutMs = 10_000): Promise<HistoryEntry> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const h = (await get(`/history/${id}`))[id] as HistoryEntry | undefined;
    if (h) return h;
    if (Date.now() > until) throw new Error(`no history for ${id}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A socket with a client id, collecting `type[:node]` of every event. */
async function listen(clientId: string): Promise<{ events: { type: string; data: Record<string, unknown> }[]; close(): void }> {
  const ws = new WebSocket(`${mock.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
  const events: { type: string; data: Record<string, unknown> }[] = [];
  ws.on('message', (m) => events.push(JSON.parse(String(m)) as { type: string; data: Record<string, unknown> }));
  await new Promise((r, f) => (ws.once('open', r), ws.once('error', f)));
  return { events, close: () => ws.close() };
}

async function i2v(text: string, frames = 17): Promise<Graph> {
  await upload('first.png', await readFile(MARA));
  const g = await template('wan2.2-i2v');
  g['62']!.inputs.image = 'first.png';
  g['6']!.inputs.text = text;
  g['63']!.inputs = { ...g['63']!.inputs, width: 832, height: 480, length: frames };
  return g;
}

describe('POST /prompt runs a valid graph with the client prompt_id', () => {
  it('answers {prompt_id, number, node_errors}, streams events in order, lists the video in /history and serves it', async () => {
    const sock = await listen('client-a');
    const graph = await i2v('a lighthouse at dawn');
    const id = uuid(1);
    const r = await post('/prompt', { prompt: graph, client_id: 'client-a', prompt_id: id });
    expect(r).toMatchObject({ status: 200, body: { prompt_id: id, number: expect.any(Number) as unknown, node_errors: {} } });
    const h = await historyOf(id);
    await new Promise((done) => setTimeout(done, 50));
    sock.close();
    const mine = sock.events.filter((e) => e.type !== 'status');
    const types = mine.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['execution_start', 'execution_cached', 'executing']);
    expect(types.slice(-3)).toEqual(['executed', 'execution_success', 'executing']);
    expect(mine.at(-1)!.data).toEqual({ node: null, prompt_id: id });
    expect(mine.every((e) => e.data.prompt_id === id)).toBe(true);
    // every node runs once, dependencies first; the samplers report each step
    const executing = mine.filter((e) => e.type === 'executing' && e.data.node !== null).map((e) => e.data.node);
    expect(new Set(executing).size).toBe(Object.keys(graph).length);
    expect(executing.indexOf('63')).toBeLessThan(executing.indexOf('57'));
    expect(executing.indexOf('57')).toBeLessThan(executing.indexOf('58'));
    expect(mine.filter((e) => e.type === 'progress' && e.data.node === '57').map((e) => e.data.value)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(sock.events.filter((e) => e.type === 'status').length).toBeGreaterThanOrEqual(3);

    expect(h.status).toMatchObject({ status_str: 'success', completed: true });
    expect(h.status.messages.map((m) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_success']);
    expect(h.prompt.slice(0, 2)).toEqual([r.body!.number, id]);
    expect(h.prompt[3]).toMatchObject({ client_id: 'client-a' });
    expect(h.outputs['59']).toEqual({
      images: [{ filename: expect.stringMatching(/^ComfyUI_\d{5}_\.mp4$/) as unknown, subfolder: 'video', type: 'output' }],
      animated: [true],
    });

    const file = (h.outputs['59']!.images as { filename: string }[])[0]!;
    const res = await fetch(`${mock.url}/view?filename=${file.filename}&subfolder=video&type=output`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'video/mp4']);
    const path = join(await (await import('../helpers/files.js')).tempDir(), 'v.mp4');
    await (await import('node:fs/promises')).writeFile(path, Buffer.from(await res.arrayBuffer()));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_type,width,height,nb_read_frames,r_frame_rate',
      '-of',
      'json',
      path,
    ]);
    expect((JSON.parse(stdout) as { streams: unknown[] }).streams).toEqual([
      { codec_type: 'video', width: 832, height: 480, r_frame_rate: '16/1', nb_read_frames: '17' },
    ]);
    const part = await fetch(`${mock.url}/api/view?filename=${file.filename}&subfolder=video&type=output`, {
      headers: { range: 'bytes=0-99' },
    });
    expect([part.status, (await part.arrayBuffer()).byteLength]).toEqual([206, 100]);
  });

  it('reports cached nodes: a second prompt with the same loaders does not load them again', async () => {
    const sock = await listen('client-b');
    await post('/prompt', { prompt: await i2v('first take'), client_id: 'client-b', prompt_id: uuid(2) });
    await historyOf(uuid(2));
    await post('/prompt', { prompt: await i2v('second take'), client_id: 'client-b', prompt_id: uuid(3) });
    await historyOf(uuid(3));
    sock.close();
    const cached = sock.events.filter((e) => e.type === 'execution_cached' && e.data.prompt_id === uuid(3))[0]!.data.nodes as string[];
    expect(cached).toEqual(expect.arrayContaining(['37', '56', '38', '39', '62']));
    expect(cached).not.toContain('6');
  });

  it('runs one prompt at a time: the next waits in queue_pending', async () => {
    // the first prompt holds the GPU (stuck half way) until it is interrupted
    mock.setFaults([{ match: { method: 'POST', path: '/prompt' }, action: { type: 'job_stuck', atProgress: 50 } }]);
    await post('/prompt', { prompt: await i2v('slow one', 81), prompt_id: uuid(10) });
    await post('/prompt', { prompt: await i2v('waiting one'), prompt_id: uuid(11) });
    const q = (await get('/queue')) as { queue_running: unknown[][]; queue_pending: unknown[][] };
    expect(q.queue_running.map((x) => x[1])).toEqual([uuid(10)]);
    expect(q.queue_pending.map((x) => x[1])).toEqual([uuid(11)]);
    expect(q.queue_pending[0]!.slice(0, 2)).toEqual([expect.any(Number), uuid(11)]);
    expect(await get('/prompt')).toEqual({ exec_info: { queue_remaining: 2 } });
    await post('/interrupt', {});
    expect((await historyOf(uuid(11))).status.status_str).toBe('success');
  });

  it('a reused prompt_id is accepted and runs again; its history entry is replaced when the new run ends', async () => {
    const id = uuid(20);
    const first = await post('/prompt', { prompt: await i2v('once'), prompt_id: id });
    const h1 = await historyOf(id);
    const again = await post('/prompt', { prompt: await i2v('twice'), prompt_id: id });
    expect(again.status).toBe(200);
    expect(again.body!.number).not.toBe(first.body!.number);
    expect(mock.runs().filter((r) => r.promptId === id)).toHaveLength(2);
    for (let i = 0; i < 200 && (await historyOf(id)).prompt[0] === h1.prompt[0]; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await historyOf(id)).prompt[0]).toBe(again.body!.number);
  });
});

describe('validation answers as ComfyUI does', () => {
  const refused = async (prompt: unknown, extra: Record<string, unknown> = {}) => {
    const r = await post('/prompt', { prompt, ...extra });
    expect(r.status).toBe(400);
    return r.body as {
      error: { type: string; message: string; details: string; extra_info: Record<string, unknown> };
      node_errors: Record<string, { errors: { type: string; details: string }[]; dependent_outputs: string[]; class_type: string }>;
    };
  };

  it('an unknown class refuses the whole prompt (missing_node_type, no node_errors)', async () => {
    const g = await i2v('x');
    g['99'] = { class_type: 'WanVideoSampler', inputs: {}, _meta: { title: 'WanVideo Sampler' } };
    expect(await refused(g)).toEqual({
      error: {
        type: 'missing_node_type',
        message: "Node 'WanVideo Sampler' not found. The custom node may not be installed.",
        details: "Node ID '#99'",
        extra_info: { node_id: '99', class_type: 'WanVideoSampler', node_title: 'WanVideo Sampler' },
      },
      node_errors: {},
    });
  });

  it('per-node errors with the outputs that depend on them', async () => {
    const g = await i2v('x');
    delete g['63']!.inputs.vae; // required
    g['57']!.inputs.steps = 0; // below min 1
    g['57']!.inputs.scheduler = 'fancy'; // not in list
    g['62']!.inputs.image = 'never-uploaded.png';
    const body = await refused(g);
    expect(body.error).toMatchObject({ type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation' });
    const types = Object.fromEntries(Object.entries(body.node_errors).map(([id, n]) => [id, n.errors.map((e) => e.type)]));
    expect(types).toEqual({
      '63': ['required_input_missing'],
      '62': ['custom_validation_failed'],
      '57': ['value_smaller_than_min', 'value_not_in_list'],
    });
    expect(body.node_errors['63']).toMatchObject({ class_type: 'WanImageToVideo', dependent_outputs: ['59'] });
    expect(body.node_errors['62']!.errors[0]!.details).toBe('image - Invalid image file: never-uploaded.png');
    expect(body.node_errors['57']!.errors[1]!.details).toMatch(/^scheduler: 'fancy' not in \['simple', /);
  });

  it('a mismatched link stops validation there (its upstream is not checked), as in ComfyUI', async () => {
    const g = await i2v('x');
    g['60']!.inputs.images = ['38', 0]; // CLIP into IMAGE
    delete g['63']!.inputs.vae; // upstream of the mismatch: never reached
    const body = await refused(g);
    expect(Object.keys(body.node_errors)).toEqual(['60']);
    expect(body.node_errors['60']!.errors[0]).toMatchObject({
      type: 'return_type_mismatch',
      details: 'images, received_type(CLIP) mismatch input_type(IMAGE)',
    });
  });

  it('a link to a missing node, no output node, no prompt, a bad prompt_id', async () => {
    const g = await i2v('x');
    g['8']!.inputs.vae = ['404', 0];
    const broken = await refused(g);
    expect(broken.node_errors['8']!.errors[0]).toMatchObject({ type: 'exception_during_inner_validation', details: "'404'" });
    const noOut = await i2v('x');
    delete noOut['59'];
    expect((await refused(noOut)).error.type).toBe('prompt_no_outputs');
    const r = await post('/prompt', { client_id: 'x' });
    expect(r).toMatchObject({ status: 400, body: { error: { type: 'no_prompt', message: 'No prompt provided' }, node_errors: {} } });
    for (const bad of ['my-id', 'ABCDEF00-0000-4000-8000-000000000005', 42])
      expect((await refused(await i2v('x'), { prompt_id: bad })).error.type).toBe('invalid_prompt_id');
  });

  it('model files, when the mock is told which exist, are checked like any combo', async () => {
    const strict = await startComfyMock({ modelFiles: ['wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors'] });
    try {
      const g = await template('wan2.2-t2v');
      const res = await fetch(`${strict.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: g }) });
      const body = (await res.json()) as { node_errors: Record<string, { errors: { type: string; details: string }[] }> };
      expect(res.status).toBe(400);
      expect(body.node_errors['37']!.errors[0]).toMatchObject({
        type: 'value_not_in_list',
        details: "unet_name: 'wan2.2_t2v_high_noise_14B_fp8_scaled.safetensors' not in ['wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors']",
      });
    } finally {
      await strict.close();
    }
  });
});

describe('uploads, queue deletion, interrupts', () => {
  it('/upload/image keeps the name for the same content, numbers it for other content, overwrites on request', async () => {
    const a = await readFile(MARA);
    const b = Buffer.concat([a, Buffer.from('x')]);
    expect(await upload('dup.png', a, { subfolder: 'sr' })).toEqual({
      status: 200,
      body: '{"name":"dup.png","subfolder":"sr","type":"input"}',
    });
    expect(JSON.parse((await upload('dup.png', a, { subfolder: 'sr' })).body!)).toMatchObject({ name: 'dup.png' });
    expect(JSON.parse((await upload('dup.png', b, { subfolder: 'sr' })).body!)).toMatchObject({ name: 'dup (1).png' });
    expect(JSON.parse((await upload('dup.png', b, { subfolder: 'sr', overwrite: 'true' })).body!)).toMatchObject({ name: 'dup.png' });
    expect((await upload('x.png', a, { subfolder: '../etc' })).status).toBe(400);
    const view = await fetch(`${mock.url}/view?filename=dup.png&subfolder=sr&type=input`);
    expect([view.status, view.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect((await fetch(`${mock.url}/view?filename=../x&type=output`)).status).toBe(400);
    expect((await fetch(`${mock.url}/view?filename=x.mp4&subfolder=../..&type=output`)).status).toBe(403);
  });

  it('a pending prompt deleted from the queue never runs; /interrupt stops the running one only when the id matches', async () => {
    const sock = await listen('client-i');
    // the first prompt holds the GPU (stuck half way) until it is interrupted
    mock.setFaults([{ match: { method: 'POST', path: '/prompt' }, action: { type: 'job_stuck', atProgress: 50 } }]);
    await post('/prompt', { prompt: await i2v('long', 161), prompt_id: uuid(30), client_id: 'client-i' });
    await post('/prompt', { prompt: await i2v('queued'), prompt_id: uuid(31) });
    await post('/queue', { delete: [uuid(31)] });
    expect(((await get('/queue')) as { queue_pending: unknown[] }).queue_pending).toEqual([]);
    await post('/interrupt', { prompt_id: uuid(31) }); // not running: nothing happens
    expect(((await get('/queue')) as { queue_running: unknown[][] }).queue_running.map((x) => x[1])).toEqual([uuid(30)]);
    await post('/api/interrupt', { prompt_id: uuid(30) });
    const h = await historyOf(uuid(30));
    expect(h.status).toMatchObject({ status_str: 'error', completed: false });
    expect(h.status.messages.map((m) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_interrupted']);
    expect(await get(`/history/${uuid(31)}`)).toEqual({});
    await new Promise((r) => setTimeout(r, 50));
    sock.close();
    expect(
      sock.events
        .filter((e) => e.data.prompt_id === uuid(30))
        .map((e) => e.type)
        .slice(-2),
    ).toEqual(['execution_interrupted', 'executing']);
  });
});

describe('faults', () => {
  it('job_failed: the run ends in execution_error with the exception type as its code', async () => {
    mock.setFaults([
      { match: { method: 'POST', path: '/prompt' }, action: { type: 'job_failed', code: 'torch.OutOfMemoryError', atProgress: 50 } },
    ]);
    await post('/prompt', { prompt: await i2v('oom'), prompt_id: uuid(40) });
    const h = await historyOf(uuid(40));
    expect(h.status.status_str).toBe('error');
    const [name, data] = h.status.messages.at(-1)!;
    expect([name, data.exception_type, data.node_type]).toEqual(['execution_error', 'torch.OutOfMemoryError', 'KSamplerAdvanced']);
    expect(h.outputs).toEqual({});
  });

  it('accept_then_drop queues the prompt without answering; rate_limit and quota answer 429 / 402', async () => {
    mock.setFaults([{ match: { method: 'POST', path: '/prompt' }, action: { type: 'accept_then_drop' } }]);
    await expect(post('/prompt', { prompt: await i2v('dropped'), prompt_id: uuid(41) })).rejects.toThrow();
    expect((await historyOf(uuid(41))).status.status_str).toBe('success');
    mock.setFaults([{ match: { method: 'POST', path: '/prompt' }, action: { type: 'rate_limit', retryAfter: 2 } }]);
    const limited = await post('/prompt', { prompt: {} });
    expect([limited.status, limited.headers.get('retry-after'), (limited.body as { error: { type: string } }).error.type]).toEqual([
      429,
      '2',
      'rate_limited',
    ]);
    mock.setFaults([{ match: { method: 'POST', path: '/prompt' }, action: { type: 'quota' } }]);
    expect((await post('/prompt', { prompt: {} })).status).toBe(402);
    expect(
      mock
        .requests()
        .filter((r) => r.fault)
        .slice(-3)
        .map((r) => [r.fault, r.status]),
    ).toEqual([
      ['accept_then_drop', 0],
      ['rate_limit', 429],
      ['quota', 402],
    ]);
  });
});

describe('a proxy key in front', () => {
  it('401 without it (HTTP and WebSocket); the log keeps only its hash', async () => {
    const keyed = await startComfyMock({ apiKey: 'proxy-secret-1' });
    try {
      expect((await fetch(`${keyed.url}/queue`)).status).toBe(401);
      const ok = await fetch(`${keyed.url}/queue`, { headers: { authorization: 'Bearer proxy-secret-1' } });
      expect(ok.status).toBe(200);
      const refused = new WebSocket(`${keyed.url.replace('http', 'ws')}/ws?clientId=z`);
      expect(await new Promise((r) => refused.once('unexpected-response', (_req, res) => r(res.statusCode)))).toBe(401);
      const log = keyed.requests();
      expect(log.at(-1)!.auth).toEqual({ header: 'authorization', scheme: 'Bearer', sha256: credentialSha256('proxy-secret-1') });
      expect(JSON.stringify(log)).not.toContain('proxy-secret-1');
    } finally {
      await keyed.close();
    }
  });
});
