/**
 * Messages and shared types of the production workflows: what clients send and read. Renaming a message or a
 * workflow is a breaking change for running productions.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import type {
  BudgetRequest,
  LedgerEntry,
  ProductionProgress,
  ProductionState,
  ReviewDecision,
  SceneDecision,
  SceneState,
  SceneStatus,
  SceneUpdate,
} from '../src/production/types.js';

/** The production's state types live with the production core (src/production); clients keep importing them here. */
export type {
  SceneState,
  ProductionState,
  FailureReason,
  AttemptRecord,
  RejectedTake,
  LedgerEntry,
  SceneStatus,
  ProductionProgress,
  SceneUpdate,
  SceneDecision,
  ReviewDecision,
  BudgetRequest,
} from '../src/production/types.js';

export interface Timeouts {
  /** startToClose of one submit (one POST, plus reconciliation on retries). Default 120 s. */
  submitS?: number;
  /** startToClose of one status poll. Default 60 s. */
  pollS?: number;
  /** Longest one await-job activity call waits, polling inside, before the workflow decides again. Default 60 s. */
  awaitS?: number;
  /** Heartbeat timeout of downloads and assembly: how fast a dead worker is noticed. Default 30 s. */
  heartbeatS?: number;
  /** How long a scene waits for the production's budget grant before asking again (5 asks, then it fails unpaid). Default 120 s. */
  grantWaitS?: number;
  /** How long a scene waits for a provider slot before renewing its request (a restarted semaphore forgot it). Default 600 s. */
  slotWaitS?: number;
}

export interface ProduceInput {
  /**
   * The plan inline; or `planFile`, a plan the worker reads first (batch items, and productions whose plan is large:
   * keeps plans out of the start event and the history), with `planSha256`, the hash its bytes must have.
   */
  plan?: ProductionPlan;
  planFile?: string;
  planSha256?: string;
  /**
   * The production stops starting scenes once its history has this many events (default 40,000, below Temporal's
   * 51,200 limit, past which the server terminates a run): it ends failed with its clips kept, and a resume goes on.
   */
  historyEventLimit?: number;
  /** The same bound in bytes of history (default 40 MiB, below Temporal's 50 MB limit). */
  historyBytesLimit?: number;
  /** Overrides the plan's budget cap (a batch hands each item what is left of its own). */
  budgetUsd?: number;
  /** Absolute directory for final.mp4, sidecars and manifest.json (the worker must be able to write it). */
  outDir: string;
  timeouts?: Timeouts;
  /** Set when the production is a batch item: it reports its outcome to the batch. */
  batch?: { workflowId: string; itemKey: string };
}

export interface ProductionResult {
  productionId: string;
  title: string;
  state: ProductionState;
  estimatedCostUsd: number;
  ledger: LedgerEntry[];
  lockfilePath?: string;
  /** On the host that assembled it. */
  outputPath?: string;
  /** Where the final video was published (s3://bucket/prefix/outputs/<production id>/…) with an object store. */
  outputUri?: string;
  manifestPath: string;
  durationS?: number;
  costUsd: number;
  scenes: SceneStatus[];
}

/** Parent → child: the answer to a BudgetRequest. */
export interface BudgetGrant {
  take: number;
  jobAttempt: number;
  granted: boolean;
}

export const progressQuery = defineQuery<ProductionProgress>('progress');
export const sceneUpdateSignal = defineSignal<[SceneUpdate]>('sceneUpdate');
export const budgetRequestSignal = defineSignal<[BudgetRequest]>('budgetRequest');
export const budgetGrantSignal = defineSignal<[BudgetGrant]>('budgetGrant');
/** Operator: retry (optionally edited), skip with a placeholder, or abort. Returns the scene afterwards. */
export const decideSceneUpdate = defineUpdate<SceneStatus, [SceneDecision]>('decideScene');
/** Reviewer: approve a downloaded take, or reject it with a note (a new take is made; the old one is kept). */
export const reviewSceneUpdate = defineUpdate<SceneStatus, [ReviewDecision]>('reviewScene');

/** A batch item's outcome, as the production reports it (and as the summary shows it). */
export interface BatchRow {
  key: string;
  productionId: string;
  state: ProductionState | 'invalid' | 'not_started';
  /** Where it stopped: validate (bad storyboard), render (a scene), assemble, budget. */
  stage?: 'validate' | 'render' | 'assemble' | 'budget' | 'operator';
  sceneId?: string;
  reason?: string;
  outputPath?: string;
  costUsd: number;
  scenes: { ready: number; total: number };
}

export interface BatchInput {
  batchId: string;
  /** JSON array of BatchItem, written by the client where workers can read it. */
  itemsFile: string;
  total: number;
  maxParallelProductions: number;
  /** Temporal priority key of the productions (1 first … 5 last). */
  priorityKey: number;
  budgetUsd?: number;
  /** Productions go to <outRoot>/<item key>/. */
  outRoot: string;
  /** Start productions with storyreel's search attributes (registered on the server). */
  searchAttributes: boolean;
  timeouts?: Timeouts;
  /** The items' storyboards may name files outside their own folders (`--allow-outside-assets`). */
  allowAssetsOutside?: boolean;
  /** Rows already final (a resumed batch skips these items). Carried across continue-as-new. */
  rows?: BatchRow[];
  /** Carried across continue-as-new. */
  offset?: number;
  inFlight?: { key: string; productionId: string; estimatedUsd: number; scenes: number }[];
  startedAt?: string;
  runs?: number;
}

export interface BatchProgress {
  batchId: string;
  total: number;
  counts: Record<string, number>;
  scenes: { ready: number; total: number };
  costUsd: number;
  budgetUsd?: number;
  startedAt: string;
  /** Estimated time left, from the pace so far. */
  etaSeconds?: number;
  runs: number;
  inFlight: string[];
}

export interface BatchSummary {
  batchId: string;
  total: number;
  counts: Record<string, number>;
  costUsd: number;
  rows: BatchRow[];
  summaryPath: string;
  startedAt: string;
  finishedAt: string;
}

/** Production → its batch: this item is final. */
export const batchItemDoneSignal = defineSignal<[BatchRow]>('batchItemDone');
export const batchProgressQuery = defineQuery<BatchProgress>('batchProgress');

/** A request for one of a provider's cluster-wide job slots (see provider-slots.ts). */
export interface SlotRequest {
  requestId: string;
  /** The workflow waiting for the grant (it receives slotGranted). */
  workflowId: string;
  /** The cap (maxInFlight) this requester was configured with; the smallest among live requesters applies. */
  permits: number;
  /** Free the slot after this long even if it is never released. */
  leaseMs: number;
}

export const acquireSlotSignal = defineSignal<[SlotRequest]>('acquireSlot');
export const releaseSlotSignal = defineSignal<[{ requestId: string }]>('releaseSlot');
export const pauseProviderSignal = defineSignal<[{ untilMs: number }]>('pauseProvider');
export const slotGrantedSignal = defineSignal<[{ requestId: string }]>('slotGranted');

// Following a production: its durable event log (SSE replays it) and its outbound webhook deliveries.

/** What a follower tells the world; webhooks carry these types. */
export type ProductionEventType =
  | 'scene.ready'
  | 'scene.needs_review'
  | 'scene.failed'
  | 'scene.skipped'
  | 'production.waiting_for_operator'
  | 'production.completed'
  | 'production.failed'
  | 'production.cancelled';

/** One state change of a production run, as observed by its follower. */
export interface ProductionEvent {
  /** Stable for this state change whatever happens (the Standard Webhooks `webhook-id`): `evt_` + 32 hex. */
  id: string;
  /** 1, 2, 3, … within the followed run (the SSE event id is `<runId>.<seq>`). */
  seq: number;
  type: ProductionEventType;
  productionId: string;
  runId: string;
  /** When the follower observed it (ISO 8601). */
  at: string;
  /** The scene's or the production's state. */
  state: SceneState | ProductionState;
  sceneId?: string;
  take?: number;
  reason?: { kind: string; message: string };
  costUsd: number;
  outputPath?: string;
}

/** A compact view of one run, as the follower's observation activity reads it. */
export interface ProductionSnapshot {
  runId: string;
  closed: boolean;
  state: ProductionState;
  costUsd: number;
  outputPath?: string;
  scenes: {
    id: string;
    take: number;
    state: SceneState;
    costUsd: number;
    reason?: { kind: string; message: string };
    /** Takes that went through review (rejected or approved): each was awaiting review, however briefly. */
    reviewedTakes?: number[];
  }[];
  /** Changes exactly when a scene's take or state, or the production's state, changes. */
  digest: string;
}

/** Where a follower delivers its events. The secret is the workers' STORYREEL_WEBHOOK_SECRET, never carried here. */
export interface WebhookTarget {
  url: string;
  /** The operator allowed loopback/private destinations (STORYREEL_WEBHOOK_ALLOW_PRIVATE on the API server). */
  allowPrivate: boolean;
}

export interface DeliveryAttemptRecord {
  at: string;
  status?: number;
  error?: string;
  durationMs: number;
}

/** Every event's delivery to the webhook target: attempts and where it stands. */
export interface DeliveryRecord {
  eventId: string;
  type: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttemptRecord[];
  nextAttemptAt?: string;
}

export interface FollowInput {
  productionId: string;
  /** The run to follow (each run, e.g. after a resume, has its own follower). */
  runId: string;
  webhook?: WebhookTarget;
  /** How often the observation activity reads progress. Default 1000 ms. */
  pollMs?: number;
  /** Seconds to wait before each retry of a failed delivery; its length is the number of retries. */
  retryScheduleS?: number[];
  /** Carried across continue-as-new. */
  carried?: FollowState & { digest: string; seen: string[]; lastState?: ProductionState };
}

export interface FollowState {
  productionId: string;
  runId: string;
  /** The followed run has closed and every delivery has finished. */
  done: boolean;
  events: ProductionEvent[];
  deliveries: DeliveryRecord[];
}

/** The follower's log after `seq` (0: all of it) and its deliveries. */
export const followStateQuery = defineQuery<FollowState, [number]>('followState');

/**
 * A provider's verified webhook (fal `?fal_webhook=`, Replicate `webhook`) → the scene waiting on that job: the job
 * finished, poll it now. Sent by the API to the scene's workflow id (given in the callback URL); a scene ignores a
 * callback whose jobId is not the job it waits on. Polling stays the fallback when no callback comes.
 */
export interface JobCallback {
  provider: string;
  jobId: string;
  /** The provider's terminal status, normalized. */
  status: 'completed' | 'failed' | 'cancelled';
}
export const jobCallbackSignal = defineSignal<[JobCallback]>('jobCallback');

// A provider's circuit breaker (provider-breaker.ts), shared by every worker of a deployment.

/** How a provider's breaker trips: `failures` failed requests within `windowMs` open it for `coolDownMs`. */
export interface BreakerConfig {
  failures: number;
  windowMs: number;
  coolDownMs: number;
}

/** Ten outage-like failures (with no success between) within a minute leave the provider alone for a minute. */
export const DEFAULT_BREAKER: BreakerConfig = { failures: 10, windowMs: 60_000, coolDownMs: 60_000 };

/** A submit's request to the provider failed as an outage does (5xx, reset, no answer); `probeId` when it was the probe. */
export interface BreakerFailure {
  reason: string;
  config: BreakerConfig;
  probeId?: string;
}

/** What a submit needs to know before it sends anything to the provider. Times are epoch milliseconds. */
export interface BreakerView {
  /** closed: send; open: send nothing until `openUntil`; half_open: the cool-down is over, one probe may go. */
  state: 'closed' | 'open' | 'half_open';
  openUntil?: number;
  /** Failures within the window (closed), so a success knows whether to report itself. */
  failures: number;
  /** While half-open: a probe is out until then. */
  probeUntil?: number;
  /** The last openings, newest last (tests and operators read them). */
  openings: { at: number; until: number; reason: string }[];
}

export const breakerFailureSignal = defineSignal<[BreakerFailure]>('breakerFailure');
export const breakerSuccessSignal = defineSignal<[{ probeId?: string }]>('breakerSuccess');
export const breakerStateQuery = defineQuery<BreakerView>('breakerState');
/** Half-open: the first caller becomes the one request that tests the provider again. */
export const claimProbeUpdate = defineUpdate<{ granted: boolean }, [{ probeId: string; leaseMs: number }]>('claimProbe');

/** Whether a callback's job id names `jobId`: equal, or fal's request id of a `<endpoint>::<request id>` job id. */
export function sameJob(jobId: string, calledBack: string): boolean {
  return jobId === calledBack || jobId.endsWith(`::${calledBack}`);
}

// Following a batch: its item outcomes and its end, delivered to the batch's webhook target like a production's.

/** A batch's rows from index `from` on (rows only grow, in the order items finished; carried across continue-as-new). */
export const batchRowsQuery = defineQuery<BatchRow[], [number]>('batchRows');

export type BatchEventType = 'batch.item_done' | 'batch.item_failed' | 'batch.completed' | 'batch.failed' | 'batch.cancelled';

/** One state change of a batch: an item became final, or the batch ended. */
export interface BatchEvent {
  /** Stable for this state change (the Standard Webhooks `webhook-id`): `evt_` + 32 hex. */
  id: string;
  seq: number;
  type: BatchEventType;
  batchId: string;
  at: string;
  /** The item's row state, or the batch's: completed, failed, cancelled. */
  state: string;
  itemKey?: string;
  productionId?: string;
  reason?: string;
  costUsd: number;
  outputPath?: string;
  /** batch.completed: items per final state. */
  counts?: Record<string, number>;
}

/** What the batch follower's observation activity returns. */
export interface BatchSnapshot {
  closed: boolean;
  /** Rows not seen before (from `offset` while running; every row once closed). */
  rows: BatchRow[];
  /** Rows the running batch had in all (the next offset). */
  seen: number;
  /** Set once closed. */
  end?: { state: 'completed' | 'failed' | 'cancelled'; counts: Record<string, number>; costUsd: number; reason?: string };
}

export interface FollowBatchInput {
  batchId: string;
  /** The batch run (chain) followed: part of every event id, so a resumed batch's changes get new ids. */
  firstRunId: string;
  webhook?: WebhookTarget;
  pollMs?: number;
  retryScheduleS?: number[];
  carried?: BatchFollowState & { offset: number; seen: string[] };
}

export interface BatchFollowState {
  batchId: string;
  /** The batch closed and every delivery finished. */
  done: boolean;
  events: BatchEvent[];
  deliveries: DeliveryRecord[];
}

/** The batch follower's events after `seq` (0: all) and its deliveries. */
export const batchFollowStateQuery = defineQuery<BatchFollowState, [number]>('batchFollowState');
