/**
 * ComfyUI workflows in API format ("Save (API Format)" / "Export (API)"): `{ "<node id>": { class_type, inputs,
 * _meta? } }`, where an input is a literal or a link `["<node id>", <output index>]`. Pure functions: parse a graph,
 * find where a mapping's slots go (node paths like `6.inputs.text`, or `{{prompt}}` placeholders in the graph), and
 * write a request's values into a copy of the graph.
 */
import { z } from 'zod';

export const ApiNode = z.looseObject({
  class_type: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});
export type ApiNode = z.infer<typeof ApiNode>;
export type ApiGraph = Record<string, ApiNode>;

/** What a request puts into a workflow. */
export const SLOTS = ['prompt', 'negativePrompt', 'seed', 'width', 'height', 'frames', 'fps', 'firstFrame', 'lastFrame'] as const;
export type Slot = (typeof SLOTS)[number];
const TEXT_SLOTS: readonly Slot[] = ['prompt', 'negativePrompt'];
const IMAGE_SLOTS: readonly Slot[] = ['firstFrame', 'lastFrame'];

/** Slot → node input path(s) (`"6.inputs.text"`), as the storyboard's mapping writes them. */
export type Mapping = Partial<Record<Slot, string | readonly string[]>>;

/** Where a slot's value goes: a node's input, the whole value or (text slots) a `{{slot}}` inside a longer string. */
export interface Target {
  node: string;
  input: string;
  /** `placeholder`: the input's text contains `{{slot}}`, replaced in place. */
  how: 'value' | 'placeholder';
}

export type Targets = Partial<Record<Slot, Target[]>>;

export const NODE_PATH = /^([^.\s]+)\.inputs\.([^.\s]+)$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

const isLink = (v: unknown): v is [string, number] =>
  Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || typeof v[0] === 'number') && typeof v[1] === 'number';

/** A graph from a file's text; a message saying what to do when it is not an API-format graph. */
export function parseGraph(text: string): { graph: ApiGraph } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `is not valid JSON (${(err as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'is not a JSON object of nodes' };
  if (Array.isArray((value as { nodes?: unknown }).nodes) && Array.isArray((value as { links?: unknown }).links)) {
    return {
      error:
        'is in the editor format (nodes and links), not the API format; in ComfyUI use "Export (API)" (Workflow menu) or enable dev mode and "Save (API Format)"',
    };
  }
  const graph: ApiGraph = {};
  for (const [id, node] of Object.entries(value as Record<string, unknown>)) {
    const parsed = ApiNode.safeParse(node);
    if (!parsed.success) return { error: `node "${id}" is not an API-format node ({ "class_type": …, "inputs": { … } })` };
    graph[id] = parsed.data;
  }
  if (!Object.keys(graph).length) return { error: 'has no nodes' };
  return { graph };
}

/**
 * Where each slot goes: the mapping's node paths, plus `{{slot}}` placeholders found in the graph's text inputs.
 * Problems (a path naming a missing node or input, an unknown placeholder) come back as `[key, message]`, the key
 * being `mapping.<slot>` or `file`.
 */
export function resolveTargets(graph: ApiGraph, mapping: Mapping): { targets: Targets; problems: [string, string][] } {
  const targets: Targets = {};
  const problems: [string, string][] = [];
  const add = (slot: Slot, t: Target) => (targets[slot] ??= []).push(t);
  for (const slot of SLOTS) {
    const paths = mapping[slot];
    for (const path of paths === undefined ? [] : typeof paths === 'string' ? [paths] : paths) {
      const m = NODE_PATH.exec(path);
      const node = m ? graph[m[1]!] : undefined;
      if (!m) problems.push([`mapping.${slot}`, `"${path}" is not a node input path like "6.inputs.text"`]);
      else if (!node) problems.push([`mapping.${slot}`, `"${path}": the workflow has no node "${m[1]}"`]);
      else if (!(m[2]! in node.inputs)) {
        const names = Object.keys(node.inputs).filter((k) => !isLink(node.inputs[k]));
        problems.push([
          `mapping.${slot}`,
          `"${path}": node ${m[1]} (${node.class_type}) has no input "${m[2]}"; its value inputs: ${names.join(', ') || 'none'}`,
        ]);
      } else add(slot, { node: m[1]!, input: m[2]!, how: 'value' });
    }
  }
  for (const [id, node] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string') continue;
      for (const match of value.matchAll(PLACEHOLDER)) {
        const slot = match[1] as Slot;
        if (!SLOTS.includes(slot)) {
          problems.push(['file', `node ${id} input "${input}" has an unknown placeholder {{${match[1]}}}; known: ${SLOTS.join(', ')}`]);
          continue;
        }
        const whole = value.trim() === match[0];
        if (!whole && !TEXT_SLOTS.includes(slot)) {
          problems.push(['file', `node ${id} input "${input}": {{${slot}}} must be the whole value, not part of a text`]);
          continue;
        }
        add(slot, { node: id, input, how: whole ? 'value' : 'placeholder' });
      }
    }
  }
  return { targets, problems };
}

/** The literal number at a slot's first target (a default read from the exported workflow), if there is one. */
export function literalNumber(graph: ApiGraph, targets: Targets, slot: Slot): number | undefined {
  const t = targets[slot]?.[0];
  const v = t ? graph[t.node]?.inputs[t.input] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** What one request writes into the workflow; an absent image removes the node that loads it. */
export interface SlotValues {
  prompt: string;
  negativePrompt?: string;
  seed?: number;
  width: number;
  height: number;
  frames: number;
  fps: number;
  /** The image's name on the server (as /upload/image answered). */
  firstFrame?: string;
  lastFrame?: string;
}

/** Fixed input values (`"37.inputs.unet_name": "my-model.safetensors"`), applied before the request's values. */
export type FixedInputs = Readonly<Record<string, string | number | boolean>>;

/**
 * A copy of `graph` with `fixed` inputs set and the request's values written to their targets. An image slot with no
 * image removes the node its target names and every input linked to it (the consumer's input must be optional, as
 * `end_image` of WanFirstLastFrameToVideo is; ComfyUI refuses the prompt otherwise). A text placeholder with no value
 * becomes empty; `{{seed}}` with no seed gets `defaultSeed`.
 */
export function applyValues(graph: ApiGraph, targets: Targets, values: SlotValues, fixed: FixedInputs = {}, defaultSeed = 0): ApiGraph {
  const out = structuredClone(graph);
  for (const [path, value] of Object.entries(fixed)) {
    const m = NODE_PATH.exec(path);
    const node = m ? out[m[1]!] : undefined;
    if (node) node.inputs[m![2]!] = value;
  }
  const removed = new Set<string>();
  for (const slot of SLOTS) {
    const value = values[slot];
    for (const t of targets[slot] ?? []) {
      const node = out[t.node];
      if (!node) continue;
      if (IMAGE_SLOTS.includes(slot) && value === undefined) {
        removed.add(t.node);
        continue;
      }
      if (t.how === 'placeholder') {
        const current = node.inputs[t.input];
        const text = typeof value === 'string' ? value : '';
        node.inputs[t.input] =
          typeof current === 'string' ? current.replace(new RegExp(`\\{\\{\\s*${slot}\\s*\\}\\}`, 'g'), () => text) : text;
      } else if (value !== undefined) node.inputs[t.input] = value;
      else if (slot === 'negativePrompt') node.inputs[t.input] = '';
      else if (slot === 'seed' && typeof node.inputs[t.input] === 'string') node.inputs[t.input] = defaultSeed;
    }
  }
  for (const id of removed) delete out[id];
  if (removed.size) {
    for (const node of Object.values(out)) {
      for (const [input, v] of Object.entries(node.inputs)) if (isLink(v) && removed.has(String(v[0]))) delete node.inputs[input];
    }
  }
  return out;
}
