/**
 * The comfyui provider's pure parts and its planning hook: API-format graphs and mappings (node paths, placeholders),
 * writing a request into a graph, capabilities from a mapping, the history reader, error classification, and a
 * storyboard that brings its own workflow file (read next to it, confined to its folder, hashed into the cache key).
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFile } from '../../src/load/load-storyboard.js';
import { catalog } from '../../src/providers/catalog.js';
import { classifyHttp } from '../../src/providers/comfyui/client.js';
import { historyEntry, outcomeOf, outputFiles, pickVideo, queueState } from '../../src/providers/comfyui/history.js';
import { promptIdFor } from '../../src/providers/comfyui/provider.js';
import { framesFor, resolveModel, roundStep, type WorkflowSpec } from '../../src/providers/comfyui/spec.js';
import { TEMPLATES } from '../../src/providers/comfyui/templates/index.js';
import { applyValues, parseGraph, resolveTargets, type ApiGraph } from '../../src/providers/comfyui/workflow.js';
import { StoryboardError } from '../../src/storyboard/errors.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';

const TEMPLATE_DIR = resolve(import.meta.dirname, '../../src/providers/comfyui/templates');
const REFS = resolve(import.meta.dirname, '../../examples/refs');
const specOf = (model: string, settings = {}): WorkflowSpec => {
  const r = resolveModel(model, settings);
  if (!r || !('spec' in r)) throw new Error(JSON.stringify(r));
  return r.spec;
};

describe('API-format graphs and mappings', () => {
  it('refuses the editor format with what to do, and non-node JSON', () => {
    expect(parseGraph('{"nodes":[],"links":[],"version":0.4}')).toEqual({
      error: expect.stringMatching(/editor format.*Export \(API\)/) as unknown,
    });
    expect(parseGraph('{"3":{"inputs":{}}}')).toEqual({ error: expect.stringMatching(/node "3" is not an API-format node/) as unknown });
    expect(parseGraph('nope')).toEqual({ error: expect.stringMatching(/not valid JSON/) as unknown });
  });

  it('node paths must name an existing node and input; placeholders are found, unknown ones refused', () => {
    const graph: ApiGraph = {
      '6': { class_type: 'CLIPTextEncode', inputs: { text: 'cinematic, {{prompt}}', clip: ['4', 0] } },
      '7': { class_type: 'CLIPTextEncode', inputs: { text: '{{negativePrompt}}', clip: ['4', 0] } },
      '9': { class_type: 'KSampler', inputs: { seed: '{{seed}}', steps: 20 } },
      '10': { class_type: 'Note', inputs: { text: '{{colour}}' } },
    };
    const { targets, problems } = resolveTargets(graph, { width: '99.inputs.width', height: '9.inputs.height', frames: 'nonsense' });
    expect(problems).toEqual([
      ['mapping.width', '"99.inputs.width": the workflow has no node "99"'],
      ['mapping.height', '"9.inputs.height": node 9 (KSampler) has no input "height"; its value inputs: seed, steps'],
      ['mapping.frames', '"nonsense" is not a node input path like "6.inputs.text"'],
      ['file', expect.stringMatching(/node 10 input "text" has an unknown placeholder \{\{colour\}\}/) as unknown],
    ]);
    expect(targets.prompt).toEqual([{ node: '6', input: 'text', how: 'placeholder' }]);
    expect(targets.negativePrompt).toEqual([{ node: '7', input: 'text', how: 'value' }]);
    expect(targets.seed).toEqual([{ node: '9', input: 'seed', how: 'value' }]);
  });

  it('writes values into a copy; a missing image removes its loader and the links to it; placeholders without values empty', () => {
    const t = TEMPLATES.find((x) => x.id === 'wan2.2-flf2v')!;
    const { targets } = resolveTargets(t.graph, t.mapping);
    const out = applyValues(
      t.graph,
      targets,
      { prompt: 'a boat', seed: 7, width: 832, height: 480, frames: 33, fps: 16, firstFrame: 'storyreel/a.png' },
      { '37.inputs.unet_name': 'mine.safetensors' },
    );
    expect(out['6']!.inputs.text).toBe('a boat');
    expect(out['7']!.inputs.text).toBe(''); // no negative prompt: the template's default is not kept
    expect(out['57']!.inputs.noise_seed).toBe(7);
    expect(out['67']!.inputs).toMatchObject({ width: 832, height: 480, length: 33, start_image: ['62', 0] });
    expect(out['62']!.inputs.image).toBe('storyreel/a.png');
    expect(out['68']).toBeUndefined();
    expect('end_image' in out['67']!.inputs).toBe(false);
    expect(out['37']!.inputs.unet_name).toBe('mine.safetensors');
    expect(t.graph['68']).toBeDefined(); // the template itself is untouched
    const placeholders: ApiGraph = {
      '6': { class_type: 'X', inputs: { text: 'style, {{prompt}}', neg: 'no {{negativePrompt}}', seed: '{{seed}}' } },
    };
    const p = resolveTargets(placeholders, {}).targets;
    expect(applyValues(placeholders, p, { prompt: 'a $& b', width: 1, height: 1, frames: 1, fps: 1 }, {}, 42)['6']!.inputs).toEqual({
      text: 'style, a $& b',
      neg: 'no ',
      seed: 42,
    });
  });
});

describe('capabilities come from the mapping and the frame rule', () => {
  it('every shipped template resolves; first/last frame and negative prompt follow the mapping', () => {
    for (const t of TEMPLATES) expect(specOf(t.id).model).toBe(t.id);
    const caps = (m: string) => catalog.capabilitiesOf('comfyui', m)!;
    expect([caps('wan2.2-t2v').firstFrame, caps('wan2.2-i2v').firstFrame, caps('wan2.2-flf2v').lastFrame]).toEqual([false, true, true]);
    expect([
      specOf('wan2.2-i2v').firstFrameRequired,
      specOf('wan2.2-ti2v-5b').firstFrameRequired,
      caps('wan2.2-ti2v-5b').firstFrame,
    ]).toEqual([true, false, true]);
    const ask = {
      model: 'wan2.2-i2v',
      seconds: 5,
      size: { width: 832, height: 480 },
      firstFrame: false,
      lastFrame: false,
      referenceImages: 0,
      extend: false,
      seed: false,
    };
    expect(catalog.sceneIssues('comfyui', {}, ask)).toEqual([
      { field: 'continuity', message: expect.stringMatching(/needs a first-frame image/) as unknown },
    ]);
    expect(catalog.sceneIssues('comfyui', {}, { ...ask, firstFrame: true })).toEqual([]);
    expect(caps('ltxv-t2v')).toMatchObject({ fps: [24], seconds: { kind: 'range', min: 1, max: 10, step: 1 }, negativePrompt: true });
  });

  it('frames = seconds × fps (+1), on the model grid; the step is the smallest round one', () => {
    expect(framesFor(specOf('wan2.2-i2v'), 5)).toBe(81);
    expect(framesFor(specOf('ltxv-t2v'), 4)).toBe(97);
    expect(framesFor(specOf('wan2.2-ti2v-5b'), 5)).toBe(121);
    expect([roundStep(4, 16), roundStep(4, 24), roundStep(8, 24), roundStep(8, 25), roundStep(1, 30)]).toEqual([0.25, 0.5, 1, 0.32, 0.1]);
  });

  it('a storyboard workflow: fps and sizes default to the exported values; missing facts are named', async () => {
    const text = await readFile(join(TEMPLATE_DIR, 'wan2.2-t2v.json'), 'utf8');
    const files = { 'workflows.mine.file': { path: 'mine.json', sha256: 'x', text } };
    const mapping = {
      prompt: '6.inputs.text',
      width: '61.inputs.width',
      height: '61.inputs.height',
      frames: '61.inputs.length',
      fps: '60.inputs.fps',
    };
    const settings = { workflows: { mine: { file: 'mine.json', mapping, frameCount: { multipleOf: 4, plusOne: true } } }, files };
    const caps = catalog.capabilitiesOf('comfyui', 'mine', settings)!;
    expect(caps).toMatchObject({ fps: [16], negativePrompt: false, firstFrame: false, seconds: { min: 1, max: 10, step: 0.25 } });
    expect(caps.sizes).toEqual([
      { width: 1280, height: 720 },
      { width: 720, height: 1280 },
    ]);
    const bare = { workflows: { mine: { file: 'mine.json', mapping: { prompt: '6.inputs.text' } } }, files };
    expect(catalog.checkSettings('comfyui', bare).map((i) => i.path)).toEqual([
      'workflows.mine.fps',
      'workflows.mine.sizes',
      'workflows.mine.seconds',
    ]);
    expect(catalog.checkSettings('comfyui', { workflows: { mine: { file: 'mine.json' } }, files })[0]).toEqual({
      path: 'workflows.mine.mapping.prompt',
      message: expect.stringMatching(/map the positive prompt/) as unknown,
    });
  });
});

describe('reading /history and /queue', () => {
  const entry = (outputs: Record<string, unknown>, status: unknown) =>
    historyEntry({ p: { prompt: [0, 'p', {}, {}, []], outputs, status } }, 'p')!;
  it('finds videos in images (animated), gifs and videos lists; keeps output-folder videos only', () => {
    const e = entry(
      {
        '9': { images: [{ filename: 'prev_00001_.png', subfolder: '', type: 'temp' }] },
        '12': { gifs: [{ filename: 'AnimateDiff_00001.mp4', subfolder: '', type: 'output', format: 'video/h264-mp4' }] },
        '30': { images: [{ filename: 'ComfyUI_00003_.webm', subfolder: 'video', type: 'output' }], animated: [true] },
        '31': { videos: [{ filename: 'clip.mp4', subfolder: 'v', type: 'temp' }] },
      },
      { status_str: 'success', completed: true, messages: [] },
    );
    const files = outputFiles(e);
    expect(files.map((f) => `${f.node}:${f.key}:${f.filename}`)).toEqual([
      '9:images:prev_00001_.png',
      '12:gifs:AnimateDiff_00001.mp4',
      '30:images:ComfyUI_00003_.webm',
      '31:videos:clip.mp4',
    ]);
    expect(pickVideo(files)?.filename).toBe('AnimateDiff_00001.mp4'); // mp4 before webm; temp never
    expect(pickVideo(files, '30')?.filename).toBe('ComfyUI_00003_.webm');
    expect(pickVideo(files.filter((f) => f.node === '9'))).toBeUndefined();
  });

  it('an execution_error is job_failed material with its exception type; an interruption is canceled', () => {
    const err = entry(
      {},
      {
        status_str: 'error',
        completed: false,
        messages: [
          ['execution_start', { prompt_id: 'p' }],
          [
            'execution_error',
            {
              node_id: '57',
              node_type: 'KSamplerAdvanced',
              exception_type: 'torch.OutOfMemoryError',
              exception_message: 'Allocation on device\nmore',
            },
          ],
        ],
      },
    );
    expect(outcomeOf(err)).toEqual({
      state: 'failed',
      exceptionType: 'torch.OutOfMemoryError',
      message: 'node 57 (KSamplerAdvanced) raised torch.OutOfMemoryError: Allocation on device',
    });
    const stop = entry(
      {},
      { status_str: 'error', completed: false, messages: [['execution_interrupted', { node_id: '3', node_type: 'KSampler' }]] },
    );
    expect(outcomeOf(stop).state).toBe('canceled');
    expect(outcomeOf(entry({ '5': { images: [{ filename: 'a.mp4', type: 'output' }] } }, undefined)).state).toBe('succeeded');
    const q = {
      queue_running: [[3, 'r']],
      queue_pending: [
        [9, 'b'],
        [5, 'a'],
      ],
    };
    expect([queueState(q, 'r'), queueState(q, 'a'), queueState(q, 'b'), queueState(q, 'x')]).toEqual([
      { state: 'running' },
      { state: 'pending', ahead: 0 },
      { state: 'pending', ahead: 1 },
      undefined,
    ]);
  });

  it('prompt ids are canonical lowercase UUIDs, one per clientRef and generation', () => {
    const a = promptIdFor('prod:s1:1.1', 0);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(promptIdFor('prod:s1:1.1', 0)).toBe(a);
    expect(new Set([a, promptIdFor('prod:s1:1.1', 1), promptIdFor('prod:s1:1.2', 0)]).size).toBe(3);
  });
});

describe('classifying answers (status and error type, never text)', () => {
  const h = (o: Record<string, string> = {}) => new Headers(o);
  it('maps statuses by operation', () => {
    const body = JSON.stringify({
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '' },
      node_errors: {
        '37': {
          class_type: 'UNETLoader',
          errors: [
            {
              type: 'value_not_in_list',
              message: 'Value not in list',
              details: "unet_name: 'x' not in []",
              extra_info: { input_name: 'unet_name' },
            },
          ],
        },
      },
    });
    const refused = classifyHttp(400, body, h(), 'create', '/prompt');
    expect([refused.kind, refused.providerCode, refused.retryable]).toEqual(['invalid_request', 'prompt_outputs_failed_validation', false]);
    expect(refused.message).toMatch(/node 37 \(UNETLoader\): Value not in list .*install that model file/);
    expect(classifyHttp(429, '', h({ 'retry-after': '3' }), 'create', '/prompt')).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 3000,
    });
    expect(classifyHttp(402, '{}', h(), 'create', '/prompt').kind).toBe('quota_exhausted');
    expect(classifyHttp(403, '', h(), 'read', '/queue').kind).toBe('auth');
    expect(classifyHttp(500, '', h(), 'create', '/prompt').kind).toBe('ambiguous_submit');
    expect(classifyHttp(503, '', h(), 'read', '/history/x').kind).toBe('transient');
    expect(classifyHttp(404, '', h(), 'download', '/view').kind).toBe('output_expired');
    expect(classifyHttp(502, '', h(), 'upload', '/upload/image').kind).toBe('transient');
  });
});

describe('a storyboard that brings its own workflow file', () => {
  async function project() {
    const dir = await tempDir();
    await mkdir(join(dir, 'flows'));
    const graph = JSON.parse(await readFile(join(TEMPLATE_DIR, 'wan2.2-i2v.json'), 'utf8')) as ApiGraph;
    graph['6']!.inputs.text = '{{prompt}}';
    graph['62']!.inputs.image = '{{firstFrame}}';
    await writeFile(join(dir, 'flows', 'wan.json'), JSON.stringify(graph, null, 2));
    await copyFile(join(REFS, 'mara.png'), join(dir, 'mara.png'));
    const sb = (file: string, extra: Record<string, unknown> = {}) => ({
      title: 'Own workflow',
      defaults: { provider: 'comfyui', model: 'my-wan', size: '832x480', seconds: 2 },
      providers: {
        comfyui: {
          workflows: {
            'my-wan': {
              file,
              mapping: { width: '63.inputs.width', height: '63.inputs.height', frames: '63.inputs.length', fps: '60.inputs.fps' },
              frameCount: { multipleOf: 4, plusOne: true },
              sizes: ['832x480'],
              firstFrameRequired: true,
              ...extra,
            },
          },
        },
      },
      scenes: [{ id: 'a', prompt: 'a keeper at the door', continuity: 'anchor', anchor: 'mara.png' }],
    });
    return { dir, graph, sb };
  }

  it('is read at plan time, carried in the plan, and its content (not its name) is in the cache key', async () => {
    const { dir, graph, sb } = await project();
    const { plan } = await planFile(await writeStoryboard(dir, sb('flows/wan.json')), { catalog });
    const scene = plan.scenes[0]!;
    expect(scene.settings.files?.['workflows.my-wan.file']).toMatchObject({
      path: 'flows/wan.json',
      text: expect.stringContaining('{{prompt}}') as unknown,
    });
    await copyFile(join(dir, 'flows', 'wan.json'), join(dir, 'flows', 'renamed.json'));
    const renamed = (await planFile(await writeStoryboard(dir, sb('flows/renamed.json'), 'b.yaml'), { catalog })).plan.scenes[0]!;
    expect(renamed.cacheKey).toBe(scene.cacheKey);
    graph['57']!.inputs.steps = 30;
    await writeFile(join(dir, 'flows', 'renamed.json'), JSON.stringify(graph));
    const edited = (await planFile(await writeStoryboard(dir, sb('flows/renamed.json'), 'c.yaml'), { catalog })).plan;
    expect(edited.scenes[0]!.cacheKey).not.toBe(scene.cacheKey);
    expect(edited.contentSha256).not.toBe(plan.contentSha256);
  });

  it('must lie in the storyboard folder, exist, and be in API format; problems name the setting', async () => {
    const { dir, sb } = await project();
    await writeFile(join(dir, 'editor.json'), JSON.stringify({ nodes: [], links: [] }));
    const problems = async (file: string) =>
      (
        (await planFile(await writeStoryboard(dir, sb(file), `${file.replace(/\W/g, '')}.yaml`), { catalog }).catch(
          (e: unknown) => e,
        )) as StoryboardError
      ).issues;
    expect(await problems('../outside.json')).toEqual([
      { path: 'providers.comfyui.workflows.my-wan.file', message: expect.stringMatching(/outside the storyboard's folder/) as unknown },
    ]);
    expect(await problems('flows/missing.json')).toEqual([
      { path: 'providers.comfyui.workflows.my-wan.file', message: expect.stringMatching(/not found/) as unknown },
    ]);
    expect((await problems('editor.json'))[0]).toEqual({
      path: 'providers.comfyui.workflows.my-wan.file',
      message: expect.stringMatching(/editor format/) as unknown,
    });
  });

  it('an image-to-video model without a first frame is refused at plan time, naming models that start from text', async () => {
    const { dir, sb } = await project();
    const board = { ...sb('flows/wan.json'), scenes: [{ id: 'a', prompt: 'x' }] };
    const err = (await planFile(await writeStoryboard(dir, board), { catalog }).catch((e: unknown) => e)) as StoryboardError;
    expect(err).toBeInstanceOf(StoryboardError);
    expect(err.issues).toEqual([
      {
        path: 'scenes[0].continuity',
        message: expect.stringMatching(/comfyui\/my-wan needs a first-frame image.*\(wan2\.2-ti2v-5b, wan2\.2-t2v, ltxv-t2v\)/) as unknown,
      },
    ]);
  });
});
