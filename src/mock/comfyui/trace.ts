/**
 * Reading an accepted prompt the way executing it would: which nodes run and in what order, what each output node
 * saves (size, frame count and rate from the latent and video nodes upstream of it, the first-frame image, the
 * positive prompt), and a signature per node for ComfyUI's cache (same class, same literal inputs, same upstream →
 * the node's output is reused and it is reported in `execution_cached` instead of running).
 */
import { createHash } from 'node:crypto';
import { NODE_CLASSES, type NodeClass } from './nodes.js';

export interface PromptNode {
  class_type: string;
  inputs: Record<string, unknown>;
}
export type Prompt = Record<string, PromptNode>;

const linkOf = (v: unknown): string | undefined => (Array.isArray(v) && v.length === 2 ? String(v[0]) : undefined);
const byId = (a: string, b: string) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);

export const classOf = (prompt: Prompt, id: string): NodeClass => NODE_CLASSES[prompt[id]!.class_type]!;

/** The nodes the outputs need, dependencies first (ComfyUI's ExecutionList order for a tree: depth-first). */
export function executionOrder(prompt: Prompt, outputs: readonly string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id) || !prompt[id]) return;
    seen.add(id);
    const deps = Object.values(prompt[id].inputs)
      .map(linkOf)
      .filter((x): x is string => x !== undefined);
    for (const d of [...new Set(deps)].sort(byId)) visit(d);
    order.push(id);
  };
  for (const o of [...outputs].sort(byId)) visit(o);
  return order;
}

/** Node id → a signature of what it computes (class, literal inputs, upstream signatures, uploaded image content). */
export function signatures(prompt: Prompt, imageHash: (name: string) => string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const sig = (id: string, stack: Set<string>): string => {
    const known = out.get(id);
    if (known) return known;
    const node = prompt[id];
    if (!node || stack.has(id)) return `missing:${id}`;
    stack.add(id);
    const parts = Object.keys(node.inputs)
      .sort()
      .map((k) => {
        const v = node.inputs[k];
        const from = linkOf(v);
        return [k, from !== undefined ? { link: sig(from, stack), slot: (v as unknown[])[1] } : v];
      });
    const image = node.class_type === 'LoadImage' && typeof node.inputs.image === 'string' ? imageHash(node.inputs.image) : undefined;
    const s = createHash('sha256')
      .update(JSON.stringify([node.class_type, parts, image ?? null]))
      .digest('hex');
    stack.delete(id);
    out.set(id, s);
    return s;
  };
  for (const id of Object.keys(prompt)) sig(id, new Set());
  return out;
}

/** What an output node saves: a video of this geometry, from this prompt and first-frame image. */
export interface SaveSpec {
  width: number;
  height: number;
  frames: number;
  fps: number;
  /** The positive prompt text feeding the sampler (the picture's colour comes from it). */
  prompt: string;
  /** The uploaded image name that starts the video. */
  firstImage?: string;
}

/** The nodes upstream of `id` (breadth first, nearest first). */
function upstream(prompt: Prompt, id: string): string[] {
  const out: string[] = [];
  const queue = [id];
  const seen = new Set([id]);
  while (queue.length) {
    const cur = queue.shift()!;
    for (const v of Object.values(prompt[cur]?.inputs ?? {})) {
      const from = linkOf(v);
      if (from === undefined || seen.has(from) || !prompt[from]) continue;
      seen.add(from);
      out.push(from);
      queue.push(from);
    }
  }
  return out;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || fallback);

/** The video an output node would save, or undefined when nothing upstream makes a video latent. */
export function saveSpec(prompt: Prompt, output: string): SaveSpec | undefined {
  const chain = [output, ...upstream(prompt, output)];
  const latentId = chain.find((id) => classOf(prompt, id).latent);
  const fpsId = chain.find((id) => classOf(prompt, id).fpsInput);
  if (!latentId) return undefined;
  const latent = prompt[latentId]!;
  const rule = classOf(prompt, latentId).latent!;
  const down = (v: unknown) => Math.max(rule.sizeMultiple, Math.floor(num(v, 512) / rule.sizeMultiple) * rule.sizeMultiple);
  const length = Math.max(1, Math.trunc(num(latent.inputs.length, 1)));
  const fpsNode = fpsId ? prompt[fpsId] : undefined;
  const image = ['start_image', 'image'].map((k) => linkOf(latent.inputs[k])).find((id) => id && prompt[id]?.class_type === 'LoadImage');
  const imageName = image ? prompt[image]!.inputs.image : undefined;
  return {
    width: down(latent.inputs.width),
    height: down(latent.inputs.height),
    frames: Math.floor((length - 1) / rule.frameMultiple) * rule.frameMultiple + 1,
    fps: fpsNode ? num(fpsNode.inputs[classOf(prompt, fpsId!).fpsInput!], 24) : 24,
    prompt: positivePrompt(prompt, chain),
    ...(typeof imageName === 'string' ? { firstImage: imageName } : {}),
  };
}

/** The text of the CLIPTextEncode that reaches a sampler's `positive` input (through conditioning nodes). */
function positivePrompt(prompt: Prompt, chain: string[]): string {
  const sampler = chain.find((id) => classOf(prompt, id).steps && linkOf(prompt[id]!.inputs.positive));
  let cur = sampler ? linkOf(prompt[sampler]!.inputs.positive) : undefined;
  for (let hops = 0; cur && hops < 32; hops++) {
    const node = prompt[cur];
    if (!node) break;
    if (node.class_type === 'CLIPTextEncode') return String(node.inputs.text ?? '');
    cur = linkOf(node.inputs.positive);
  }
  return Object.keys(prompt)
    .sort(byId)
    .filter((id) => prompt[id]!.class_type === 'CLIPTextEncode')
    .map((id) => String(prompt[id]!.inputs.text ?? ''))
    .join('\n');
}
