/** Task queue names, workflow ids and search attributes: one place, so clients and workers agree. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'storyreel';

/** The workflow id of a production IS its production id (idempotent submission). */
export const productionWorkflowId = (productionId: string) => productionId;

export const SEARCH_ATTRIBUTES = {
  productionId: defineSearchAttributeKey('StoryreelProductionId', SearchAttributeType.KEYWORD),
  batchId: defineSearchAttributeKey('StoryreelBatchId', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('StoryreelState', SearchAttributeType.KEYWORD),
  provider: defineSearchAttributeKey('StoryreelProvider', SearchAttributeType.KEYWORD),
} as const;

/** `--search-attribute` arguments for `temporal server start-dev`. */
export const devServerSearchAttributeArgs = (): string[] =>
  Object.values(SEARCH_ATTRIBUTES).flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
