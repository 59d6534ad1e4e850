/**
 * `storyreel`: the package's main entry. Connect, plan a storyboard, submit it, follow it, steer it.
 *
 *   import { StoryreelClient } from 'storyreel';
 *   const client = await StoryreelClient.connect({ address: 'localhost:7233' });
 *   const { plan } = await client.plan('story.yaml');
 *   const { productionId } = await client.submit(plan);
 *   const result = await client.watch(productionId, (p) => console.log(p.state, p.percent));
 *
 * The storyboard format is `storyreel/storyboard`; every error class is `storyreel/errors`.
 */
export { StoryreelClient, checkedId, type ConnectOptions } from './storyreel-client.js';
export type { ResumeOptions, SubmitOptions, Submitted } from './productions.js';
export { BatchConflictError, type BatchSubmitted, type SubmitBatchOptions } from './batches.js';
export type { FollowOptions } from './follow.js';
export type { ListedProduction } from './visibility.js';
export { DecisionRejectedError, ProductionConflictError, ProductionFailedError, StoryboardError } from './errors.js';
export type {
  AttemptRecord,
  BatchProgress,
  DeliveryRecord,
  FollowState,
  ProductionEvent,
  ProductionEventType,
  WebhookTarget,
  BatchRow,
  BatchSummary,
  FailureReason,
  LedgerEntry,
  ProduceInput,
  ProductionProgress,
  ProductionResult,
  ProductionState,
  ReviewDecision,
  SceneDecision,
  SceneState,
  SceneStatus,
  Timeouts,
} from '../../workflows/definitions.js';
export type { ProductionPlan, ScenePlan } from '../storyboard/plan.js';
export type { LoadedStoryboard } from '../load/load-storyboard.js';
