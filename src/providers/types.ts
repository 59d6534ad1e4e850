/**
 * The provider contract. Every video-generation backend (the built-in `local` renderer, the OpenAI-compatible
 * `/v1/videos` API, ...) implements VideoProvider. Adapters never import Temporal: they take an AbortSignal and an
 * onProgress callback, and they throw ProviderError (see errors.ts) and nothing else.
 */

import type { z } from 'zod';
import type { PixelSize, ProviderCapabilities, SceneAsk, SceneIssue, SettingsIssue } from '../contracts/capabilities.js';
import type { ProviderSettings } from '../contracts/provider-settings.js';
import type { GenerateRequest, JobSnapshot } from '../contracts/jobs.js';

export interface DownloadedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface CallContext {
  signal?: AbortSignal;
  /** Called with 0..1 while a long call makes progress (a download, a render). */
  onProgress?: (fraction: number) => void;
  /**
   * submit: where the provider should call back when the job ends (providers with webhooks pass it on; the others
   * ignore it). Absent: the job is only polled.
   */
  callbackUrl?: string;
}

export interface VideoProvider {
  readonly id: string;
  capabilities(model: string): ProviderCapabilities;
  /** Pure and local: problems with the request as messages (field: what to do). Never calls the network. */
  validate(request: GenerateRequest): string[];
  /** Throws ProviderError(model_unavailable) before any request when the endpoint/model is shut down. */
  assertAvailable(model: string): void;
  /** Exactly one POST (SDK retries off). An outcome the server may have seen throws kind 'ambiguous_submit'. */
  submit(request: GenerateRequest, ctx: CallContext): Promise<JobSnapshot>;
  /** One idempotent status read. */
  poll(jobId: string, ctx: CallContext): Promise<JobSnapshot>;
  /** Streams the output to `dest` (the caller verifies and renames). Throws output_expired when it is gone. */
  download(jobId: string, dest: string, ctx: CallContext): Promise<DownloadedFile>;
  /** Best effort. */
  cancel(jobId: string, ctx: CallContext): Promise<{ supported: boolean }>;
  /**
   * Exact reconciliation, for APIs that let the client name its job (ComfyUI `prompt_id`, Kling `external_task_id`,
   * the local renderer): the job created for this `clientRef`, or null when the server has none. A provider that
   * has this never needs to guess. `request` is the request this clientRef was (or is about to be) sent with: an API
   * that derives its job name from the request too (Kling: a resumed production repeats clientRefs, possibly with an
   * edited scene) needs it to find the right job.
   */
  findByClientRef?(clientRef: string, ctx: CallContext, request: GenerateRequest): Promise<JobSnapshot | null>;
  /**
   * Reconciliation by echoed inputs, for APIs without a client-chosen id: EVERY job created at or after `since` whose
   * echoed inputs all match the request (prompt, model, size, seconds, and any source the API echoes). Must not rely
   * on the server honouring a sort order. The caller excludes jobs already claimed, adopts a single candidate, and
   * fails closed when several remain.
   */
  findCandidates?(request: GenerateRequest, since: Date, ctx: CallContext): Promise<JobSnapshot[]>;
}

/**
 * What a provider declares about itself, as pure data (no SDK): read by the planner through src/providers/catalog.ts
 * and by the adapter itself.
 */
export interface ProviderCatalog {
  id: string;
  defaultModel: string;
  models: Readonly<Record<string, ProviderCapabilities>>;
  /** The strict schema of the storyboard's `providers.<id>` block (common fields + the provider's own). */
  settings: z.ZodType<ProviderSettings>;
  /** Models the settings declare with explicit capabilities (a model id not in `models`). */
  declaredModels?(settings: ProviderSettings): Record<string, ProviderCapabilities>;
  unavailableReason?(settings: ProviderSettings, envBaseURL: string | undefined): string | undefined;
  /** What else shapes the output (settings fields, the scene title): part of the clip's cache key. */
  outputKey?(settings: ProviderSettings, scene: { title: string; model: string }): Record<string, unknown>;
  /**
   * Settings that name files next to the storyboard (a ComfyUI workflow): setting path in the block → the path as
   * written. src/load reads each one (confined to the storyboard's folder) and the planner attaches it to the settings
   * as `files[settingPath]` (carried in the plan; its hash is in the production's content hash). What of it shapes a
   * clip goes into `outputKey`.
   */
  settingsFiles?(settings: ProviderSettings): Record<string, string>;
  /** Checks beyond the schema that need the attached files (their format, what they must contain). */
  checkSettings?(settings: ProviderSettings): SettingsIssue[];
  /**
   * Rules over a scene's whole ask that capability flags cannot express (combinations, options one endpoint of the
   * provider refuses). Pure; the planner calls it for every scene, the adapter's validate() for every request.
   */
  sceneIssues?(settings: ProviderSettings, ask: SceneAsk): SceneIssue[];
}

/** "1280x720" → { width: 1280, height: 720 } (catalog data is written as text). */
export const px = (text: string): PixelSize => {
  const [w, h] = text.split('x').map(Number);
  return { width: w ?? 0, height: h ?? 0 };
};
