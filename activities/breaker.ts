/**
 * The submit side of a provider's circuit breaker (workflows/provider-breaker.ts): read it before sending anything,
 * feed it what happened. Reading is a query (no history event); recording a failure is a signal-with-start, so the
 * first failure of a provider starts its breaker. When Temporal cannot answer, the breaker counts as closed: it
 * protects the provider and routes around outages, and must never be the reason a healthy provider is not used.
 */
import { getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { breakerWorkflowId } from '../src/contracts/names.js';
import {
  DEFAULT_BREAKER,
  breakerFailureSignal,
  breakerStateQuery,
  breakerSuccessSignal,
  claimProbeUpdate,
  type BreakerConfig,
  type BreakerFailure,
  type BreakerView,
} from '../workflows/definitions.js';
import type { providerBreaker } from '../workflows/provider-breaker.js';

/** What the gate decided for one submit attempt. */
export type Gate =
  | { send: true; view: BreakerView; probeId?: string }
  /** Send nothing before `retryAt` (epoch ms). */
  | { send: false; view: BreakerView; retryAt: number };

const CLOSED: BreakerView = { state: 'closed', failures: 0, openings: [] };

export class Breaker {
  constructor(
    private readonly taskQueue: string,
    private readonly provider: string,
    private readonly config: BreakerConfig = DEFAULT_BREAKER,
  ) {}

  private handle() {
    return getClient().workflow.getHandle(breakerWorkflowId(this.taskQueue, this.provider));
  }

  /** Whether this attempt may send requests to the provider now; half-open, at most one attempt cluster-wide may. */
  async gate(probeId: string, leaseMs: number): Promise<Gate> {
    const view = await this.read();
    if (view.state === 'closed') return { send: true, view };
    const now = Date.now();
    if (view.state === 'open') return { send: false, view, retryAt: view.openUntil! };
    try {
      const { granted } = await this.handle().executeUpdate(claimProbeUpdate, { args: [{ probeId, leaseMs }] });
      if (granted) return { send: true, view, probeId };
    } catch (err) {
      log.warn('circuit breaker: claiming the probe failed; sending', { provider: this.provider, error: (err as Error).message });
      return { send: true, view };
    }
    return { send: false, view, retryAt: Math.min(view.probeUntil ?? now + 5_000, now + 5_000) };
  }

  async failed(reason: string, probeId: string | undefined): Promise<void> {
    const failure: BreakerFailure = { reason, config: this.config, ...(probeId ? { probeId } : {}) };
    try {
      await getClient().workflow.signalWithStart<typeof providerBreaker, [BreakerFailure]>('providerBreaker', {
        workflowId: breakerWorkflowId(this.taskQueue, this.provider),
        taskQueue: this.taskQueue,
        args: [{ provider: this.provider }],
        signal: breakerFailureSignal,
        signalArgs: [failure],
      });
    } catch (err) {
      log.warn('circuit breaker: recording a failure failed', { provider: this.provider, error: (err as Error).message });
    }
  }

  /** Only when it changes something: a probe came back, or failures were being counted. */
  async succeeded(gate: Gate): Promise<void> {
    if (!gate.send || (!gate.probeId && gate.view.failures === 0)) return;
    try {
      await this.handle().signal(breakerSuccessSignal, gate.probeId ? { probeId: gate.probeId } : {});
    } catch (err) {
      log.debug('circuit breaker: recording a success failed', { provider: this.provider, error: (err as Error).message });
    }
  }

  private async read(): Promise<BreakerView> {
    try {
      return await this.handle().query(breakerStateQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) {
        log.warn('circuit breaker: unreadable; counting it closed', { provider: this.provider, error: (err as Error).message });
      }
      return CLOSED;
    }
  }
}

/** The breaker of the provider this submit goes to (the submit queue's workflows live on the main queue). */
export function breakerFor(taskQueue: string, provider: string, config?: Partial<BreakerConfig>): Breaker {
  return new Breaker(taskQueue, provider, { ...DEFAULT_BREAKER, ...config });
}
