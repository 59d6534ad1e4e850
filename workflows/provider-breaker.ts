/**
 * providerBreaker: a provider's circuit breaker, one long-lived workflow per provider and deployment (id
 * `storyreel-breaker-<queue>-<provider>`), shared by every worker because it lives in Temporal rather than in any
 * worker's memory. Submits feed it (breakerFailure / breakerSuccess signals, sent with signal-with-start so the first
 * failure starts it) and read it before sending anything (breakerState query: no history event per read); after the
 * cool-down exactly one submit cluster-wide wins the claimProbe update and tests the provider again. The rules are in
 * breaker-rules.ts. It ends itself after an hour closed and quiet, and continues as new to bound its history.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { claimProbe, closedBreaker, recordFailure, recordSuccess, viewOf, type BreakerState } from './breaker-rules.js';
import { breakerFailureSignal, breakerStateQuery, breakerSuccessSignal, claimProbeUpdate } from './definitions.js';

export interface BreakerInput {
  provider: string;
  state?: BreakerState;
}

const IDLE_MS = 60 * 60_000;

export async function providerBreaker(input: BreakerInput): Promise<void> {
  let state = input.state ?? closedBreaker();
  let version = 0;
  setHandler(breakerStateQuery, () => viewOf(state, Date.now()));
  setHandler(breakerFailureSignal, (f) => {
    state = recordFailure(state, Date.now(), f.reason, f.config, f.probeId);
    version++;
  });
  setHandler(breakerSuccessSignal, ({ probeId }) => {
    state = recordSuccess(state, Date.now(), probeId);
    version++;
  });
  setHandler(claimProbeUpdate, ({ probeId, leaseMs }) => {
    const claimed = claimProbe(state, Date.now(), probeId, leaseMs);
    state = claimed.state;
    version++;
    return { granted: claimed.granted };
  });

  for (;;) {
    const seen = version;
    // Wake when the cool-down or a probe's lease ends: a query sees the time of the workflow's last task, so the
    // breaker must have run a task after `openUntil` for readers to see it half-open.
    const now = Date.now();
    const next = Math.min(...[state.openUntil, state.probe?.until].filter((t): t is number => t !== undefined && t > now));
    const changed = await condition(() => version !== seen, Number.isFinite(next) ? Math.max(1, next - now) : IDLE_MS);
    if (!changed && !Number.isFinite(next) && viewOf(state, Date.now()).state === 'closed') break;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof providerBreaker>({ provider: input.provider, state });
    }
  }
  await condition(allHandlersFinished);
}
