/**
 * submitScene: the only place storyreel pays for a clip. Exactly one provider POST per call, and none at all when
 * a job for this clip is already known:
 *
 *   1. adopt: the job ledger knows a job created for this clip (this run or an earlier one) with the same request
 *      fingerprint that is still alive and still served → use it (a resumed production pays nothing again);
 *   2. reconcile (a retry of this activity): the POST of an earlier attempt may have reached the provider even though
 *      we saw a timeout, a reset, a 5xx, or the worker died → find it exactly by client reference where the API has
 *      one, else by every echoed input, never taking a job another clip claimed; several candidates fail closed;
 *   3. post once, with a deadline inside the activity's own timeout (a create never outlives the attempt that sent
 *      it, so the next attempt reconciles knowing the first request is over), and record the job in the ledger
 *      before returning.
 */
import { activityInfo, cancellationSignal, log } from '@temporalio/activity';
import { hashOf } from '../src/contracts/hash.js';
import type { GenerateRequest, JobSnapshot } from '../src/contracts/jobs.js';
import type { ProviderSettings } from '../src/contracts/provider-settings.js';
import { ProviderError } from '../src/providers/errors.js';
import type { ProviderRegistry } from '../src/providers/registry.js';
import type { VideoProvider } from '../src/providers/types.js';
import { sha256File } from '../src/store/files.js';
import type { JobLedger, LedgerJob } from '../src/store/job-ledger.js';
import { providerCallbackUrl } from '../src/webhooks/provider-callback.js';
import type { BreakerConfig } from '../workflows/definitions.js';
import { breakerFor, type Gate } from './breaker.js';
import { pauseProvider } from './slots.js';
import { metrics } from './telemetry.js';

export interface SubmitDeps {
  providers: ProviderRegistry;
  jobs: JobLedger;
  /** STORYREEL_PUBLIC_URL: when set, creates ask providers with webhooks to call the API back (provider-callback.ts). */
  env: Readonly<Record<string, string | undefined>>;
  /** Circuit breaker thresholds per provider (the worker's config); defaults in workflows/breaker-rules.ts. */
  breakers?: Record<string, Partial<BreakerConfig>>;
}

export interface SubmitInput {
  productionId: string;
  /** The production's (main) task queue: names the provider's shared slots. */
  taskQueue: string;
  /** Jobs this scene already had (earlier failed jobs): never adopted or reconciled for the new job. */
  knownJobIds?: string[];
  sceneId: string;
  /** The clip this job is for: the ledger's key. */
  cacheKey?: string;
  /** A known job older than this that never finished counts as stuck and is not adopted. */
  jobDeadlineSeconds?: number;
  provider: string;
  settings: ProviderSettings;
  request: GenerateRequest;
  /**
   * The scene has another provider to go to: while this provider's circuit breaker is open the submit fails at once
   * with provider_outage (when no job can exist for it here) instead of waiting out the cool-down.
   */
  failover?: boolean;
}

export interface SubmitResult {
  jobId: string;
  snapshot: JobSnapshot;
  /** True when no POST was sent: an earlier attempt's or an earlier run's job was found and adopted. */
  reconciled: boolean;
}

/** Window before the first attempt was scheduled in which its job may have been created (clock skew). */
const RECONCILE_SLACK_MS = 10_000;
/** A create is abandoned this long before the activity's own timeout, so the attempt ends before Temporal retries. */
export const SUBMIT_DEADLINE_MARGIN_MS = 5_000;
/** An adopted job must still be downloadable for at least this long. */
const ADOPT_MIN_REMAINING_MS = 5 * 60_000;

export function submitActivities(deps: SubmitDeps) {
  return {
    /**
     * Reads the provider's circuit breaker before anything is sent and feeds it what happened: nothing reaches a
     * provider whose breaker is open (from any worker), and failures that look like an outage count towards opening it.
     */
    async submitScene(input: SubmitInput): Promise<SubmitResult> {
      deps.providers.get(input.provider, input.settings).assertAvailable(input.request.model);
      const info = activityInfo();
      metrics.submitQueueWait(input.provider, (Date.now() - info.currentAttemptScheduledTimestampMs) / 1000);
      const breaker = breakerFor(input.taskQueue, input.provider, deps.breakers?.[input.provider]);
      const gate = await breaker.gate(`${input.request.clientRef}#${info.attempt}`, info.startToCloseTimeoutMs ?? 120_000);
      if (!gate.send) throw await refusedByBreaker(deps.jobs, input, gate, info.attempt);
      try {
        const result = await submitGuarded(input);
        await breaker.succeeded(gate);
        return result;
      } catch (err) {
        if (looksLikeOutage(err) && !cancellationSignal().aborted)
          await breaker.failed(`${(err as ProviderError).kind}: ${(err as Error).message}`, gate.send ? gate.probeId : undefined);
        throw err;
      }
    },
  };

  async function submitGuarded(input: SubmitInput): Promise<SubmitResult> {
    const provider = deps.providers.get(input.provider, input.settings);
    const info = activityInfo();
    const deadline = attemptDeadline(info.startToCloseTimeoutMs, info.currentAttemptScheduledTimestampMs);
    const ctx = { signal: deadline.signal };
    const fingerprint = await requestFingerprint(input);
    const known = new Set(input.knownJobIds ?? []);

    const adopted = input.cacheKey ? await adoptKnownJob(deps.jobs, provider, input, fingerprint, known, ctx) : undefined;
    if (adopted) {
      log.info('adopted a job this clip already paid for', { clientRef: input.request.clientRef, jobId: adopted.jobId });
      metrics.jobReconciled(input.provider, 'adopted');
      return { jobId: adopted.jobId, snapshot: adopted, reconciled: true };
    }
    if (info.attempt > 1 && (await mayHaveCreated(deps.jobs, input))) {
      const found = await reconcile(deps.jobs, provider, input, known, new Date(info.scheduledTimestampMs - RECONCILE_SLACK_MS), ctx);
      if (found) {
        log.info('reconciled an earlier submission', { clientRef: input.request.clientRef, jobId: found.jobId, attempt: info.attempt });
        await record(deps.jobs, input, fingerprint, found);
        metrics.jobReconciled(input.provider, 'reconciled');
        return { jobId: found.jobId, snapshot: found, reconciled: true };
      }
    }
    let snapshot: JobSnapshot;
    // The provider calls the API back when the job ends; the API signals this scene's workflow (polling stays).
    const sceneWorkflowId = info.workflowExecution?.workflowId;
    const callbackUrl = sceneWorkflowId ? providerCallbackUrl(deps.env, input.provider, sceneWorkflowId) : undefined;
    await deps.jobs.recordCreate(input.provider, input.request.clientRef, {
      attempt: info.attempt,
      state: 'sent',
      at: new Date().toISOString(),
    });
    try {
      snapshot = await provider.submit(input.request, callbackUrl ? { ...ctx, callbackUrl } : ctx);
    } catch (err) {
      // The adapter's contract: any ProviderError but ambiguous_submit means the server created nothing.
      if (err instanceof ProviderError && err.kind !== 'ambiguous_submit' && !deadline.expired()) {
        await deps.jobs.recordCreate(input.provider, input.request.clientRef, {
          attempt: info.attempt,
          state: 'refused',
          at: new Date().toISOString(),
        });
      }
      if (deadline.expired() && !cancellationSignal().aborted) {
        throw new ProviderError(
          'ambiguous_submit',
          `${input.provider}: the create got no answer within the submit's time; it may have created a job`,
          { provider: input.provider, cause: err },
        );
      }
      // A rate limit slows the provider for everyone: every worker's submissions wait, not only this scene's.
      if (err instanceof ProviderError && err.kind === 'rate_limited' && err.retryAfterMs && input.settings.maxInFlight) {
        await pauseProvider(input.taskQueue, input.provider, Date.now() + err.retryAfterMs);
      }
      throw err;
    } finally {
      deadline.clear();
    }
    log.info('submitted', { clientRef: input.request.clientRef, provider: input.provider, jobId: snapshot.jobId });
    metrics.jobCreated(input.provider);
    await record(deps.jobs, input, fingerprint, snapshot);
    return { jobId: snapshot.jobId, snapshot, reconciled: false };
  }
}

/** Failures that say the provider is down rather than that this request was wrong: 5xx, resets, no answer. */
function looksLikeOutage(err: unknown): boolean {
  return err instanceof ProviderError && (err.kind === 'transient' || (err.kind === 'ambiguous_submit' && err.retryable));
}

/**
 * The error for a submit the open breaker holds back. It moves the scene to its next choice (non-retryable) only
 * when no job can exist for it at this provider: none of its creates may have gone through and the ledger knows no
 * job for the clip here. Otherwise going elsewhere could pay twice, so it waits for the cool-down and then adopts or
 * reconciles as usual.
 */
async function refusedByBreaker(
  jobs: JobLedger,
  input: SubmitInput,
  gate: Gate & { send: false },
  attempt: number,
): Promise<ProviderError> {
  const opened = gate.view.openings.at(-1);
  const why = `${input.provider}'s circuit breaker is open until ${new Date(gate.retryAt).toISOString()}${opened ? ` (${opened.reason})` : ''}; nothing was sent`;
  const mayExist =
    (attempt > 1 && (await mayHaveCreated(jobs, input))) ||
    (!!input.cacheKey &&
      (await jobs.forClip(input.cacheKey)).some(
        (j) => j.state === 'created' && j.provider === input.provider && !(input.knownJobIds ?? []).includes(j.jobId),
      ));
  if (input.failover && !mayExist) return new ProviderError('provider_outage', why, { provider: input.provider, retryable: false });
  return new ProviderError('provider_outage', `${why}; waiting for the cool-down`, {
    provider: input.provider,
    retryable: true,
    retryAfterMs: Math.max(1_000, gate.retryAt - Date.now()),
  });
}

/**
 * An AbortSignal that fires on cancellation, or SUBMIT_DEADLINE_MARGIN_MS before this attempt's startToClose
 * timeout: the request is over on our side before Temporal starts the next attempt.
 */
function attemptDeadline(timeoutMs: number | undefined, scheduledMs: number) {
  const cancel = cancellationSignal();
  if (!timeoutMs) return { signal: cancel, expired: () => false, clear: () => undefined };
  const controller = new AbortController();
  const remaining = Math.max(1, scheduledMs + timeoutMs - SUBMIT_DEADLINE_MARGIN_MS - Date.now());
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error('submit deadline'));
  }, remaining);
  const onCancel = () => controller.abort(cancel.reason);
  cancel.addEventListener('abort', onCancel, { once: true });
  return {
    signal: controller.signal,
    expired: () => expired,
    clear: () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
    },
  };
}

/** sha256 over every input that shapes the output, including the bytes of every image sent. */
export async function requestFingerprint(input: Pick<SubmitInput, 'provider' | 'settings' | 'request'>): Promise<string> {
  const r = input.request;
  const image = async (i: { path: string } | undefined) => (i ? (await sha256File(i.path)).sha256 : null);
  return hashOf({
    provider: input.provider,
    endpoint: input.settings.baseURL ?? '',
    model: r.model,
    prompt: r.prompt,
    negativePrompt: r.negativePrompt ?? null,
    seconds: r.seconds,
    size: r.size,
    fps: r.fps,
    seed: r.seed ?? null,
    firstFrame: await image(r.firstFrame),
    lastFrame: await image(r.lastFrame),
    references: await Promise.all((r.referenceImages ?? []).map(image)),
    extendJobId: r.extendJobId ?? null,
    remixJobId: r.remixJobId ?? null,
  });
}

/** The newest job the ledger holds for this clip and request that is alive and still served, if any. */
async function adoptKnownJob(
  jobs: JobLedger,
  provider: VideoProvider,
  input: SubmitInput,
  fingerprint: string,
  known: Set<string>,
  ctx: { signal: AbortSignal },
): Promise<JobSnapshot | undefined> {
  const endpoint = input.settings.baseURL ?? '';
  const now = Date.now();
  const usable = (await jobs.forClip(input.cacheKey!))
    .filter((j) => j.state === 'created' && j.provider === input.provider && j.endpoint === endpoint && j.fingerprint === fingerprint)
    .filter((j) => !known.has(j.jobId))
    .filter((j) => !j.expiresAt || Date.parse(j.expiresAt) - now > ADOPT_MIN_REMAINING_MS)
    .reverse();
  for (const job of usable) {
    let snap: JobSnapshot;
    try {
      snap = await provider.poll(job.jobId, ctx);
    } catch (err) {
      if (err instanceof ProviderError && (err.kind === 'not_found' || err.kind === 'output_expired')) {
        await jobs.markFailed(job.cacheKey, job.provider, job.jobId);
        continue;
      }
      throw err;
    }
    if (snap.state === 'failed' || snap.state === 'canceled') {
      await jobs.markFailed(job.cacheKey, job.provider, job.jobId);
      continue;
    }
    const ageS = (now - Date.parse(job.createdAt)) / 1000;
    if (snap.state !== 'succeeded' && input.jobDeadlineSeconds !== undefined && ageS > input.jobDeadlineSeconds) continue;
    if (snap.expiresAt && Date.parse(snap.expiresAt) - now < ADOPT_MIN_REMAINING_MS) continue;
    return snap;
  }
  return undefined;
}

/**
 * Whether an earlier attempt's create may have made a job. False only when the ledger shows every earlier attempt's
 * create refused by the provider (a 429, a 4xx): then there is nothing to reconcile, which matters for providers
 * that cannot look up earlier creates and would otherwise fail closed after a plain rate limit. No record at all
 * (attempts that failed before posting, or a ledger from before these records) keeps the careful path.
 */
async function mayHaveCreated(jobs: JobLedger, input: SubmitInput): Promise<boolean> {
  const creates = await jobs.creates(input.provider, input.request.clientRef);
  return creates.length === 0 || creates.some((c) => c.state !== 'refused');
}

/** The job an earlier attempt of this activity created, or null. Throws (never posts) when it cannot be told. */
async function reconcile(
  jobs: JobLedger,
  provider: VideoProvider,
  input: SubmitInput,
  known: Set<string>,
  since: Date,
  ctx: { signal: AbortSignal },
): Promise<JobSnapshot | null> {
  const ref = input.request.clientRef;
  if (provider.findByClientRef) return provider.findByClientRef(ref, ctx, input.request);
  if (!provider.findCandidates) {
    throw new ProviderError(
      'ambiguous_submit',
      `${input.provider} cannot look up earlier submissions; not posting again to avoid paying twice. Check the provider's dashboard, then resume.`,
      { provider: input.provider, retryable: false },
    );
  }
  const candidates: JobSnapshot[] = [];
  for (const c of await provider.findCandidates(input.request, since, ctx)) {
    if (known.has(c.jobId)) continue;
    const claim = await jobs.claimant(input.provider, c.jobId);
    // A job another clip (or another take of this one) claimed is theirs, however similar its inputs.
    if (claim && claim.clientRef !== ref) continue;
    candidates.push(c);
  }
  if (candidates.length > 1) {
    throw new ProviderError(
      'ambiguous_submit',
      `${input.provider}: ${candidates.length} unclaimed jobs (${candidates.map((c) => c.jobId).join(', ')}) match this scene's request and the ` +
        "create's answer was lost; storyreel will not guess or pay again. Check them in the provider's dashboard, then retry or skip the scene.",
      { provider: input.provider, retryable: false },
    );
  }
  return candidates[0] ?? null;
}

async function record(jobs: JobLedger, input: SubmitInput, fingerprint: string, snap: JobSnapshot): Promise<void> {
  if (!input.cacheKey) return;
  const job: LedgerJob = {
    cacheKey: input.cacheKey,
    provider: input.provider,
    endpoint: input.settings.baseURL ?? '',
    jobId: snap.jobId,
    fingerprint,
    clientRef: input.request.clientRef,
    productionId: input.productionId,
    sceneId: input.sceneId,
    createdAt: new Date().toISOString(),
    ...(snap.expiresAt ? { expiresAt: snap.expiresAt } : {}),
    state: 'created',
  };
  await jobs.record(job);
}
