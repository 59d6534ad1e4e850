/**
 * One `comfyui` model resolved into what the planner and the adapter need: the graph, where each slot goes, the
 * frame rule, the sizes and lengths it allows, and its capabilities. A model is a shipped template (TEMPLATES) or a
 * workflow the storyboard brings (`providers.comfyui.workflows.<id>`, its file attached by the loader). Pure.
 */
import type { PixelSize, ProviderCapabilities, SceneAsk, SceneIssue, SecondsSpec, SettingsIssue } from '../../contracts/capabilities.js';
import { hashOf } from '../../contracts/hash.js';
import type { ProviderSettings } from '../../contracts/provider-settings.js';
import { px } from '../types.js';
import type { ComfyUISettings, WorkflowEntry } from './settings.js';
import { templateById, type WorkflowFacts } from './templates/index.js';
import {
  literalNumber,
  NODE_PATH,
  parseGraph,
  resolveTargets,
  type ApiGraph,
  type FixedInputs,
  type Mapping,
  type Targets,
} from './workflow.js';

export const PROVIDER = 'comfyui';
const DEFAULT_RENDER_SECONDS_PER_SECOND = 60;
const DEFAULT_MAX_SECONDS = 10;
/** ComfyUI keeps outputs on its disk, but its history (which names them) lives in memory until a restart. */
const OUTPUT_RETENTION_SECONDS = 86_400;
const PROMPT_LIMIT = 4000;

export interface WorkflowSpec {
  model: string;
  graph: ApiGraph;
  targets: Targets;
  fixed: FixedInputs;
  fps: number;
  frameCount: WorkflowFacts['frameCount'];
  seconds: Extract<SecondsSpec, { kind: 'range' }> | Extract<SecondsSpec, { kind: 'enum' }>;
  sizes: PixelSize[];
  firstFrameRequired: boolean;
  renderSecondsPerSecond: number;
  outputNode?: string;
  /** sha256 over everything that shapes the output (graph, targets, fixed inputs, frame rule): in the cache key. */
  key: string;
}

export type Resolved = { spec: WorkflowSpec } | { issues: SettingsIssue[] };

/** The workflows a storyboard brings (the strict schema already checked them). */
export function workflowsOf(settings: ProviderSettings): Record<string, WorkflowEntry> {
  return ((settings as ComfyUISettings).workflows ?? {}) as Record<string, WorkflowEntry>;
}

export function fileKey(model: string): string {
  return `workflows.${model}.file`;
}

const cache = new WeakMap<ProviderSettings, Map<string, Resolved | undefined>>();

/** The model's spec, issues naming setting paths (`workflows.<id>.mapping.prompt`), or undefined for an unknown model. */
export function resolveModel(model: string, settings: ProviderSettings = {}): Resolved | undefined {
  let byModel = cache.get(settings);
  if (!byModel) cache.set(settings, (byModel = new Map()));
  if (!byModel.has(model)) byModel.set(model, resolveUncached(model, settings));
  return byModel.get(model);
}

function resolveUncached(model: string, settings: ProviderSettings): Resolved | undefined {
  const entry = workflowsOf(settings)[model];
  if (!entry) {
    const template = templateById(model);
    return template ? build(model, template.graph, template.mapping, template, {}, '') : undefined;
  }
  const at = `workflows.${model}`;
  if (entry.template) {
    const t = templateById(entry.template)!;
    const { mapping, ...overrides } = entry;
    return build(model, t.graph, { ...t.mapping, ...mapping }, { ...t, ...overrides }, entry.set ?? {}, at);
  }
  const file = settings.files?.[fileKey(model)];
  if (!file) return { issues: [{ path: `${at}.file`, message: `the workflow file "${entry.file}" was not loaded` }] };
  const parsed = parseGraph(file.text);
  if ('error' in parsed) return { issues: [{ path: `${at}.file`, message: `"${entry.file}" ${parsed.error}` }] };
  return build(model, parsed.graph, entry.mapping ?? {}, entry, entry.set ?? {}, at);
}

type Facts = Partial<Omit<WorkflowFacts, 'seconds'>> & { seconds?: WorkflowFacts['seconds'] | number; outputNode?: string };

function build(model: string, graph: ApiGraph, mapping: Mapping, facts: Facts, fixed: FixedInputs, at: string): Resolved {
  const where = (key: string) => (at ? `${at}.${key}` : key);
  const issues: SettingsIssue[] = [];
  const { targets, problems } = resolveTargets(graph, mapping);
  issues.push(...problems.map(([key, message]) => ({ path: where(key), message })));
  for (const path of Object.keys(fixed)) {
    const m = NODE_PATH.exec(path)!;
    if (!graph[m[1]!]) issues.push({ path: where(`set.${path}`), message: `the workflow has no node "${m[1]}"` });
  }
  if (!targets.prompt) {
    issues.push({
      path: where('mapping.prompt'),
      message: 'map the positive prompt: a node input path such as "6.inputs.text", or put {{prompt}} in that input of the workflow',
    });
  }
  if (facts.outputNode !== undefined && !graph[facts.outputNode]) {
    issues.push({ path: where('outputNode'), message: `the workflow has no node "${facts.outputNode}"` });
  }

  const fps = facts.fps ?? literalNumber(graph, targets, 'fps');
  if (fps === undefined)
    issues.push({ path: where('fps'), message: 'give the frame rate this workflow renders at (or map fps to an input holding it)' });

  const sized = !!targets.width && !!targets.height;
  let sizes = facts.sizes?.map(px);
  if (!sizes) {
    const w = literalNumber(graph, targets, 'width');
    const h = literalNumber(graph, targets, 'height');
    if (w && h)
      sizes =
        w === h
          ? [{ width: w, height: h }]
          : [
              { width: w, height: h },
              { width: h, height: w },
            ];
  }
  if (!sizes) {
    issues.push({
      path: where('sizes'),
      message: sized
        ? 'list the sizes this workflow renders ("832x480", …)'
        : 'map width and height, or list the one size the workflow renders in sizes',
    });
  } else if (!sized && sizes.length > 1) {
    issues.push({ path: where('sizes'), message: 'width and height are not mapped, so the workflow renders one size: list only that one' });
  }

  const frameCount = facts.frameCount ?? { multipleOf: 1, plusOne: false };
  let seconds: WorkflowSpec['seconds'] | undefined;
  if (!targets.frames) {
    if (typeof facts.seconds === 'number') seconds = { kind: 'enum', values: [facts.seconds] };
    else
      issues.push({
        path: where('seconds'),
        message: 'map frames (e.g. "55.inputs.length"), or give the fixed length of the workflow in seconds: 5',
      });
  } else if (fps !== undefined) {
    const range = typeof facts.seconds === 'number' ? { min: facts.seconds, max: facts.seconds } : facts.seconds;
    const step = range?.step ?? roundStep(frameCount.multipleOf, fps);
    const min = range?.min ?? step * Math.ceil(1 / step - 1e-9);
    const max = range?.max ?? DEFAULT_MAX_SECONDS;
    if (!onGrid(min * fps, frameCount.multipleOf) || !onGrid(step * fps, frameCount.multipleOf)) {
      issues.push({
        path: where('seconds'),
        message: `at ${fps} fps, lengths must be multiples of ${frameCount.multipleOf} frames; a step of ${roundStep(frameCount.multipleOf, fps)} s fits`,
      });
    }
    seconds = { kind: 'range', min, max: Math.max(min, max), step };
  }
  if (issues.length || fps === undefined || !sizes || !seconds) return { issues };

  const spec: Omit<WorkflowSpec, 'key'> = {
    model,
    graph,
    targets,
    fixed,
    fps,
    frameCount,
    seconds,
    sizes,
    firstFrameRequired: facts.firstFrameRequired ?? false,
    renderSecondsPerSecond: facts.renderSecondsPerSecond ?? DEFAULT_RENDER_SECONDS_PER_SECOND,
    ...(facts.outputNode !== undefined ? { outputNode: facts.outputNode } : {}),
  };
  return { spec: { ...spec, key: hashOf({ graph, targets, fixed, fps, frameCount, outputNode: facts.outputNode }) } };
}

/** The smallest step of seconds, a multiple of 1/100 s, whose frames at `fps` are a multiple of `multipleOf`. */
export function roundStep(multipleOf: number, fps: number): number {
  for (let k = 1; k < 1000; k++) {
    const s = (multipleOf * k) / fps;
    if (Math.abs(Math.round(s * 100) - s * 100) < 1e-6) return Math.round(s * 100) / 100;
  }
  return multipleOf / fps;
}

const onGrid = (frames: number, multipleOf: number) => Math.abs(frames / multipleOf - Math.round(frames / multipleOf)) < 1e-6;

/** The frame count input's value for a clip of `seconds`. */
export function framesFor(spec: WorkflowSpec, seconds: number): number {
  return Math.round(seconds * spec.fps) + (spec.frameCount.plusOne ? 1 : 0);
}

/**
 * What capability flags cannot say about a scene: an image-to-video workflow needs a first frame. Named with the
 * models of these settings that start from text.
 */
export function sceneIssuesOf(spec: WorkflowSpec, ask: SceneAsk, textModels: () => string[]): SceneIssue[] {
  if (!spec.firstFrameRequired || ask.firstFrame) return [];
  const others = textModels();
  return [
    {
      field: 'continuity',
      message:
        `comfyui/${spec.model} needs a first-frame image and this scene has none; give it continuity "anchor" with an ` +
        `anchor image, or "chain" after another scene, or a model that starts from text${others.length ? ` (${others.join(', ')})` : ''}`,
    },
  ];
}

export function capabilitiesOf(spec: WorkflowSpec): ProviderCapabilities {
  return {
    provider: PROVIDER,
    model: spec.model,
    lifecycle: { status: 'ga', note: 'your own ComfyUI server' },
    seconds: spec.seconds,
    sizes: spec.sizes,
    anySize: false,
    fps: [spec.fps],
    nativeAudio: false,
    promptLimit: PROMPT_LIMIT,
    negativePrompt: !!spec.targets.negativePrompt,
    firstFrame: !!spec.targets.firstFrame,
    lastFrame: !!spec.targets.lastFrame,
    firstFrameExactSize: false,
    maxReferenceImages: 0,
    extend: false,
    remix: false,
    cancel: 'server',
    renderSecondsPerSecond: spec.renderSecondsPerSecond,
    outputRetentionSeconds: OUTPUT_RETENTION_SECONDS,
    pricing: [{ usdPerSecond: 0 }],
  };
}
