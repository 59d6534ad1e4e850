/**
 * The handlers of the ComfyUI routes over the prompt queue (queue.ts), the uploaded images and the node table.
 *
 * `POST /prompt` checks the body as server.py does (no `prompt` → `no_prompt`; a `prompt_id` that is not a
 * canonical lowercase UUID → `invalid_prompt_id`), validates the graph (validate.ts) and queues it with the client's
 * `prompt_id` (or a new uuid4). A reused `prompt_id` is queued and run again: ComfyUI does not refuse it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  IMAGE_MIME,
  imageInfo,
  isUploadedFile,
  json,
  MockHttpError,
  text,
  type FaultAction,
  type HandlerResult,
  type MediaRenderer,
  type MockRequest,
  type Reply,
} from '../kit/index.js';
import { promptError } from './errors.js';
import { NODE_CLASSES } from './nodes.js';
import type { PromptQueue, Uploads } from './queue.js';
import type { ComfyRoute } from './routes.js';
import type { Prompt } from './trace.js';
import { validatePrompt, type Graph } from './validate.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** ComfyUI's default --max-upload-size, MB. */
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

interface StoredImage {
  path: string;
  sha256: string;
  /** The image's type, when it is a PNG, JPEG or WebP image (ComfyUI's LoadImage fails at execution otherwise). */
  mime: string | undefined;
}

export class ImageStore implements Uploads {
  private readonly files = new Map<string, StoredImage>();

  constructor(private readonly renderer: MediaRenderer) {}

  path(name: string): string | undefined {
    const f = this.files.get(name);
    return f?.mime ? f.path : undefined;
  }

  mime(name: string): string | undefined {
    return this.files.get(name)?.mime;
  }

  sha256(name: string): string | undefined {
    return this.files.get(name)?.sha256;
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** Stores an upload like image_upload(): same name and content → the same name; same name, other content → "x (1).png". */
  async put(subfolder: string, filename: string, data: Buffer, overwrite: boolean): Promise<string> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const dot = filename.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [filename.slice(0, dot), filename.slice(dot)] : [filename, ''];
    const key = (name: string) => (subfolder ? `${subfolder}/${name}` : name);
    let name = filename;
    if (!overwrite) {
      for (let i = 1; this.files.has(key(name)) && this.files.get(key(name))!.sha256 !== sha256; i++) name = `${stem} (${i})${ext}`;
    }
    const path = await this.renderer.storeFile(data, ext.slice(1) || 'bin');
    const info = imageInfo(data);
    this.files.set(key(name), { path, sha256, mime: info ? IMAGE_MIME[info.format] : undefined });
    return name;
  }

  clear(): void {
    this.files.clear();
  }
}

export interface ApiOptions {
  /** Model file names the loaders accept; any name when undefined. */
  modelFiles?: ReadonlySet<string>;
}

export class ComfyApi {
  constructor(
    private readonly queue: PromptQueue,
    private readonly images: ImageStore,
    private readonly renderer: MediaRenderer,
    private readonly opts: ApiOptions,
  ) {}

  async handle(req: MockRequest<ComfyRoute>): Promise<HandlerResult> {
    const body = req.body.fields;
    switch (req.route.kind) {
      case 'prompt_post':
        return this.postPrompt(body, req.fault);
      case 'prompt_get':
        return { reply: json(this.queue.queueInfo()) };
      case 'history_get':
        return { reply: json(this.queue.historyOf(req.route.promptId!)), jobId: req.route.promptId! };
      case 'history_list': {
        const max = req.query.get('max_items');
        return { reply: json(this.queue.historyOf(undefined, max === null ? undefined : Number(max))) };
      }
      case 'history_post':
        if (body.clear) this.queue.deleteHistory('all');
        if (Array.isArray(body.delete)) this.queue.deleteHistory(body.delete.map(String));
        return { reply: text('', 200) };
      case 'queue_get':
        return { reply: json(this.queue.queue()) };
      case 'queue_post':
        if (body.clear) this.queue.deletePending('all');
        if (Array.isArray(body.delete)) this.queue.deletePending(body.delete.map(String));
        return { reply: text('', 200) };
      case 'interrupt': {
        const id = typeof body.prompt_id === 'string' && body.prompt_id ? body.prompt_id : undefined;
        this.queue.interrupt(id);
        return { reply: text('', 200), ...(id ? { jobId: id } : {}) };
      }
      case 'upload_image':
        return { reply: await this.upload(body) };
      case 'view':
        return { reply: await this.view(req) };
      case 'object_info':
        return { reply: json(objectInfo(req.path.split('/object_info/')[1])) };
      case 'system_stats':
        return {
          reply: json({
            system: { os: process.platform, comfyui_version: 'mock', python_version: 'n/a', embedded_python: false, argv: ['main.py'] },
            devices: [{ name: 'mock GPU', type: 'cuda', index: 0, vram_total: 25_769_803_776, vram_free: 25_769_803_776 }],
          }),
        };
    }
  }

  private postPrompt(body: Record<string, unknown>, fault: FaultAction | undefined): HandlerResult {
    if (!('prompt' in body)) {
      throw promptError({ type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, {});
    }
    let promptId: string;
    if (body.prompt_id === undefined || body.prompt_id === null) promptId = randomUUID();
    else if (typeof body.prompt_id === 'string' && UUID.test(body.prompt_id)) promptId = body.prompt_id;
    else {
      throw promptError(
        {
          type: 'invalid_prompt_id',
          message: 'prompt_id must be a valid UUID',
          details: 'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one',
          extra_info: {},
        },
        {},
      );
    }
    const graph = body.prompt;
    if (typeof graph !== 'object' || graph === null || Array.isArray(graph)) {
      throw promptError({ type: 'invalid_prompt', message: 'The prompt must be an object of nodes', details: '', extra_info: {} }, {});
    }
    const v = validatePrompt(graph as Graph, (name) => this.images.has(name), this.opts.modelFiles);
    if (!v.ok) throw promptError(v.error, v.nodeErrors);
    const prompt = graph as Prompt;
    const extraData = {
      ...(typeof body.extra_data === 'object' && body.extra_data !== null ? (body.extra_data as Record<string, unknown>) : {}),
      ...(body.client_id !== undefined ? { client_id: body.client_id } : {}),
      create_time: Date.now(),
    };
    const undecodable = Object.values(prompt).find(
      (n) => n.class_type === 'LoadImage' && typeof n.inputs.image === 'string' && !this.images.path(n.inputs.image),
    );
    const failure =
      fault?.type === 'job_failed'
        ? { type: fault.code, message: `${fault.code}: injected by the mock` }
        : undecodable
          ? { type: 'PIL.UnidentifiedImageError', message: `cannot identify image file '${String(undecodable.inputs.image)}'` }
          : undefined;
    const number = this.queue.put({
      promptId,
      prompt,
      extraData,
      outputs: v.outputs,
      ...(failure ? { failure } : {}),
      ...(fault?.type === 'job_failed' && fault.atProgress !== undefined ? { failAt: fault.atProgress } : {}),
      ...(fault?.type === 'job_stuck' ? { stuckAt: fault.atProgress ?? 99 } : {}),
    });
    return { reply: json({ prompt_id: promptId, number, node_errors: v.nodeErrors }), jobId: promptId };
  }

  private async upload(body: Record<string, unknown>): Promise<Reply> {
    const image = body.image;
    if (!isUploadedFile(image) || !image.filename) return text('', 400);
    if (image.data.length > MAX_UPLOAD_BYTES) throw new MockHttpError(413, 'Request Entity Too Large', { type: 'request_too_large' });
    const type = typeof body.type === 'string' ? body.type : 'input';
    if (!['input', 'temp', 'output'].includes(type)) return text('', 400);
    const subfolder = typeof body.subfolder === 'string' ? body.subfolder : '';
    if (escapes(subfolder) || escapes(image.filename) || image.filename.includes('/')) return text('', 400);
    const overwrite = body.overwrite === 'true' || body.overwrite === '1';
    const name = await this.images.put(type === 'input' ? subfolder : `${type}:${subfolder}`, image.filename, image.data, overwrite);
    return json({ name, subfolder, type });
  }

  private async view(req: MockRequest<ComfyRoute>): Promise<Reply> {
    const filename = req.query.get('filename');
    if (filename === null) return text('', 404);
    if (!filename || filename.startsWith('/') || filename.includes('..')) return text('', 400);
    const type = req.query.get('type') ?? 'output';
    if (!['input', 'temp', 'output'].includes(type)) return text('', 400);
    const subfolder = req.query.get('subfolder') ?? '';
    if (escapes(subfolder)) return text('', 403);
    if (req.fault?.type === 'content_expired') return text('', 404);
    const name = filename.split('/').pop()!;
    const disposition = { 'content-disposition': `filename="${name}"`, 'x-content-type-options': 'nosniff' };
    if (type === 'output') {
      const spec = this.queue.savedFile(subfolder, name);
      if (!spec) return text('', 404);
      try {
        return { kind: 'asset', asset: await this.renderer.asset(spec, 'video'), range: req.range, headers: disposition };
      } catch (err) {
        throw new MockHttpError(500, `rendering failed: ${(err as Error).message}`, { type: 'mock_error' });
      }
    }
    const key = subfolder ? `${subfolder}/${name}` : name;
    const path = type === 'input' ? this.images.path(key) : undefined;
    if (!path) return text('', 404);
    const asset = { path, contentType: this.images.mime(key)!, size: (await stat(path)).size };
    return { kind: 'asset', asset, range: req.range, headers: disposition };
  }
}

/** A path that leaves its folder (server.py compares os.path.commonpath). */
function escapes(p: string): boolean {
  return p.startsWith('/') || p.split(/[\\/]/).includes('..');
}

/** `/object_info` in ComfyUI's shape for the classes the mock knows. */
function objectInfo(only: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, cls] of Object.entries(NODE_CLASSES)) {
    if (only !== undefined && decodeURIComponent(only) !== name) continue;
    const shape = (specs: Record<string, { type: string; options?: unknown; of?: string }> | undefined) =>
      Object.fromEntries(
        Object.entries(specs ?? {}).map(([k, s]) => [
          k,
          s.type === 'LINK' ? [s.of] : s.type === 'COMBO' ? [Array.isArray(s.options) ? s.options : []] : [s.type, s],
        ]),
      );
    out[name] = {
      input: { required: shape(cls.required), optional: shape(cls.optional) },
      output: cls.output,
      output_node: !!cls.outputNode,
      name,
      display_name: name,
      category: 'mock',
    };
  }
  return out;
}
