/** Task queue names, workflow ids and search attributes: one place, so clients and workers agree. */
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions.js';

export { SEARCH_ATTRIBUTES };

export const DEFAULT_TASK_QUEUE = 'storyreel';

/** The workflow id of a production IS its production id (idempotent submission). */
export const productionWorkflowId = (productionId: string) => productionId;

/** `--search-attribute` arguments for `temporal server start-dev`. */
export const devServerSearchAttributeArgs = (): string[] =>
  Object.values(SEARCH_ATTRIBUTES).flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
