/**
 * Names every side must agree on: task queues, workflow ids and search attributes. Clients, workers, activities and
 * workflows import them from here, so a name changes in one place. Renaming any of them breaks running productions.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'storyreel';

/** The workflow id of a production IS its production id (idempotent submission). */
export const productionWorkflowId = (productionId: string) => productionId;

/** One child workflow per scene (and per take) under its production. */
export const sceneWorkflowId = (productionWorkflowId: string, sceneId: string) => `${productionWorkflowId}/scene/${sceneId}`;

/** The production and scene a scene workflow's id names (the inverse of sceneWorkflowId); undefined for other ids. */
export function parseSceneWorkflowId(workflowId: string): { productionId: string; sceneId: string } | undefined {
  const i = workflowId.lastIndexOf('/scene/');
  if (i <= 0) return undefined;
  const sceneId = workflowId.slice(i + '/scene/'.length);
  return sceneId && !sceneId.includes('/') ? { productionId: workflowId.slice(0, i), sceneId } : undefined;
}

export const batchWorkflowId = (batchId: string) => `batch-${batchId}`;
export const batchProductionId = (batchId: string, key: string) => `${batchId}--${key}`;

/** One semaphore per provider per deployment (task queue): every worker of that queue shares it. */
export const slotsWorkflowId = (taskQueue: string, provider: string) => `storyreel-slots-${taskQueue}-${provider}`;

/** One circuit breaker per provider per deployment (task queue): every worker of that queue reads and feeds it. */
export const breakerWorkflowId = (taskQueue: string, provider: string) => `storyreel-breaker-${taskQueue}-${provider}`;

/** The task queue that carries a provider's submits (rate-limited by the server for all workers). */
export const submitQueue = (taskQueue: string, provider: string) => `${taskQueue}-submit-${provider}`;

/**
 * The task queue that carries assembly and output writes (assembleVideo, writeManifest, writeLockfile), so a
 * deployment can run them on other hosts than scene rendering (worker roles; docs/deploy.md).
 */
export const assemblyQueue = (taskQueue: string) => `${taskQueue}-assembly`;

/** What a worker process does: `scenes` polls the main queue (workflows, scene activities) and the submit queues. */
export const WORKER_ROLES = ['scenes', 'assembly'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** Search attributes storyreel sets (register them on the server; the dev server launcher does). */
export const SEARCH_ATTRIBUTES = {
  productionId: defineSearchAttributeKey('StoryreelProductionId', SearchAttributeType.KEYWORD),
  batchId: defineSearchAttributeKey('StoryreelBatchId', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('StoryreelState', SearchAttributeType.KEYWORD),
  provider: defineSearchAttributeKey('StoryreelProvider', SearchAttributeType.KEYWORD),
} as const;
