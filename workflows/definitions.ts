/**
 * Messages and shared types of the production workflows: what clients send and read. Renaming a message or a
 * workflow is a breaking change for running productions.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProductionPlan } from '../src/storyboard/plan.js';
import type { ClipRecord } from '../src/store/clip-store.js';

export type SceneState = 'planned' | 'submitted' | 'rendering' | 'downloaded' | 'ready' | 'failed';

export type ProductionState =
  | 'running'
  | 'assembling'
  | 'waiting_for_operator'
  | 'completed'
  | 'completed_with_placeholders'
  | 'failed'
  | 'cancelled'
  | 'budget_exhausted';

export interface FailureReason {
  /** ErrorKind for provider failures (content_policy, job_failed, ...), else a class name. */
  kind: string;
  message: string;
  provider?: string;
  providerCode?: string;
  requestId?: string;
  jobId?: string;
  /** For content_policy: which input was involved, when the provider says. */
  input?: string;
}

export interface AttemptRecord {
  jobId: string;
  outcome: 'ready' | 'job_failed' | 'job_stuck' | 'output_expired' | 'content_policy' | 'cancelled';
  estimatedCostUsd: number;
  submittedAt: string;
  finishedAt?: string;
  reconciled: boolean;
  message?: string;
}

export interface SceneStatus {
  id: string;
  index: number;
  title: string;
  state: SceneState;
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
  clip?: Pick<ClipRecord, 'path' | 'sha256' | 'bytes' | 'durationS' | 'jobId'>;
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
}

/** Child → parent: a scene moved on. */
export interface SceneUpdate {
  sceneId: string;
  state: SceneState;
  progress?: number;
  jobId?: string;
  attempt?: AttemptRecord;
}

export interface Timeouts {
  /** startToClose of one submit (one POST, plus reconciliation on retries). Default 120 s. */
  submitS?: number;
  /** startToClose of one status poll. Default 60 s. */
  pollS?: number;
  /** Heartbeat timeout of downloads and assembly: how fast a dead worker is noticed. Default 30 s. */
  heartbeatS?: number;
}

export interface ProduceInput {
  plan: ProductionPlan;
  /** Absolute directory for final.mp4, sidecars and manifest.json (the worker must be able to write it). */
  outDir: string;
  timeouts?: Timeouts;
}

export interface ProductionResult {
  productionId: string;
  title: string;
  state: ProductionState;
  estimatedCostUsd: number;
  outputPath?: string;
  manifestPath: string;
  durationS?: number;
  costUsd: number;
  scenes: SceneStatus[];
}

export const progressQuery = defineQuery<ProductionProgress>('progress');
export const sceneUpdateSignal = defineSignal<[SceneUpdate]>('sceneUpdate');

/** Workflow ids: the production id itself, and one child per scene under it. */
export const sceneWorkflowId = (productionWorkflowId: string, sceneId: string) => `${productionWorkflowId}/scene/${sceneId}`;
