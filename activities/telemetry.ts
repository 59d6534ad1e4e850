/**
 * What activities tell operators: ids on every log line, and storyreel's own metrics.
 *
 * Log ids: an activity interceptor reads the ids an activity's input carries (production, scene, job, provider,
 * client reference) and adds them to every entry of the activity context's logger (`log` from
 * @temporalio/activity), beside the workflow and activity ids the SDK adds. Provider request ids come with the
 * errors that carry them (ProviderError.requestId, logged when an attempt fails).
 *
 * Metrics go through the activity context's metricMeter, i.e. the Temporal Runtime's meter: with a Prometheus
 * endpoint configured they are served next to the SDK's own temporal_* metrics; without one they cost nothing.
 *
 *   storyreel_jobs_created_total{provider}            paid provider jobs created (one per POST that created one)
 *   storyreel_jobs_reconciled_total{provider,how}     jobs found again instead of posted (adopted | reconciled)
 *   storyreel_jobs_failed_total{provider,kind}        provider jobs that ended failed
 *   storyreel_cost_usd{provider}                      histogram of each stored clip's cost (its _sum is the spend)
 *   storyreel_submit_queue_wait_seconds{provider}     histogram: a submit's wait in the provider's rate-limited queue
 *   storyreel_assembly_seconds                        histogram: how long an assembly (with its verification) took
 */
import { activityInfo, Context, log, metricMeter } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors, ActivityOutboundCallsInterceptor } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import type { FailureDetails } from '../src/contracts/errors.js';
import { parseSceneWorkflowId } from '../src/contracts/names.js';
import { ProviderError } from '../src/providers/errors.js';

/**
 * The ids worth putting on a log line, as an activity input names them; the production and scene also from the
 * scene workflow's id (`<production>/scene/<scene>`) for activities whose input does not carry them.
 */
export function logIds(input: unknown, workflowId?: string): Record<string, string> {
  const fromWorkflow = workflowId ? parseSceneWorkflowId(workflowId) : undefined;
  const i = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const scene = (i.scene ?? {}) as Record<string, unknown>;
  const request = (i.request ?? {}) as Record<string, unknown>;
  const ids: Record<string, unknown> = {
    productionId: i.productionId ?? fromWorkflow?.productionId,
    sceneId: i.sceneId ?? scene.id ?? fromWorkflow?.sceneId,
    jobId: i.jobId,
    provider: i.provider ?? scene.provider,
    clientRef: request.clientRef,
  };
  return Object.fromEntries(Object.entries(ids).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

/** Registered on every storyreel worker (worker.ts). */
export function activityTelemetryInterceptor(): ActivityInterceptors {
  let ids: Record<string, string> = {};
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      ids = logIds(input.args[0], activityInfo().workflowExecution?.workflowId);
      try {
        return await next(input);
      } catch (err) {
        const failed = providerFailure(err);
        if (failed) log.warn('provider request failed', failed);
        throw err;
      }
    },
  };
  const outbound: ActivityOutboundCallsInterceptor = {
    getLogAttributes: (attrs, next) => next({ ...attrs, ...ids }),
  };
  return { inbound, outbound };
}

/** A provider error's kind, message and request id, as thrown (ProviderError) or translated (ApplicationFailure details). */
function providerFailure(err: unknown): { kind: string; providerRequestId: string; error: string } | undefined {
  if (err instanceof ProviderError && err.requestId) return { kind: err.kind, providerRequestId: err.requestId, error: err.message };
  if (err instanceof ApplicationFailure) {
    const details = err.details?.[0] as Partial<FailureDetails> | undefined;
    if (details?.requestId)
      return { kind: details.kind ?? err.type ?? 'unknown', providerRequestId: details.requestId, error: err.message };
  }
  return undefined;
}

function meter() {
  // Outside an activity (unit tests of a step) there is nothing to record to.
  try {
    Context.current();
  } catch {
    return undefined;
  }
  return metricMeter;
}

export const metrics = {
  jobCreated(provider: string): void {
    meter()?.createCounter('storyreel_jobs_created', '', 'Paid provider jobs created').add(1, { provider });
  },
  jobReconciled(provider: string, how: 'adopted' | 'reconciled'): void {
    meter()?.createCounter('storyreel_jobs_reconciled', '', 'Provider jobs found again instead of posted').add(1, { provider, how });
  },
  jobFailed(provider: string, kind: string): void {
    meter()?.createCounter('storyreel_jobs_failed', '', 'Provider jobs that ended failed').add(1, { provider, kind });
  },
  clipCost(provider: string, usd: number): void {
    meter()?.createHistogram('storyreel_cost_usd', 'float', '', 'Cost of each stored clip, USD').record(usd, { provider });
  },
  submitQueueWait(provider: string, seconds: number): void {
    meter()
      ?.createHistogram('storyreel_submit_queue_wait_seconds', 'float', '', "A submit's wait in the provider's rate-limited queue")
      .record(Math.max(0, seconds), { provider });
  },
  assemblySeconds(seconds: number): void {
    meter()?.createHistogram('storyreel_assembly_seconds', 'float', '', 'Assembly and verification of one video').record(seconds);
  },
};
