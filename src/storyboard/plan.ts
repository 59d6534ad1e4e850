/**
 * Planning: Storyboard → ProductionPlan. Pure and deterministic: the same storyboard, assets and catalog give the
 * same plan, byte for byte. Everything a workflow needs travels in the plan as plain JSON.
 */
import { defaultJobDeadlineSeconds, describeSeconds, priceFor, secondsAllowed, sizeText } from '../contracts/capabilities.js';
import { composePrompt, bibleEntries, type BlockName } from './compose.js';
import { StoryboardError, type InputIssue } from './errors.js';
import { hashOf } from '../contracts/hash.js';
import type { Choice, ContinuityMode, Storyboard, Transition, TransitionType } from './schema.js';
import { zodIssues } from './parse.js';
import type { Catalog, PixelSize, ProviderCapabilities, SceneAsk, SceneIssue, SecondsSpec } from '../contracts/capabilities.js';
import type { ImageInput } from '../contracts/jobs.js';
import type { ProviderSettings, SettingsFiles } from '../contracts/provider-settings.js';
import type { SceneSpeech } from '../contracts/speech.js';
import { fitToSpeech, sceneSpeech, sceneSpeechSeconds, wholeFrames } from './speech.js';

/** Bump when the meaning of a cache key changes (so old clips are not reused for a different request). */
export const CACHE_KEY_VERSION = 1;

/** A file the storyboard names, read and hashed at the edge (see src/load). Keyed by the text in the storyboard. */
export interface AssetInfo {
  path: string;
  sha256: string;
  width: number;
  height: number;
  mime: ImageInput['mime'];
}

/** An audio file the storyboard names (soundtrack, narration), read and hashed at the edge. */
export interface AudioAsset {
  path: string;
  sha256: string;
  durationS: number;
}

export type FrameSource =
  { kind: 'previous-last-frame'; sceneId: string } | { kind: 'image'; path: string; sha256: string; mime: ImageInput['mime'] };

export interface ScenePlan {
  index: number;
  id: string;
  title: string;
  provider: string;
  model: string;
  /** Provider settings without secrets (baseURL, poll interval, ...). */
  settings: ProviderSettings;
  prompt: string;
  /** The scene's own action as it opens `prompt` (an operator's edit replaces exactly this). */
  actionText: string;
  negativePrompt?: string;
  trimmedBlocks: BlockName[];
  /** The scene's length in the edit (what the storyboard asked for). */
  seconds: number;
  /**
   * What the model is asked to make when it cannot make `seconds` exactly (6 → 5 on a model of 5 or 10 s): the
   * downloaded clip is then trimmed or padded (last frame held) to `seconds`, so the edit keeps its timing. Also the
   * clip of a scene whose length follows its speech under speechFit extend (held) or trim (cut).
   */
  generateSeconds?: number;
  /** round(seconds × fps) of the output. */
  frames: number;
  size: PixelSize;
  fps: number;
  seed?: number;
  continuity: {
    mode: ContinuityMode;
    firstFrame?: FrameSource;
    lastFrame?: FrameSource;
    references: { path: string; sha256: string; mime: ImageInput['mime'] }[];
    /** For extend: the scene whose provider job is extended; its seconds are trimmed from the stitched result. */
    extendsSceneId?: string;
    reanchored?: boolean;
  };
  /** Scenes that must be ready before this one starts. */
  dependsOn: string[];
  /** Content address of the clip: changes exactly when something that changes the clip changes. */
  cacheKey: string;
  estimatedCostUsd: number;
  jobDeadlineSeconds: number;
  maxJobAttempts: number;
  /** Provider features the workflow acts on (it cannot read the catalog). */
  features: { remix: boolean; cancel: boolean };
  /** Waits for approve/reject after download. */
  review: boolean;
  /**
   * Routed scenes (storyboards with `choices`): every choice considered, in order, with what it would cost or why it
   * cannot make the scene. Absent for a scene with one provider.
   */
  route?: RouteChoice[];
  /**
   * The choices after the picked one that can make the scene, in order: where the scene goes at run time when its
   * provider fails for a provider-level reason (workflows/failover.ts). Each carries what differs by provider.
   */
  fallbacks?: SceneChoice[];
  narration?: string;
  /** Narration audio mixed over this scene from its start. */
  narrationAudio?: AudioAsset;
  /** Transition INTO this scene. The first scene's is always a cut. */
  transition: { type: TransitionType; seconds: number };
  /** What is spoken in this scene and how its length follows it (absent when nothing is spoken). */
  speech?: ScenePlanSpeech;
}

export interface ScenePlanSpeech extends SceneSpeech {
  /** lead + lines + gaps, in seconds: measured (espeak-ng at plan time, or the speech cache) or estimated. */
  speechS: number;
  measured: boolean;
  /** The length the storyboard asked for, before the speech was fitted. */
  requestedSeconds: number;
  /** Clip lengths the video model allows (the workflow refits with measured speech and cannot read the catalog). */
  allowed: SecondsSpec;
  /** How long the scene lasts in the video: the clip's length, or longer (extend) or shorter (trim). */
  sceneSeconds: number;
}

/** A choice of a routed scene as `storyreel plan` shows it. */
export interface RouteChoice {
  provider: string;
  model: string;
  /** picked: makes the scene; fallback: used if the ones before it fail at run time; unusable: cannot make it. */
  status: 'picked' | 'fallback' | 'unusable';
  /** Why it cannot make the scene (unusable only). */
  reasons?: string[];
  seconds?: { asked: number; generated: number; fit: SecondsFit['action'] };
  size?: string;
  estimatedCostUsd?: number;
}

/** What a scene looks like on another provider/model: the fields a failover replaces in the scene's plan. */
export type SceneChoice = Pick<
  ScenePlan,
  | 'provider'
  | 'model'
  | 'settings'
  | 'prompt'
  | 'actionText'
  | 'trimmedBlocks'
  | 'size'
  | 'continuity'
  | 'cacheKey'
  | 'estimatedCostUsd'
  | 'jobDeadlineSeconds'
  | 'maxJobAttempts'
  | 'features'
> &
  Partial<Pick<ScenePlan, 'negativePrompt' | 'generateSeconds'>>;

/** How a requested length is made on a model: exactly, or generated at another length and trimmed or padded. */
export interface SecondsFit {
  generate: number;
  action: 'exact' | 'trim' | 'pad';
}

export interface ProductionPlan {
  planVersion: 1;
  productionId: string;
  title: string;
  storyboardSha256: string;
  /**
   * sha256 over the storyboard's bytes AND every file it names (images, soundtrack, narration audio): editing a
   * referenced file changes the default production id, so a run never attaches to a production made from the old
   * file. A production reused under an explicit id is checked against it.
   */
  contentSha256: string;
  /** The production's house format: every clip is made to match it before assembly. */
  house: { width: number; height: number; fps: number; sampleRate: 48000; channels: 2 };
  maxParallelScenes: number;
  /** How long failed scenes wait for an operator decision (0: fail at once). */
  operatorWaitSeconds: number;
  placeholder: 'slate' | 'last-frame';
  reviewWaitSeconds: number;
  output: Storyboard['output'];
  /** The soundtrack file, resolved (output.soundtrack names it). */
  soundtrack?: AudioAsset & Omit<NonNullable<Storyboard['output']['soundtrack']>, 'file'>;
  budgetUsd?: number;
  scenes: ScenePlan[];
  totals: { scenes: number; seconds: number; durationSeconds: number; estimatedCostUsd: number };
}

export interface PlanInput {
  storyboard: Storyboard;
  /** sha256 of the storyboard file's bytes. */
  storyboardSha256: string;
  fileName: string;
  /** Every image path the storyboard names, as read by src/load. */
  assets: Record<string, AssetInfo>;
  /** Every audio path the storyboard names, as read by src/load. */
  audio?: Record<string, AudioAsset>;
  catalog: Catalog;
  productionId?: string;
  /** Fallback base URLs from the environment (OPENAI_BASE_URL), per provider; not secrets. */
  envBaseURL?: Record<string, string | undefined>;
  /** Scene id → replacement action text from the prompt enhancer. */
  enhancedActions?: Record<string, string>;
  /** Files named by provider settings, as src/load read them: provider → setting path → file. */
  settingsFiles?: Record<string, SettingsFiles>;
  /** Measured length in seconds of synthesized lines, by line key (src/load: espeak-ng, or the speech cache). */
  speechSeconds?: Record<string, number>;
}

const DEFAULT_TRANSITION_SECONDS = 0.5;
const DEFAULT_MAX_JOB_ATTEMPTS = 3;

export function planProduction(input: PlanInput): ProductionPlan {
  const { storyboard: sb, catalog } = input;
  const issues: InputIssue[] = [];
  const scenes: ScenePlan[] = [];
  let chainLinks = 0;
  const settingsOf = providerSettingsOf(sb, catalog, input.settingsFiles ?? {}, issues);

  const audioField = <K extends string>(key: K, text: string, path: string): Record<K, AudioAsset> | Record<string, never> => {
    const asset = input.audio?.[text];
    if (!asset) {
      issues.push({ path, message: `audio file "${text}" was not loaded` });
      return {};
    }
    return { [key]: asset } as Record<K, AudioAsset>;
  };

  sb.scenes.forEach((scene, i) => {
    const at = (field: string) => `scenes[${i}]${field ? `.${field}` : ''}`;
    const mode = scene.continuity ?? sb.defaults.continuity;
    const requestedSeconds = scene.seconds ?? sb.defaults.seconds;
    chainLinks = mode === 'chain' ? chainLinks + 1 : 0;
    const prevPlan = i > 0 ? scenes[i - 1] : undefined;

    /** The scene as one provider/model would make it, with what stands in the way (nothing: it can). */
    const planChoice = (choice: ChoiceRef): { plan?: ScenePlan; issues: InputIssue[] } => {
      const issues: InputIssue[] = [];
      const providerName = choice.provider;
      const { providerField } = choice;
      if (!catalog.knownProviders().includes(providerName)) {
        issues.push({ path: providerField, message: `unknown provider "${providerName}"; known: ${catalog.knownProviders().join(', ')}` });
        return { issues };
      }
      const settings = settingsOf(providerName);
      if (!settings) return { issues }; // its settings block is invalid (reported)
      const model = choice.model ?? catalog.defaultModel(providerName) ?? '';
      const caps = catalog.capabilitiesOf(providerName, model, settings);
      if (!caps) {
        issues.push({
          path: choice.modelField,
          message: `unknown model "${model}" for ${providerName}; known: ${catalog.knownModels(providerName, settings).join(', ')}`,
        });
        return { issues };
      }
      const unavailable = catalog.unavailableReason(providerName, settings, input.envBaseURL?.[providerName]);
      if (unavailable) issues.push({ path: providerField, message: unavailable });
      if (caps.lifecycle.status === 'shutdown') {
        issues.push({
          path: providerField,
          message:
            `${providerName}/${model} was shut down${caps.lifecycle.shutdownAt ? ` on ${caps.lifecycle.shutdownAt}` : ''}` +
            (caps.lifecycle.replacement ? `; use ${caps.lifecycle.replacement} instead` : ''),
        });
      }

      // An extension's length is checked against the extension lengths below (Veo adds 7 s, which no fresh clip has).
      const extending = mode === 'extend' && i > 0 && !!caps.extend;
      const speech = plannedSpeech(
        sb,
        i,
        requestedSeconds,
        extending && caps.extend ? caps.extend.seconds : caps.seconds,
        input.speechSeconds ?? {},
        sb.defaults.fps,
      );
      if (speech?.problem) issues.push({ path: scene.seconds !== undefined ? at('seconds') : at('narration'), message: speech.problem });
      // A spoken scene's clip is as long as its speech needs (already one of the model's allowed lengths). Under
      // speechFit extend/trim the scene lasts as long as its speech instead, and the clip (an allowed length) is cut
      // or held to it at download, as a routed length is.
      const seconds = speech ? speech.sceneSeconds : requestedSeconds;
      const fit = speech?.fitted
        ? { generate: speech.clipSeconds, action: speech.clipSeconds > seconds ? ('trim' as const) : ('pad' as const) }
        : extending
          ? { generate: seconds, action: 'exact' as const }
          : fitSeconds(caps.seconds, seconds);
      if (!fit) {
        issues.push({
          path: at('seconds'),
          message: `${seconds}${scene.seconds === undefined ? ' (from defaults.seconds)' : ''} is not allowed by ${providerName}/${model} and no allowed length is close enough to trim or pad to it; allowed: ${describeSeconds(caps.seconds)}`,
        });
      }
      const generateSeconds = fit?.generate ?? seconds;
      const size = resolveSize(sb, caps, issues);
      const fps = sb.defaults.fps;

      const previous = i > 0 ? sb.scenes[i - 1] : undefined;
      const continuity: ScenePlan['continuity'] = { mode, references: [] };
      const dependsOn: string[] = [];

      const image = (text: string, field: string): FrameSource | undefined => {
        const path = anchorImagePath(sb, text);
        const asset = path === undefined ? undefined : input.assets[path];
        if (!asset) {
          issues.push({ path: at(field), message: `image "${text}" was not loaded (is it a bible id with references, or an image file?)` });
          return undefined;
        }
        return { kind: 'image', path: asset.path, sha256: asset.sha256, mime: asset.mime };
      };
      const needs = (ok: boolean, what: string, suggestion: string) => {
        if (!ok) {
          issues.push({ path: at('continuity'), message: `${providerName}/${model} cannot ${what}; ${suggestion}` });
        }
        return ok;
      };

      const reanchorEvery = scene.reanchorEvery ?? sb.defaults.reanchorEvery;
      switch (mode) {
        case 'independent':
          break;
        case 'chain':
          if (!previous) break; // reported by the schema
          if (!needs(caps.firstFrame, 'start from an image', 'use "independent", or a provider with first-frame input')) break;
          if (reanchorEvery && scene.anchor && chainLinks % reanchorEvery === 0) {
            const src = image(scene.anchor, 'anchor');
            if (src) continuity.firstFrame = src;
            continuity.reanchored = true;
          } else {
            continuity.firstFrame = { kind: 'previous-last-frame', sceneId: previous.id };
            dependsOn.push(previous.id);
          }
          break;
        case 'anchor':
          if (!needs(caps.firstFrame, 'start from an anchor image', 'use "independent", or a provider with first-frame input')) break;
          if (scene.anchor) {
            const src = image(scene.anchor, 'anchor');
            if (src) continuity.firstFrame = src;
          }
          break;
        case 'extend': {
          if (!previous) break;
          const prevProvider = prevPlan?.provider ?? previous.provider ?? sb.defaults.provider;
          const ok = needs(!!caps.extend, 'extend a previous clip', 'use "chain" (starts from the previous scene\'s last frame) instead');
          if (ok && prevProvider !== providerName) {
            issues.push({
              path: at('continuity'),
              message: `"extend" needs the previous scene on the same provider (${prevProvider} ≠ ${providerName}); use "chain"`,
            });
          }
          if (ok && caps.extend && !secondsAllowed(caps.extend.seconds, generateSeconds)) {
            issues.push({
              path: at('seconds'),
              message: `${generateSeconds} is not an allowed extension length for ${providerName}/${model}; allowed: ${describeSeconds(caps.extend.seconds)}`,
            });
          }
          continuity.extendsSceneId = previous.id;
          dependsOn.push(previous.id);
          break;
        }
        case 'keyframes':
          if (!needs(caps.lastFrame && caps.firstFrame, 'take first and last keyframes', 'use "chain" or "anchor" (first frame only)'))
            break;
          if (scene.anchor) {
            const src = image(scene.anchor, 'anchor');
            if (src) continuity.firstFrame = src;
          } else if (previous) {
            continuity.firstFrame = { kind: 'previous-last-frame', sceneId: previous.id };
            dependsOn.push(previous.id);
          }
          if (scene.lastFrame) {
            const src = image(scene.lastFrame, 'lastFrame');
            if (src) continuity.lastFrame = src;
          }
          break;
      }

      if (caps.maxReferenceImages > 0) {
        const entries = [
          ...bibleEntries(sb, scene.characters, 'characters'),
          ...bibleEntries(sb, scene.location ? [scene.location] : [], 'locations'),
          ...bibleEntries(sb, scene.props, 'props'),
        ];
        for (const ref of entries.flatMap((e) => e.references ?? []).slice(0, caps.maxReferenceImages)) {
          const asset = input.assets[ref];
          if (asset) continuity.references.push({ path: asset.path, sha256: asset.sha256, mime: asset.mime });
        }
      }

      const seed = scene.seed ?? sb.defaults.seed;
      const ask: SceneAsk = {
        model,
        seconds: generateSeconds,
        size,
        firstFrame: !!continuity.firstFrame,
        lastFrame: !!continuity.lastFrame,
        referenceImages: continuity.references.length,
        extend: !!continuity.extendsSceneId,
        seed: seed !== undefined,
      };
      // Issues name the field the user wrote: the scene's own, or the default it inherited.
      const askPath = (field: SceneIssue['field']): string => {
        if (field === 'size') return sb.defaults.size ? 'defaults.size' : 'defaults.aspect';
        if (field === 'continuity') return at('continuity');
        const own = { model: scene.model, seconds: scene.seconds, seed: scene.seed }[field];
        return own !== undefined ? at(field) : `defaults.${field}`;
      };
      for (const issue of catalog.sceneIssues(providerName, settings, ask))
        issues.push({ path: askPath(issue.field), message: issue.message });

      const continuesFrom = continuity.firstFrame?.kind === 'previous-last-frame' || continuity.extendsSceneId ? previous : undefined;
      const composed = composePrompt({
        storyboard: sb,
        scene,
        ...(continuesFrom ? { previous: continuesFrom } : {}),
        promptLimit: caps.promptLimit,
        negativePromptSupported: caps.negativePrompt,
        ...(input.enhancedActions?.[scene.id] ? { actionOverride: input.enhancedActions[scene.id] } : {}),
      });
      if (composed.prompt.length > caps.promptLimit) {
        issues.push({
          path: at('prompt'),
          message: `is ${composed.prompt.length} characters; ${providerName}/${model} takes at most ${caps.promptLimit}. Shorten the scene's prompt`,
        });
      }

      const transition = resolveTransition(i === 0 ? 'cut' : (scene.transition ?? sb.defaults.transition));
      if (transition.seconds > 0 && prevPlan && transition.seconds >= Math.min(seconds, prevPlan.seconds)) {
        issues.push({
          path: at('transition'),
          message: `a ${transition.seconds} s transition must be shorter than both scenes it joins (${prevPlan.seconds} s and ${seconds} s)`,
        });
      }

      // Everything that changes the pixels or sound of the clip, and nothing else (not latency, not poll intervals).
      const cacheKey = hashOf({
        v: CACHE_KEY_VERSION,
        provider: providerName,
        model,
        // What else shapes this provider's output (the local renderer: its render mode and the title it draws).
        // (a ComfyUI workflow's content is part of its model's output key, not the file's name)
        ...catalog.outputKey(providerName, settings, { title: scene.title ?? scene.id, model }),
        prompt: composed.prompt,
        negativePrompt: composed.negativePrompt,
        seconds,
        // A clip generated at another length and fitted (kept out of the key when equal, so old keys stay valid).
        ...(generateSeconds !== seconds ? { generate: generateSeconds } : {}),
        size: sizeText(size),
        fps,
        seed,
        firstFrame: frameKey(continuity.firstFrame, scenes),
        lastFrame: frameKey(continuity.lastFrame, scenes),
        references: continuity.references.map((r) => r.sha256),
        extends: continuity.extendsSceneId ? scenes.find((s) => s.id === continuity.extendsSceneId)?.cacheKey : undefined,
      });

      const plan: ScenePlan = {
        index: i,
        id: scene.id,
        title: scene.title ?? scene.id,
        provider: providerName,
        model,
        settings: { ...settings },
        prompt: composed.prompt,
        actionText: composed.blocks.find((b) => b.name === 'action')!.text,
        ...(composed.negativePrompt ? { negativePrompt: composed.negativePrompt } : {}),
        trimmedBlocks: composed.trimmed,
        seconds,
        ...(generateSeconds !== seconds ? { generateSeconds } : {}),
        frames: Math.round(seconds * fps),
        size,
        fps,
        ...(seed !== undefined ? { seed } : {}),
        continuity,
        dependsOn,
        cacheKey,
        estimatedCostUsd: priceFor(caps, size, generateSeconds),
        jobDeadlineSeconds: settings.jobDeadlineSeconds ?? defaultJobDeadlineSeconds(caps, generateSeconds),
        maxJobAttempts: settings.maxJobAttempts ?? DEFAULT_MAX_JOB_ATTEMPTS,
        features: { remix: caps.remix, cancel: caps.cancel === 'server' },
        review: !!sb.review && (sb.review.scenes === 'all' || sb.review.scenes.includes(scene.id)),
        ...(scene.narration ? { narration: scene.narration } : {}),
        ...(scene.narrationAudio ? audioField('narrationAudio', scene.narrationAudio, at('narrationAudio')) : {}),
        transition,
        ...(speech ? { speech: speech.plan } : {}),
      };
      return { plan, issues };
    };

    const choices = choicesOf(sb, scene, i);
    if (choices.length === 1) {
      // The single-provider form: its problems are the scene's, reported as they always were.
      const only = planChoice(choices[0]!);
      issues.push(...only.issues);
      if (only.plan) scenes.push(only.plan);
      return;
    }
    const routed = routeScene(choices.map((c) => ({ ...c, ...planChoice(c) })));
    if ('issue' in routed) {
      issues.push({ path: choices[0]!.listField, message: routed.issue });
      if (routed.placeholder) scenes.push(routed.placeholder); // keeps later scenes' predecessors in place
    } else scenes.push(routed.plan);
  });

  const soundtrack = sb.output.soundtrack ? audioField('file', sb.output.soundtrack.file, 'output.soundtrack.file') : {};
  if (issues.length) throw new StoryboardError(input.fileName, issues);

  const first = scenes[0]!;
  const contentSha256 = hashOf({
    storyboard: input.storyboardSha256,
    images: Object.values(input.assets)
      .map((a) => a.sha256)
      .sort(),
    audio: Object.values(input.audio ?? {})
      .map((a) => a.sha256)
      .sort(),
    settingsFiles: settingsFileHashes(input.settingsFiles),
  });
  const seconds = round3(scenes.reduce((t, s) => t + (s.speech?.sceneSeconds ?? s.seconds), 0));
  const overlaps = scenes.reduce((t, s) => t + s.transition.seconds, 0);
  return {
    planVersion: 1,
    productionId: input.productionId ?? defaultProductionId(sb.title, contentSha256),
    title: sb.title,
    storyboardSha256: input.storyboardSha256,
    contentSha256,
    house: { width: first.size.width, height: first.size.height, fps: sb.defaults.fps, sampleRate: 48000, channels: 2 },
    maxParallelScenes: sb.defaults.maxParallelScenes,
    operatorWaitSeconds: sb.operator.waitSeconds,
    placeholder: sb.operator.placeholder,
    reviewWaitSeconds: sb.review?.waitSeconds ?? 0,
    output: sb.output,
    ...(sb.output.soundtrack && 'file' in soundtrack
      ? { soundtrack: { ...sb.output.soundtrack, ...(soundtrack.file as AudioAsset) } }
      : {}),
    ...(sb.budget ? { budgetUsd: sb.budget.maxUsd } : {}),
    scenes,
    totals: {
      scenes: scenes.length,
      seconds,
      durationSeconds: round3(seconds - overlaps),
      estimatedCostUsd: round4(scenes.reduce((t, s) => t + s.estimatedCostUsd, 0)),
    },
  };
}

/**
 * Scene i's speech with its lengths fitted to the model's clip lengths; undefined when nothing is spoken. `fitted`:
 * speechFit extend/trim made the scene (`sceneSeconds`, whole frames) longer or shorter than its clip.
 */
function plannedSpeech(
  sb: Storyboard,
  i: number,
  requestedSeconds: number,
  allowed: SecondsSpec,
  measured: Record<string, number>,
  fps: number,
): { plan: ScenePlanSpeech; clipSeconds: number; sceneSeconds: number; fitted: boolean; problem?: string } | undefined {
  const scene = sb.scenes[i]!;
  const next = sb.scenes[i + 1];
  const speech = sceneSpeech(sb, scene, {
    transitionInS: i === 0 ? 0 : resolveTransition(scene.transition ?? sb.defaults.transition).seconds,
    transitionOutS: next ? resolveTransition(next.transition ?? sb.defaults.transition).seconds : 0,
  });
  if (!speech) return undefined;
  const { speechS, measured: known } = sceneSpeechSeconds(speech, measured);
  const timing = fitToSpeech({ requested: requestedSeconds, speechS, tailS: speech.tailS, fit: speech.fit, allowed });
  const sceneSeconds = timing.sceneSeconds !== timing.clipSeconds ? wholeFrames(timing.sceneSeconds, fps) : timing.clipSeconds;
  return {
    plan: { ...speech, speechS, measured: known, requestedSeconds, allowed, sceneSeconds },
    clipSeconds: timing.clipSeconds,
    sceneSeconds,
    fitted: sceneSeconds !== timing.clipSeconds,
    // An estimate (a paid voice not yet synthesized) never fails planning: the workflow refits with the real length.
    ...(timing.problem && known ? { problem: timing.problem } : {}),
  };
}

/** `<slug of title>-<8 hex of the storyboard hash>`: the same storyboard gives the same id, so a resubmit attaches. */
export function defaultProductionId(title: string, contentSha256: string): string {
  const slug = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return `${slug || 'production'}-${contentSha256.slice(0, 8)}`;
}

/** The image file a bible id or a path stands for (the first reference of a bible entry). */
export function anchorImagePath(sb: Storyboard, text: string): string | undefined {
  const entry = [...sb.characters, ...sb.locations, ...sb.props].find((e) => e.id === text);
  if (entry) return entry.references?.[0];
  return text;
}

/** Every audio path the storyboard names (for the loader to read and hash). */
export function referencedAudioPaths(sb: Storyboard): { path: string; where: string }[] {
  const out: { path: string; where: string }[] = [];
  if (sb.output.soundtrack) out.push({ path: sb.output.soundtrack.file, where: 'output.soundtrack.file' });
  sb.scenes.forEach((s, i) => s.narrationAudio && out.push({ path: s.narrationAudio, where: `scenes[${i}].narrationAudio` }));
  return out;
}

/** Every image path the storyboard names (for the loader to read and hash). */
export function referencedImagePaths(sb: Storyboard): { path: string; where: string }[] {
  const out: { path: string; where: string }[] = [];
  for (const list of ['characters', 'locations', 'props'] as const) {
    sb[list].forEach((e, i) => e.references?.forEach((r, k) => out.push({ path: r, where: `${list}[${i}].references[${k}]` })));
  }
  sb.scenes.forEach((s, i) => {
    if (s.anchor && !isBibleId(sb, s.anchor)) out.push({ path: s.anchor, where: `scenes[${i}].anchor` });
    if (s.lastFrame) out.push({ path: s.lastFrame, where: `scenes[${i}].lastFrame` });
  });
  return out;
}

function isBibleId(sb: Storyboard, text: string): boolean {
  return [...sb.characters, ...sb.locations, ...sb.props].some((e) => e.id === text);
}

function resolveSize(sb: Storyboard, caps: ProviderCapabilities, issues: InputIssue[]): PixelSize {
  if (sb.defaults.size) {
    const [w, h] = sb.defaults.size.split('x').map(Number) as [number, number];
    const size = { width: w, height: h };
    if (!caps.anySize && !caps.sizes.some((s) => s.width === w && s.height === h)) {
      issues.push({
        path: 'defaults.size',
        message: `${sb.defaults.size} is not offered by ${caps.provider}/${caps.model}; allowed: ${caps.sizes.map(sizeText).join(', ')}`,
      });
    }
    return size;
  }
  const aspect = sb.defaults.aspect ?? '16:9';
  const [aw, ah] = aspect.split(':').map(Number) as [number, number];
  const match = caps.sizes.find((s) => Math.abs(s.width / s.height - aw / ah) < 0.02);
  if (!match) {
    issues.push({
      path: 'defaults.aspect',
      message: `${caps.provider}/${caps.model} has no size with aspect ${aspect}; sizes: ${caps.sizes.map(sizeText).join(', ')}`,
    });
    return caps.sizes[0] ?? { width: 1280, height: 720 };
  }
  return match;
}

function resolveTransition(t: Transition): { type: TransitionType; seconds: number } {
  const type = typeof t === 'string' ? t : t.type;
  if (type === 'cut') return { type, seconds: 0 };
  return { type, seconds: typeof t === 'string' ? DEFAULT_TRANSITION_SECONDS : (t.seconds ?? DEFAULT_TRANSITION_SECONDS) };
}

function frameKey(src: FrameSource | undefined, planned: ScenePlan[]): string | undefined {
  if (!src) return undefined;
  if (src.kind === 'image') return `image:${src.sha256}`;
  return `after:${planned.find((s) => s.id === src.sceneId)?.cacheKey ?? src.sceneId}`;
}

/** The settings with the files they name attached (as src/load read them), checked by the provider's catalog. */
function withFiles(
  provider: string,
  settings: ProviderSettings,
  catalog: Catalog,
  loaded: SettingsFiles,
  issues: InputIssue[],
): ProviderSettings | undefined {
  const files: Record<string, SettingsFiles[string]> = {};
  let missing = false;
  for (const [key, path] of Object.entries(catalog.settingsFiles(provider, settings))) {
    const file = loaded[key];
    if (file && file.path === path) files[key] = file;
    else {
      missing = true;
      issues.push({ path: `providers.${provider}.${key}`, message: `file "${path}" was not loaded` });
    }
  }
  if (missing) return undefined;
  const attached: ProviderSettings = Object.keys(files).length ? { ...settings, files } : settings;
  const problems = catalog.checkSettings(provider, attached);
  issues.push(...problems.map((p) => ({ path: `providers.${provider}.${p.path}`, message: p.message })));
  return problems.length ? undefined : attached;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** Hashes of every settings file (sorted), or undefined when there are none (production ids stay as they were). */
function settingsFileHashes(files: Record<string, SettingsFiles> | undefined): string[] | undefined {
  const hashes = Object.values(files ?? {}).flatMap((byPath) => Object.values(byPath).map((f) => f.sha256));
  return hashes.length ? hashes.sort() : undefined;
}

/**
 * Each provider's settings, validated with that provider's own schema (unknown keys are errors under
 * `providers.<name>`), with the files they name attached as `files` and checked; a provider without a block gets its
 * defaults. Returns undefined for an invalid block.
 */
function providerSettingsOf(
  sb: Storyboard,
  catalog: Catalog,
  loadedFiles: Record<string, SettingsFiles>,
  issues: InputIssue[],
): (provider: string) => ProviderSettings | undefined {
  const parsed = new Map<string, ProviderSettings | undefined>();
  for (const [name, block] of Object.entries(sb.providers)) {
    if (!catalog.knownProviders().includes(name)) {
      issues.push({ path: `providers.${name}`, message: `unknown provider "${name}"; known: ${catalog.knownProviders().join(', ')}` });
      continue;
    }
    const result = catalog.parseSettings(name, block);
    if (result.success) parsed.set(name, withFiles(name, result.data, catalog, loadedFiles[name] ?? {}, issues));
    else {
      issues.push(...zodIssues(result.error, ['providers', name]));
      parsed.set(name, undefined);
    }
  }
  return (provider) => {
    if (parsed.has(provider)) return parsed.get(provider);
    const result = catalog.parseSettings(provider, {});
    const settings = result.success ? result.data : undefined;
    parsed.set(provider, settings);
    return settings;
  };
}

/** Most of a scene that may be held still (padded) when its model cannot make it that long. */
export const MAX_PAD_FRACTION = 0.25;

/**
 * The length to ask a model for so the edit keeps `seconds`: exactly when allowed; else the nearest allowed length
 * (a tie goes to the longer, which is trimmed rather than held still), padded by holding the last frame only up to
 * MAX_PAD_FRACTION of the scene. Undefined when no allowed length is close enough.
 */
export function fitSeconds(spec: SecondsSpec, seconds: number): SecondsFit | undefined {
  if (secondsAllowed(spec, seconds)) return { generate: seconds, action: 'exact' };
  const candidates =
    spec.kind === 'enum'
      ? [...spec.values]
      : [spec.min, spec.max, ...[Math.floor, Math.ceil].map((f) => spec.min + f((seconds - spec.min) / spec.step) * spec.step)].filter(
          (v) => v >= spec.min && v <= spec.max,
        );
  const best = candidates
    .map((v) => round3(v))
    .sort((a, b) => Math.abs(a - seconds) - Math.abs(b - seconds) || b - a)
    .find((v) => v >= seconds || seconds - v <= seconds * MAX_PAD_FRACTION + 1e-9);
  if (best === undefined) return undefined;
  return { generate: best, action: best > seconds ? 'trim' : 'pad' };
}

/** One provider/model a scene may be made by, and the storyboard fields that named it (for error paths). */
export interface ChoiceRef {
  provider: string;
  model?: string;
  providerField: string;
  modelField: string;
  /** The field holding the whole list (a routed scene's error goes there). */
  listField: string;
}

/** The scene's choices in order: its own `choices`, or its `provider`/`model`, or the defaults' (same order). */
export function choicesOf(sb: Storyboard, scene: Storyboard['scenes'][number], i: number): ChoiceRef[] {
  const list = (choices: Choice[], field: string): ChoiceRef[] =>
    choices.map((c, k) => {
      const ref = typeof c === 'string' ? { provider: c } : c;
      return {
        provider: ref.provider,
        ...(ref.model ? { model: ref.model } : {}),
        providerField: `${field}[${k}]`,
        modelField: `${field}[${k}]`,
        listField: field,
      };
    });
  if (scene.choices) return list(scene.choices, `scenes[${i}].choices`);
  if (scene.provider || !sb.defaults.choices) {
    const provider = scene.provider ?? sb.defaults.provider;
    const model = scene.model ?? (scene.provider ? undefined : sb.defaults.model);
    return [
      {
        provider,
        ...(model ? { model } : {}),
        providerField: scene.provider ? `scenes[${i}].provider` : 'defaults.provider',
        modelField: scene.model ? `scenes[${i}].model` : scene.provider ? `scenes[${i}].provider` : 'defaults.model',
        listField: scene.provider ? `scenes[${i}].provider` : 'defaults.provider',
      },
    ];
  }
  return list(sb.defaults.choices, 'defaults.choices');
}

/**
 * Routing: the first choice that can make the scene is picked; the later ones that can are its run-time fallbacks;
 * every choice is listed (with its cost, or why it cannot) for `storyreel plan`.
 */
export function routeScene(
  planned: (ChoiceRef & { plan?: ScenePlan; issues: InputIssue[] })[],
): { plan: ScenePlan } | { issue: string; placeholder?: ScenePlan } {
  const usable = planned.filter((c) => c.plan && !c.issues.length);
  const route: RouteChoice[] = planned.map((c) => {
    const label = { provider: c.provider, model: c.plan?.model ?? c.model ?? '(default)' };
    if (!c.plan || c.issues.length) {
      return {
        ...label,
        status: 'unusable',
        reasons: c.issues.map((x) => (x.path.startsWith(c.listField) ? x.message : `${x.path}: ${x.message}`)),
      };
    }
    const p = c.plan;
    const generated = p.generateSeconds ?? p.seconds;
    return {
      ...label,
      status: c === usable[0] ? 'picked' : 'fallback',
      seconds: { asked: p.seconds, generated, fit: generated === p.seconds ? 'exact' : generated > p.seconds ? 'trim' : 'pad' },
      size: sizeText(p.size),
      estimatedCostUsd: p.estimatedCostUsd,
    };
  });
  const [picked, ...rest] = usable;
  if (!picked) {
    const why = route.map((r, k) => `${k + 1}. ${r.provider}/${r.model}: ${(r.reasons ?? []).join('; ')}`).join(' ');
    const placeholder = planned.find((c) => c.plan)?.plan;
    return { issue: `no choice can make this scene: ${why}`, ...(placeholder ? { placeholder } : {}) };
  }
  return {
    plan: {
      ...picked.plan!,
      route,
      ...(rest.length ? { fallbacks: rest.map((c) => choiceOf(c.plan!)) } : {}),
    },
  };
}

/** The part of a scene's plan that a failover to this choice replaces. */
export function choiceOf(p: ScenePlan): SceneChoice {
  return {
    provider: p.provider,
    model: p.model,
    settings: p.settings,
    prompt: p.prompt,
    actionText: p.actionText,
    ...(p.negativePrompt ? { negativePrompt: p.negativePrompt } : {}),
    trimmedBlocks: p.trimmedBlocks,
    ...(p.generateSeconds !== undefined ? { generateSeconds: p.generateSeconds } : {}),
    size: p.size,
    continuity: p.continuity,
    cacheKey: p.cacheKey,
    estimatedCostUsd: p.estimatedCostUsd,
    jobDeadlineSeconds: p.jobDeadlineSeconds,
    maxJobAttempts: p.maxJobAttempts,
    features: p.features,
  };
}
