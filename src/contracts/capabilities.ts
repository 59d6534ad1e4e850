/**
 * What a provider's model can do, as data, and the pure rules over it. Shared by the planner (src/storyboard), the
 * adapters (src/providers) and the workflows; depends on nothing of ours.
 */
import type { z } from 'zod';
import type { ProviderSettings } from './provider-settings.js';

/** A problem in a provider's settings found beyond its schema, at a path inside the provider's block. */
export interface SettingsIssue {
  /** e.g. `workflows.wan.mapping.prompt` */
  path: string;
  message: string;
}

export interface PixelSize {
  width: number;
  height: number;
}

/** Allowed clip lengths: a fixed set (e.g. 4, 8, 12) or a stepped range. */
export type SecondsSpec = { kind: 'enum'; values: readonly number[] } | { kind: 'range'; min: number; max: number; step: number };

/** USD per generated second; the first rule whose `sizes` include the request's size (or has none) wins. */
export interface PriceRule {
  sizes?: readonly string[];
  usdPerSecond: number;
}

export type LifecycleStatus = 'preview' | 'ga' | 'deprecated' | 'shutdown';

export interface ProviderCapabilities {
  provider: string;
  model: string;
  lifecycle: {
    status: LifecycleStatus;
    /** ISO date */
    shutdownAt?: string;
    /** The model the provider names as its successor (said when a shut-down model is refused). */
    replacement?: string;
    note?: string;
  };
  seconds: SecondsSpec;
  /** Exact pixel sizes the provider may be asked for. The first size of an aspect is its default. */
  sizes: readonly PixelSize[];
  /** Any size is accepted (the local renderer); `sizes` then only supplies the per-aspect defaults. */
  anySize: boolean;
  /** Frame rates the provider renders at; a different storyboard fps is converted at assembly. */
  fps: readonly number[];
  nativeAudio: boolean;
  /** Longest prompt in characters. The composer trims low-priority blocks to fit. */
  promptLimit: number;
  negativePrompt: boolean;
  firstFrame: boolean;
  lastFrame: boolean;
  /** The first-frame image must have exactly the requested pixel size (OpenAI: yes). */
  firstFrameExactSize: boolean;
  maxReferenceImages: number;
  /** Provider-native extension of a previous clip; the result is the stitched whole. */
  extend: false | { seconds: SecondsSpec; maxTotalSeconds: number };
  remix: boolean;
  cancel: 'server' | 'none';
  /** Typical time to render one second of video, for the per-job deadline (job_stuck). */
  renderSecondsPerSecond: number;
  /** How long a finished output can be downloaded, in seconds. */
  outputRetentionSeconds: number;
  pricing: readonly PriceRule[];
}

/**
 * What one scene asks of its model, for rules a capability flag cannot express: a combination (a last frame only
 * with 8-second clips), or an option one endpoint of a provider takes and another refuses (a seed on Vertex but not
 * on the Gemini API). Plain data; the planner builds it per scene and the adapter again per request.
 */
export interface SceneAsk {
  model: string;
  seconds: number;
  size: PixelSize;
  firstFrame: boolean;
  lastFrame: boolean;
  referenceImages: number;
  extend: boolean;
  seed: boolean;
}

/** A problem with a scene for its provider: the scene field at fault and what to do about it. */
export interface SceneIssue {
  field: 'model' | 'seconds' | 'size' | 'seed' | 'continuity';
  message: string;
}

/**
 * The capability catalog as the planner sees it: passed in as an argument, so src/storyboard reads the same facts
 * as the adapters without importing provider code.
 */
export interface Catalog {
  knownProviders(): string[];
  defaultModel(provider: string): string | undefined;
  /** Models the provider offers, plus any the storyboard's settings declare (e.g. a new fal model id). */
  knownModels(provider: string, settings?: ProviderSettings): string[];
  capabilitiesOf(provider: string, model: string, settings?: ProviderSettings): ProviderCapabilities | undefined;
  /** Validates a storyboard's `providers.<name>` block with that provider's own (strict) schema. */
  parseSettings(provider: string, block: unknown): z.ZodSafeParseResult<ProviderSettings>;
  /** Why this endpoint/model cannot be used (shut down, refused host), or undefined when it can. */
  unavailableReason(provider: string, settings: ProviderSettings, envBaseURL: string | undefined): string | undefined;
  /** What else shapes a clip's pixels or sound on this provider (settings, the scene title): part of its cache key. */
  outputKey(provider: string, settings: ProviderSettings, scene: { title: string; model: string }): Record<string, unknown>;
  /**
   * Files the (parsed) settings name, keyed by the setting's path in the block (`workflows.wan.file`), valued by the
   * path as written (relative to the storyboard). src/load reads them; the planner attaches them as `settings.files`.
   */
  settingsFiles(provider: string, settings: ProviderSettings): Record<string, string>;
  /** Problems with the content of those files (wrong format, a mapping naming a missing node), once attached. */
  checkSettings(provider: string, settings: ProviderSettings): SettingsIssue[];
  /** Problems with one scene's ask beyond the capability flags (empty when the provider has no such rules). */
  sceneIssues(provider: string, settings: ProviderSettings, ask: SceneAsk): SceneIssue[];
}

export function secondsAllowed(spec: SecondsSpec, seconds: number): boolean {
  if (spec.kind === 'enum') return spec.values.includes(seconds);
  if (seconds < spec.min || seconds > spec.max) return false;
  const steps = (seconds - spec.min) / spec.step;
  return Math.abs(steps - Math.round(steps)) < 1e-9;
}

export function describeSeconds(spec: SecondsSpec): string {
  return spec.kind === 'enum' ? spec.values.join(', ') : `${spec.min} to ${spec.max} in steps of ${spec.step}`;
}

export function sizeText(size: PixelSize): string {
  return `${size.width}x${size.height}`;
}

export function priceFor(caps: ProviderCapabilities, size: PixelSize, seconds: number): number {
  const key = sizeText(size);
  const rule = caps.pricing.find((r) => !r.sizes || r.sizes.includes(key));
  return Math.round((rule?.usdPerSecond ?? 0) * seconds * 10_000) / 10_000;
}

/** Seconds a job may stay queued or running before it counts as stuck. */
export function defaultJobDeadlineSeconds(caps: ProviderCapabilities, seconds: number): number {
  return Math.ceil(300 + caps.renderSecondsPerSecond * seconds * 4);
}
