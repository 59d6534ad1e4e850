/**
 * The prompt composer: pure and deterministic. It turns a scene plus the story bible and style lock into one
 * provider prompt, in a fixed block order (subject and action, setting, lighting and atmosphere, camera and
 * movement, style, continuity context), and keeps it within the provider's limit by dropping the lowest-priority
 * blocks first. The scene's own action is never trimmed.
 */
import type { BibleEntry, Scene, Storyboard, Style } from './schema.js';

export type BlockName = 'action' | 'characters' | 'setting' | 'lighting' | 'camera' | 'style' | 'continuity' | 'avoid';

export interface PromptBlock {
  name: BlockName;
  text: string;
}

export interface ComposedPrompt {
  prompt: string;
  /** Present when the provider takes a separate negative prompt. */
  negativePrompt?: string;
  /** Blocks dropped to fit the limit, lowest priority first. */
  trimmed: BlockName[];
  blocks: PromptBlock[];
}

/** Output order of the blocks. */
const ORDER: readonly BlockName[] = ['action', 'characters', 'setting', 'lighting', 'camera', 'style', 'continuity', 'avoid'];
/** Trim order: first dropped first. `action` is never dropped. */
const TRIM_ORDER: readonly BlockName[] = ['continuity', 'avoid', 'lighting', 'camera', 'setting', 'style', 'characters'];

export interface ComposeContext {
  storyboard: Storyboard;
  scene: Scene;
  /** The scene this one continues from (chain/extend), for the continuity block. */
  previous?: Scene;
  promptLimit: number;
  negativePromptSupported: boolean;
  /** Replaces the scene's own prompt text (from the optional LLM enhancer), never the bible or style. */
  actionOverride?: string;
}

/** The style lock with the scene's own overrides applied field by field. */
export function effectiveStyle(sb: Storyboard, scene: Scene): Style {
  const base = sb.style ?? {};
  const own = scene.style ?? {};
  return {
    description: own.description ?? base.description,
    palette: own.palette ?? base.palette,
    lighting: scene.lighting ?? own.lighting ?? base.lighting,
    camera: scene.camera ?? own.camera ?? base.camera,
    negative: own.negative ?? base.negative,
  };
}

export function negativeTerms(style: Style): string[] {
  const n = style.negative;
  return n === undefined ? [] : Array.isArray(n) ? n : [n];
}

const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
const entryText = (e: BibleEntry) => `${e.name}: ${sentence(e.description)}`;

export function bibleEntries(sb: Storyboard, ids: readonly string[] | undefined, list: 'characters' | 'locations' | 'props') {
  return (ids ?? []).map((id) => sb[list].find((e) => e.id === id)).filter((e): e is BibleEntry => !!e);
}

export function composeBlocks(ctx: ComposeContext): PromptBlock[] {
  const { storyboard: sb, scene } = ctx;
  const style = effectiveStyle(sb, scene);
  const blocks: PromptBlock[] = [{ name: 'action', text: sentence(ctx.actionOverride ?? scene.prompt) }];

  const characters = bibleEntries(sb, scene.characters, 'characters');
  if (characters.length) {
    // Canonical descriptions, verbatim every time: "the same woman in the red dress" is what keeps identity.
    blocks.push({ name: 'characters', text: `Characters (same as in every scene): ${characters.map(entryText).join(' ')}` });
  }
  const location = bibleEntries(sb, scene.location ? [scene.location] : [], 'locations');
  const props = bibleEntries(sb, scene.props, 'props');
  const setting = [
    ...location.map((e) => `Setting: ${entryText(e)}`),
    ...(props.length ? [`Key objects (same as in every scene): ${props.map(entryText).join(' ')}`] : []),
  ];
  if (setting.length) blocks.push({ name: 'setting', text: setting.join(' ') });

  const light = [
    style.lighting && `Lighting and atmosphere: ${sentence(style.lighting)}`,
    style.palette && `Palette: ${sentence(style.palette)}`,
  ]
    .filter(Boolean)
    .join(' ');
  if (light) blocks.push({ name: 'lighting', text: light });
  if (style.camera) blocks.push({ name: 'camera', text: `Camera: ${sentence(style.camera)}` });
  if (style.description) blocks.push({ name: 'style', text: `Style: ${sentence(style.description)}` });
  if (ctx.previous) {
    const title = ctx.previous.title ? ` "${ctx.previous.title}"` : '';
    blocks.push({
      name: 'continuity',
      text: `Continuity: continues directly from the previous shot${title} (${sentence(ctx.previous.prompt)}) Keep characters, wardrobe, props and lighting consistent with it.`,
    });
  }
  const avoid = negativeTerms(style);
  if (avoid.length && !ctx.negativePromptSupported) blocks.push({ name: 'avoid', text: `Avoid: ${avoid.join(', ')}.` });
  return blocks.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
}

export function composePrompt(ctx: ComposeContext): ComposedPrompt {
  let blocks = composeBlocks(ctx);
  const trimmed: BlockName[] = [];
  const join = (bs: PromptBlock[]) => bs.map((b) => b.text).join(' ');
  for (const name of TRIM_ORDER) {
    if (join(blocks).length <= ctx.promptLimit) break;
    if (blocks.some((b) => b.name === name)) {
      blocks = blocks.filter((b) => b.name !== name);
      trimmed.push(name);
    }
  }
  const avoid = negativeTerms(effectiveStyle(ctx.storyboard, ctx.scene));
  return {
    prompt: join(blocks),
    ...(ctx.negativePromptSupported && avoid.length ? { negativePrompt: avoid.join(', ') } : {}),
    trimmed,
    blocks,
  };
}
