/**
 * The provider contract. Every video-generation backend (the built-in `local` renderer, the OpenAI-compatible
 * `/v1/videos` API, ...) implements VideoProvider. Adapters never import Temporal: they take an AbortSignal and an
 * onProgress callback, and they throw ProviderError (see errors.ts) and nothing else.
 */

import type { ProviderCapabilities } from '../contracts/capabilities.js';
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
   * has this never needs to guess.
   */
  findByClientRef?(clientRef: string, ctx: CallContext): Promise<JobSnapshot | null>;
  /**
   * Reconciliation by echoed inputs, for APIs without a client-chosen id: EVERY job created at or after `since` whose
   * echoed inputs all match the request (prompt, model, size, seconds, and any source the API echoes). Must not rely
   * on the server honouring a sort order. The caller excludes jobs already claimed, adopts a single candidate, and
   * fails closed when several remain.
   */
  findCandidates?(request: GenerateRequest, since: Date, ctx: CallContext): Promise<JobSnapshot[]>;
}
