/**
 * The cost ledger of one production: a line per job that was (or was about to be) paid for.
 *
 * With a budget, a job is paid for only after `request` reserved it: a reservation fits when everything already
 * spent or reserved plus its estimate stays within the cap; the first request that does not fit is denied and the
 * ledger is closed for good (budget_exhausted: a resume with a higher cap goes on). The reservation becomes the job's
 * line when the scene reports the job (`recordAttempt`). A reservation whose submit failed before any job existed
 * is released (`releaseUnsubmitted`) and stops counting: nothing was bought with it.
 *
 * Without a budget the ledger only records what the scenes report.
 */
import type { AttemptRecord, BudgetRequest, LedgerEntry } from './types.js';

/** Lines that cost nothing: refused before submit, or released because no job was ever created. */
const FREE = new Set<LedgerEntry['outcome']>(['denied', 'released']);

/** Failure kinds that happen before a provider job exists: a reservation still without a job id bought nothing. */
export const PRE_JOB_FAILURES = new Set(['invalid_request', 'content_policy', 'auth', 'not_found', 'model_unavailable', 'quota_exhausted']);

export class BudgetLedger {
  readonly lines: LedgerEntry[] = [];
  /** Set by the first denied request: nothing more is reserved in this run. */
  exhausted = false;

  constructor(readonly capUsd: number | undefined) {}

  /** Spent or reserved: every line that bought (or may have bought) a job, at its actual cost where known. */
  spentUsd(): number {
    return round4(this.lines.filter((l) => !FREE.has(l.outcome)).reduce((t, l) => t + (l.actualUsd ?? l.estimatedUsd), 0));
  }

  /** What is left under the cap (Infinity without one). */
  remainingUsd(): number {
    return this.capUsd === undefined ? Infinity : round4(this.capUsd - this.spentUsd());
  }

  /** Reserves the job's estimate if it fits (and `open`); otherwise records a denial and closes the ledger. */
  request(r: BudgetRequest, at: string, open = true): boolean {
    for (const l of this.lines) {
      const unused = l.sceneId === r.sceneId && l.take === r.take && !l.jobId && l.outcome === 'reserved';
      if (unused && r.unusedJobAttempts?.includes(l.jobAttempt)) l.outcome = 'released';
    }
    // A scene asks again when no answer reached it (a bounded wait): it gets the same answer, reserved once.
    const asked = this.lines.find((l) => l.sceneId === r.sceneId && l.take === r.take && l.jobAttempt === r.jobAttempt);
    if (asked) return asked.outcome !== 'denied';
    const fits = open && !this.exhausted && this.spentUsd() + r.estimatedUsd <= (this.capUsd ?? Infinity) + 1e-9;
    this.lines.push({
      sceneId: r.sceneId,
      take: r.take,
      jobAttempt: r.jobAttempt,
      estimatedUsd: r.estimatedUsd,
      outcome: fits ? 'reserved' : 'denied',
      at,
    });
    if (!fits) this.exhausted = true;
    return fits;
  }

  /**
   * A scene reported a job (submitted, or finished with an outcome): its reservation becomes the job's line. Without
   * a budget there is no reservation, and the job gets a line of its own. `jobAttempt` is the scene's attempt count.
   */
  recordAttempt(sceneId: string, take: number, attempt: AttemptRecord, jobAttempt: number, at: string): void {
    const line = this.lines.find(
      (l) => l.sceneId === sceneId && l.take === take && (l.jobId === attempt.jobId || (!l.jobId && l.outcome === 'reserved')),
    );
    const actual = attempt.billed?.usd !== undefined ? { actualUsd: attempt.billed.usd } : {};
    if (line) {
      line.jobId = attempt.jobId;
      line.outcome = attempt.outcome;
      Object.assign(line, actual);
    } else if (this.capUsd === undefined) {
      this.lines.push({
        sceneId,
        take,
        jobAttempt,
        jobId: attempt.jobId,
        estimatedUsd: attempt.estimatedCostUsd,
        ...actual,
        outcome: attempt.outcome,
        at,
      });
    }
  }

  /** Speech synthesized for a scene before its clip (paid once; a cached line costs nothing and gets no line). */
  recordSpeech(sceneId: string, usd: number, speechKey: string, at: string): void {
    this.lines.push({
      sceneId,
      take: 1,
      jobAttempt: 0,
      jobId: `speech:${speechKey.slice(0, 16)}`,
      estimatedUsd: usd,
      actualUsd: usd,
      outcome: 'ready',
      at,
    });
  }

  /** The take's clip is in: its job's line says so. */
  settleReady(sceneId: string, take: number, jobId: string): void {
    for (const l of this.lines) if (l.sceneId === sceneId && l.take === take && l.jobId === jobId) l.outcome = 'ready';
  }

  /** Releases the take's reservations that never got a job (the submit failed before one existed). Returns how many. */
  releaseUnsubmitted(sceneId: string, take: number): number {
    let n = 0;
    for (const l of this.lines) {
      if (l.sceneId === sceneId && l.take === take && !l.jobId && l.outcome === 'reserved') {
        l.outcome = 'released';
        n++;
      }
    }
    return n;
  }
}

export const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** The cost of a job: what the provider reported it billed, else the estimate. */
export function attemptCostUsd(a: Pick<AttemptRecord, 'estimatedCostUsd' | 'billed'>): number {
  return a.billed?.usd ?? a.estimatedCostUsd;
}

/** What a scene's jobs cost (failed jobs are billed too). */
export function attemptsCostUsd(attempts: readonly AttemptRecord[]): number {
  return round4(attempts.reduce((t, a) => t + attemptCostUsd(a), 0));
}
