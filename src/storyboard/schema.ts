/**
 * Storyboard format v1: the zod schemas and their inferred types (each schema and its type share one name).
 *
 * Pure: no node:*, no I/O. Workflows may import this module.
 * Every object is strict: an unknown key is an error, so a typo never silently changes a paid production.
 */
import { z } from 'zod';
import { Id } from '../contracts/ids.js';
import { BaseURL, COMMON_SETTINGS } from '../contracts/provider-settings.js';
import { SPEECH_PROVIDERS } from '../contracts/speech.js';

/** Pixel size as "WIDTHxHEIGHT", e.g. "1280x720". Both sides even, as H.264 in yuv420p requires. */
export const SizeText = z
  .string()
  .regex(/^\d{2,5}x\d{2,5}$/, 'must look like "1280x720" (width x height in pixels)')
  .refine((s) => s.split('x').every((n) => Number(n) % 2 === 0), 'width and height must both be even numbers');

export const Aspect = z.enum(['16:9', '9:16', '1:1', '4:3', '3:4', '21:9']);
export type Aspect = z.infer<typeof Aspect>;

/**
 * How a scene connects to what came before:
 * - independent: text (and references) only;
 * - chain: the first frame is the previous scene's last frame;
 * - anchor: the first frame is a reference image from the story bible (stops chain drift);
 * - extend: the provider's own extension of the previous scene's clip (trimmed so nothing repeats);
 * - keyframes: a first and a last frame image, where the provider supports both.
 */
export const ContinuityMode = z.enum(['independent', 'chain', 'anchor', 'extend', 'keyframes']);
export type ContinuityMode = z.infer<typeof ContinuityMode>;

export const TransitionType = z.enum([
  'cut',
  'crossfade',
  'dissolve',
  'fadeblack',
  'fadewhite',
  'wipeleft',
  'wiperight',
  'wipeup',
  'wipedown',
  'slideleft',
  'slideright',
  'slideup',
  'slidedown',
]);
export type TransitionType = z.infer<typeof TransitionType>;

/** The transition INTO a scene (from the one before it). A bare name uses 0.5 s. */
export const Transition = z.union([
  TransitionType,
  z.strictObject({
    type: TransitionType,
    seconds: z.number().positive().max(5, 'must be at most 5 seconds').optional(),
  }),
]);
export type Transition = z.infer<typeof Transition>;

const Text = z.string().trim().min(1, 'must not be empty');

/** Most scenes one production may have: its progress, result and history stay well inside Temporal's limits. */
export const MAX_SCENES = 500;
const Seconds = z.number().positive('must be greater than 0').max(600, 'must be at most 600 seconds');

/**
 * A voice: which speech provider speaks, with which of its voices, how. Every field is part of the cache key of what
 * it says. A bare string is an espeak-ng voice name (`en-us`). Keys never appear here: `apiKeyEnv` names the
 * environment variable that holds one.
 */
export const Voice = z.union([
  Text,
  z.strictObject({
    provider: z.enum(SPEECH_PROVIDERS).default('espeak-ng'),
    /** espeak-ng: `en-us`, `en-gb+f3`; openai-speech: `alloy`, `marin`, …; elevenlabs: a voice id. */
    voice: Text,
    model: Text.optional(),
    /** 1 is the voice's normal rate. */
    speed: z.number().min(0.5, 'must be at least 0.5').max(2, 'must be at most 2').optional(),
    /** How to speak (openai-speech models that take instructions, e.g. gpt-4o-mini-tts). */
    instructions: Text.optional(),
    baseURL: BaseURL.optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable, not a key')
      .optional(),
  }),
]);
export type Voice = z.infer<typeof Voice>;

/** How a scene's length follows what is said in it (see SpeechFit in src/contracts/speech.ts). */
export const SpeechFitSetting = z.enum(['auto', 'lengthen', 'fail', 'extend', 'trim']);

/** A character, location or prop: its canonical description is injected into every scene that references it. */
export const BibleEntry = z.strictObject({
  id: Id,
  name: Text,
  description: Text,
  /** Image files (PNG/JPEG/WebP), relative to the storyboard file. Checked when the storyboard is loaded. */
  references: z.array(Text).max(8, 'at most 8 reference images').optional(),
  /** The voice this character's lines are spoken in (characters only). */
  voice: Voice.optional(),
});

/** A line a character says in a scene; spoken after the scene's narration, in order. */
export const Line = z.strictObject({ character: Id, text: Text });
export type BibleEntry = z.infer<typeof BibleEntry>;

/** The style lock, applied to every scene; a scene overrides only the fields it states. */
export const Style = z.strictObject({
  description: Text.optional(),
  palette: Text.optional(),
  lighting: Text.optional(),
  camera: Text.optional(),
  /** Things to avoid; a negative prompt where the provider takes one, folded into the prompt otherwise. */
  negative: z.union([Text, z.array(Text)]).optional(),
});
export type Style = z.infer<typeof Style>;

/**
 * One provider/model a scene may be made by: a provider name (its default model), or `{ provider, model }`.
 * Choices are tried in order: the planner picks the first that can make the scene, and at run time a provider-level
 * failure (quota, auth, model gone, outage, jobs stuck again and again) moves the scene to the next.
 */
export const Choice = z.union([Id, z.strictObject({ provider: Id, model: Text.optional() })]);
export type Choice = z.infer<typeof Choice>;
const Choices = z.array(Choice).min(1, 'name at least one provider').max(8, 'at most 8 choices');

export const Defaults = z.strictObject({
  provider: Id.default('local'),
  /** Ordered provider/model choices for every scene; replaces `provider`/`model` when given. */
  choices: Choices.optional(),
  /** The provider's default model when omitted. */
  model: Text.optional(),
  /** Exact output size; or `aspect`, which picks the provider's default size for that aspect. */
  size: SizeText.optional(),
  aspect: Aspect.optional(),
  seconds: Seconds.default(4),
  fps: z.number().int().min(1).max(120).default(24),
  continuity: ContinuityMode.default('independent'),
  transition: Transition.default('cut'),
  /** On a chain, re-anchor to the scene's anchor image every N links to stop drift. */
  reanchorEvery: z.number().int().min(1).optional(),
  seed: z.number().int().min(0).optional(),
  /** How many scenes may render at once (dependencies permitting). */
  maxParallelScenes: z.number().int().min(1).max(64).default(4),
  /** The narrator's voice: with it, each scene's `narration` is spoken (and captioned word by word). */
  voice: Voice.optional(),
  /**
   * How a scene's length follows its speech. auto: lengthen a scene whose length comes from the defaults, fail a
   * scene that states its own `seconds`; lengthen: the shortest clip the model allows that holds the speech;
   * extend: hold the clip's last frame until the speech ends; trim: render long enough, cut the clip's tail where the
   * speech ends.
   */
  speechFit: SpeechFitSetting.default('auto'),
});
export type Defaults = z.infer<typeof Defaults>;

export const Scene = z.strictObject({
  id: Id,
  title: Text.optional(),
  /** The scene's own subject and action. Never trimmed by the prompt composer. */
  prompt: Text,
  seconds: Seconds.optional(),
  characters: z.array(Id).optional(),
  location: Id.optional(),
  props: z.array(Id).optional(),
  camera: Text.optional(),
  lighting: Text.optional(),
  style: Style.optional(),
  narration: Text.optional(),
  /** A narration audio file for this scene, mixed over the clip's own sound from the scene's start. */
  narrationAudio: Text.optional(),
  /** What characters say in this scene, after the narration; each needs a character with a `voice`. */
  lines: z.array(Line).max(20, 'at most 20 lines in one scene').optional(),
  speechFit: SpeechFitSetting.optional(),
  continuity: ContinuityMode.optional(),
  /** For `anchor`: a bible entry id (its first reference image) or an image file path. */
  anchor: Text.optional(),
  /** For `keyframes`: the image the clip must end on. */
  lastFrame: Text.optional(),
  reanchorEvery: z.number().int().min(1).optional(),
  transition: Transition.optional(),
  provider: Id.optional(),
  model: Text.optional(),
  /** Ordered provider/model choices for this scene (instead of `provider`/`model`). */
  choices: Choices.optional(),
  seed: z.number().int().min(0).optional(),
});
export type Scene = z.infer<typeof Scene>;

export const FitPolicy = z.enum(['pad', 'crop']);

export const CaptionStyle = z.strictObject({
  fontSize: z.number().int().min(8).max(120).default(28),
  /** ASS colour as hex RRGGBB. */
  color: z
    .string()
    .regex(/^[0-9a-fA-F]{6}$/, 'must be a hex colour like "ffffff"')
    .default('ffffff'),
  outline: z.number().min(0).max(10).default(2),
  position: z.enum(['bottom', 'top']).default('bottom'),
  /** karaoke: the word being spoken is highlighted in `highlight` (needs word timings, i.e. spoken narration). */
  karaoke: z.boolean().default(false),
  /** ASS colour as hex RRGGBB for the current word in karaoke captions. */
  highlight: z
    .string()
    .regex(/^[0-9a-fA-F]{6}$/, 'must be a hex colour like "ffd400"')
    .default('ffd400'),
});

export const Soundtrack = z.strictObject({
  /** Audio file (relative to the storyboard). Looped or cut to the video's length. */
  file: Text,
  /** Gain in dB applied to the soundtrack before mixing (negative = quieter). */
  volumeDb: z.number().min(-60).max(12).default(-12),
  /** Lower the soundtrack while clip audio or narration is speaking (sidechain compression). */
  duck: z.boolean().default(true),
  fadeInSeconds: z.number().min(0).max(30).default(1),
  fadeOutSeconds: z.number().min(0).max(30).default(2),
});

export const Loudness = z.strictObject({
  /** Integrated loudness target, LUFS (EBU R128). Streaming platforms use about -14 to -16. */
  targetLufs: z.number().min(-70).max(-5).default(-16),
  /** Maximum true peak, dBTP. */
  truePeakDb: z.number().min(-9).max(0).default(-1.5),
  loudnessRange: z.number().min(1).max(20).default(11),
});

export const Output = z.strictObject({
  /** File name of the final video inside the production's output directory. */
  filename: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.mp4$/, 'must be a plain file name ending in .mp4')
    .default('final.mp4'),
  /** How clips that differ from the output size are fitted: letterbox (pad) or fill (crop). */
  fit: FitPolicy.default('pad'),
  /** One chapter per scene, titled with the scene's title. */
  chapters: z.boolean().default(true),
  /** Captions from scene narration: SRT and WebVTT sidecars and a mov_text track. */
  captions: z.boolean().default(true),
  /** Burn the captions into the picture (forces a video re-encode). */
  burnCaptions: z.union([z.boolean(), CaptionStyle]).default(false),
  soundtrack: Soundtrack.optional(),
  /** Loudness normalization of the final mix (EBU R128); false keeps levels as they are. */
  loudness: z.union([z.literal(false), Loudness]).default(false),
  /** poster.jpg (a frame from the middle of the first scene) and contact-sheet.jpg (one tile per scene). */
  poster: z.boolean().default(true),
  contactSheet: z.boolean().default(true),
});
export type Output = z.infer<typeof Output>;

export const Budget = z.strictObject({ maxUsd: z.number().positive() });

/** What happens when a scene fails for good: the other scenes go on, then the production waits this long
 * for an operator's retry / skip / abort (0: fail at once; resume later). */
export const Operator = z.strictObject({
  waitSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(0),
  /** What `skip` puts in place of the scene unless the operator says otherwise. */
  placeholder: z.enum(['slate', 'last-frame']).default('slate'),
});

/** Review gate: listed scenes wait for approve/reject after their clip is downloaded. */
export const Review = z.strictObject({
  scenes: z.union([z.literal('all'), z.array(Id).min(1)]),
  waitSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
});

/**
 * Optional LLM prompt enhancer (OpenAI-compatible chat completions). It rewrites each scene's own action text
 * into a more specific shot description; never the bible, the style or the list of scenes. Its output is cached
 * by input, so a rerun plans the same prompts.
 */
export const Enhancer = z.strictObject({
  model: Text,
  baseURL: BaseURL.optional(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable, not a key')
    .optional(),
  /** Extra guidance appended to the built-in instructions. */
  instructions: Text.optional(),
});
export type Enhancer = z.infer<typeof Enhancer>;

export const StoryboardShape = z.strictObject({
  version: z.literal(1).default(1),
  title: Text,
  description: Text.optional(),
  defaults: Defaults.prefault({}),
  style: Style.optional(),
  characters: z.array(BibleEntry).default([]),
  locations: z.array(BibleEntry).default([]),
  props: z.array(BibleEntry).default([]),
  scenes: z
    .array(Scene)
    .min(1, 'a storyboard needs at least one scene')
    .max(
      MAX_SCENES,
      `at most ${MAX_SCENES} scenes in one storyboard (a production's history and progress must stay bounded); split it into several storyboards and produce them as a batch`,
    ),
  output: Output.prefault({}),
  /**
   * Settings per provider. The common fields are checked here; each provider's own fields (and unknown keys) are
   * checked by the planner against that provider's schema from the catalog.
   */
  providers: z.record(Id, z.looseObject(COMMON_SETTINGS)).default({}),
  budget: Budget.optional(),
  operator: Operator.prefault({}),
  review: Review.optional(),
  enhancer: Enhancer.optional(),
});

/** Cross-field rules: unique ids, references that resolve, continuity that has what it needs. */
export const Storyboard = StoryboardShape.superRefine((sb, ctx) => {
  const bibleIds = new Map<string, string>();
  for (const list of ['characters', 'locations', 'props'] as const) {
    sb[list].forEach((entry, i) => {
      const seen = bibleIds.get(entry.id);
      if (seen) {
        ctx.addIssue({ code: 'custom', path: [list, i, 'id'], message: `duplicate id "${entry.id}" (already used in ${seen})` });
      }
      bibleIds.set(entry.id, list);
    });
  }
  for (const list of ['locations', 'props'] as const) {
    sb[list].forEach((entry, i) => {
      if (entry.voice)
        ctx.addIssue({ code: 'custom', path: [list, i, 'voice'], message: 'only characters speak; move `voice` to a character' });
    });
  }
  const refCheck = (list: 'characters' | 'locations' | 'props', id: string, path: (string | number)[]) => {
    if (!sb[list].some((e) => e.id === id)) {
      const known = sb[list].map((e) => e.id);
      ctx.addIssue({
        code: 'custom',
        path,
        message: `"${id}" is not defined in ${list}${known.length ? ` (defined: ${known.join(', ')})` : ' (none defined)'}`,
      });
    }
  };
  const sceneIds = new Set<string>();
  sb.scenes.forEach((scene, i) => {
    if (sceneIds.has(scene.id)) {
      ctx.addIssue({ code: 'custom', path: ['scenes', i, 'id'], message: `duplicate scene id "${scene.id}"` });
    }
    sceneIds.add(scene.id);
    scene.characters?.forEach((c, k) => refCheck('characters', c, ['scenes', i, 'characters', k]));
    scene.props?.forEach((p, k) => refCheck('props', p, ['scenes', i, 'props', k]));
    if (scene.location) refCheck('locations', scene.location, ['scenes', i, 'location']);
    scene.lines?.forEach((line, k) => {
      const who = sb.characters.find((c) => c.id === line.character);
      if (!who) refCheck('characters', line.character, ['scenes', i, 'lines', k, 'character']);
      else if (!who.voice)
        ctx.addIssue({
          code: 'custom',
          path: ['scenes', i, 'lines', k, 'character'],
          message: `character "${line.character}" has no \`voice\`; give characters[${sb.characters.indexOf(who)}] a voice to speak its lines`,
        });
    });
    if (scene.narrationAudio && sb.defaults.voice && scene.narration) {
      ctx.addIssue({
        code: 'custom',
        path: ['scenes', i, 'narrationAudio'],
        message: 'this scene has both a recorded narration file and a narrator voice for its `narration`; keep one of them',
      });
    }

    const mode = scene.continuity ?? sb.defaults.continuity;
    if ((mode === 'chain' || mode === 'extend') && i === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['scenes', 0, 'continuity'],
        message: `"${mode}" continues the previous scene, and the first scene has none; use "independent" or "anchor"`,
      });
    }
    if (mode === 'anchor' && !scene.anchor) {
      ctx.addIssue({
        code: 'custom',
        path: ['scenes', i, 'anchor'],
        message: 'continuity "anchor" needs `anchor`: a bible entry id with reference images, or an image file',
      });
    }
    if (mode === 'keyframes' && !scene.lastFrame) {
      ctx.addIssue({
        code: 'custom',
        path: ['scenes', i, 'lastFrame'],
        message: 'continuity "keyframes" needs `lastFrame`: the image file the clip must end on',
      });
    }
    if (scene.choices && (scene.provider || scene.model)) {
      ctx.addIssue({
        code: 'custom',
        path: ['scenes', i, 'choices'],
        message: 'give either `choices` or `provider`/`model`, not both (a single provider is `choices: [name]`)',
      });
    }
    if (!scene.choices && !scene.provider && scene.model && sb.defaults.choices) {
      ctx.addIssue({
        code: 'custom',
        path: ['scenes', i, 'model'],
        message: '`model` without `provider` is ambiguous with `defaults.choices`; give `provider` too, or `choices`',
      });
    }
    const reanchor = scene.reanchorEvery ?? sb.defaults.reanchorEvery;
    if (reanchor && mode === 'chain' && !scene.anchor) {
      ctx.addIssue({
        code: 'custom',
        path: ['scenes', i, 'anchor'],
        message: '`reanchorEvery` on a chain needs `anchor` (the image to re-anchor to)',
      });
    }
    if (scene.anchor && bibleIds.has(scene.anchor)) {
      const entry = [...sb.characters, ...sb.locations, ...sb.props].find((e) => e.id === scene.anchor);
      if (!entry?.references?.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['scenes', i, 'anchor'],
          message: `bible entry "${scene.anchor}" has no reference images to anchor to; add \`references\` to it`,
        });
      }
    }
  });
  if (sb.review && sb.review.scenes !== 'all') {
    sb.review.scenes.forEach((id, k) => {
      if (!sceneIds.has(id)) ctx.addIssue({ code: 'custom', path: ['review', 'scenes', k], message: `"${id}" is not a scene id` });
    });
  }
  if (sb.defaults.choices && sb.defaults.model) {
    ctx.addIssue({ code: 'custom', path: ['defaults', 'model'], message: 'give either `choices` or `model`, not both' });
  }
  if (sb.defaults.size && sb.defaults.aspect) {
    ctx.addIssue({ code: 'custom', path: ['defaults', 'aspect'], message: 'give either `size` or `aspect`, not both' });
  }
});
export type Storyboard = z.infer<typeof Storyboard>;
export type StoryboardInput = z.input<typeof Storyboard>;
