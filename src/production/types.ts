/**
 * What a production is made of while it runs: scene states, takes, attempts, the cost ledger, progress, and the
 * decisions operators and reviewers send. Plain JSON; workflows/definitions.ts re-exports these as the messages
 * clients read, so changing a field is a change to the wire format of running productions.
 */
import type { ClipRecord } from '../contracts/clips.js';
import type { FailureDetails } from '../contracts/errors.js';
import type { SceneSwitch } from '../storyboard/replan.js';

/**
 * planned → submitted → rendering → downloaded → (awaiting_review) → ready
 * failed: permanently, with a reason; blocked: waits on a failed scene it continues from;
 * skipped: replaced by a placeholder on an operator's decision.
 */
export type SceneState =
  'planned' | 'submitted' | 'rendering' | 'downloaded' | 'awaiting_review' | 'ready' | 'failed' | 'blocked' | 'skipped';

export type ProductionState =
  | 'running'
  | 'assembling'
  | 'waiting_for_operator'
  | 'completed'
  | 'completed_with_placeholders'
  | 'failed'
  | 'cancelled'
  | 'budget_exhausted';

/** Why a scene failed: the details the failing activity attached (kind, message, provider codes, input). */
export type FailureReason = FailureDetails;

export interface AttemptRecord {
  jobId: string;
  outcome: 'ready' | 'job_failed' | 'job_stuck' | 'output_expired' | 'content_policy' | 'cancelled';
  estimatedCostUsd: number;
  /** What the provider reported it billed for this job (JobSnapshot.billed), priced in USD where it can be. */
  billed?: { units: number; usd?: number };
  submittedAt: string;
  finishedAt?: string;
  reconciled: boolean;
  message?: string;
  /** Who made this job (set for routed scenes, which may move between providers). */
  provider?: string;
  model?: string;
  /** Set on the first job after the scene moved to another provider: why it moved. */
  failover?: FailoverRecord;
}

/** Why a routed scene left a provider for the next of its choices (workflows/failover.ts decides). */
export interface FailoverRecord {
  /** `provider/model` it left. */
  from: string;
  /** `provider/model` it went to. */
  to: string;
  kind: string;
  message: string;
  at: string;
}

/** One take of a scene that was not kept (rejected in review). */
export interface RejectedTake {
  take: number;
  note: string;
  clip: Pick<ClipRecord, 'path' | 'sha256' | 'jobId'>;
}

/** One line of the cost ledger: a job that was (or was about to be) paid for. */
export interface LedgerEntry {
  sceneId: string;
  take: number;
  jobAttempt: number;
  jobId?: string;
  estimatedUsd: number;
  /** From what the provider reports (seconds generated × price), when it reports; else the estimate. */
  actualUsd?: number;
  /** reserved: granted, no job yet; denied: over the cap; released: the submit failed before a job existed (costs nothing). */
  outcome: 'reserved' | 'denied' | 'released' | AttemptRecord['outcome'];
  at: string;
}

export interface SceneStatus {
  id: string;
  index: number;
  title: string;
  state: SceneState;
  /** 1 for the first take; operator retries and review rejections start new takes. */
  take: number;
  /** The prompt of the current take (operators can edit it). */
  prompt: string;
  provider: string;
  model: string;
  placeholder?: 'slate' | 'last-frame';
  rejectedTakes: RejectedTake[];
  /** The take a reviewer approved (review-gated scenes). */
  approvedTake?: number;
  /** 0..1 within the scene's own work. */
  progress: number;
  cached: boolean;
  jobId?: string;
  attempts: AttemptRecord[];
  reason?: FailureReason;
  estimatedCostUsd: number;
  /** Estimated cost of every job actually submitted for this scene (failed jobs are billed too). */
  costUsd: number;
  startedAt?: string;
  finishedAt?: string;
  /** The take's clip; `cacheKey` is the key it is stored under (a resume carries a ready take by it). */
  clip?: Pick<ClipRecord, 'path' | 'sha256' | 'bytes' | 'durationS' | 'jobId'> & { cacheKey?: string };
}

export interface ProductionProgress {
  productionId: string;
  title: string;
  state: ProductionState;
  /** 0..100 */
  percent: number;
  scenes: SceneStatus[];
  costUsd: number;
  estimatedCostUsd: number;
  startedAt: string;
  updatedAt: string;
  message?: string;
  outputPath?: string;
  budgetUsd?: number;
  ledger: LedgerEntry[];
  /** While waiting_for_operator (or for reviews): until when, and on what. */
  waitingUntil?: string;
  waitingFor?: string[];
}

/** Child → parent: a scene moved on. */
export interface SceneUpdate {
  sceneId: string;
  take: number;
  state: SceneState;
  progress?: number;
  jobId?: string;
  attempt?: AttemptRecord;
}

/** An operator's decision on a failed scene. */
export interface SceneDecision {
  sceneId: string;
  action: 'retry' | 'skip' | 'abort';
  /** retry: replaces the scene's own action text (bible, style and continuity context stay). */
  prompt?: string;
  /** retry on another provider/model: only with `replanned` (the client re-plans the scene with the catalog). */
  provider?: string;
  model?: string;
  /** The scene re-planned for the new provider/model (src/storyboard/replan.ts): settings, price, features. */
  replanned?: SceneSwitch;
  /** skip: what to show instead (default: the storyboard's operator.placeholder). */
  placeholder?: 'slate' | 'last-frame';
}

export interface ReviewDecision {
  sceneId: string;
  decision: 'approve' | 'reject';
  /** reject: what to change; steers the new take (a remix where the provider has one). */
  note?: string;
}

/** Child → parent: may this job be paid for? (only when the production has a budget) */
export interface BudgetRequest {
  sceneId: string;
  take: number;
  jobAttempt: number;
  estimatedUsd: number;
  /** Earlier reservations of this take that paid for nothing (the provider refused the submit; the scene moved on). */
  unusedJobAttempts?: number[];
}
