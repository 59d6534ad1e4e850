/**
 * The ComfyUI flavour of the kit's faults: the exception types a `job_failed` fault usually carries (any string is
 * accepted: custom nodes raise their own), and the routes and mix of the seeded chaos plan.
 */
import { seededFaultPlan, type FaultRule, type SeededFaultKind } from '../kit/index.js';

/** `exception_type` of execution_error events worth knowing; a job_failed fault's `code` becomes the exception type. */
export const KNOWN_EXCEPTION_TYPES = ['torch.OutOfMemoryError', 'RuntimeError', 'ValueError', 'PIL.UnidentifiedImageError'] as const;

export type SeededRoute = 'prompt' | 'history' | 'queue' | 'view';

export const SEEDED_ROUTES: Record<SeededRoute, { method: string; path: string }> = {
  prompt: { method: 'POST', path: '/prompt' },
  history: { method: 'GET', path: '/history/*' },
  queue: { method: 'GET', path: '/queue' },
  view: { method: 'GET', path: '/view' },
};

/** Faults a client must survive by retrying (reconciling by prompt_id after a lost answer to POST /prompt). */
export const SEEDED_FAULT_MIX: Record<SeededRoute, Partial<Record<SeededFaultKind, number>>> = {
  prompt: { rate_limit_retry_after: 10, http_500: 15, http_502_html: 10, http_503: 15, reset: 15, accept_then_drop: 20, job_failed: 15 },
  history: { http_500: 30, http_502_html: 20, http_503: 25, reset: 25 },
  queue: { http_500: 40, http_503: 30, reset: 30 },
  view: { content_truncated: 40, http_500: 20, http_503: 20, reset: 20 },
};

export interface SeededFaultOptions {
  seed: number;
  /** Probability 0..1 that a given request of a route is faulted. */
  rate: number;
  requestsPerRoute?: number;
  routes?: SeededRoute[];
  kinds?: SeededFaultKind[];
  retryAfterS?: number;
}

/** A deterministic fault plan over the ComfyUI routes (`job_failed` as a RuntimeError). */
export function seededFaults(opts: SeededFaultOptions): FaultRule[] {
  const routes = (opts.routes ?? ['prompt', 'history', 'view']).map((r) => ({ ...SEEDED_ROUTES[r], mix: SEEDED_FAULT_MIX[r] }));
  return seededFaultPlan(routes, 'RuntimeError', opts);
}
