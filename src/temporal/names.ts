/** Temporal server arguments derived from the shared names (src/contracts/names.ts). */
import { SEARCH_ATTRIBUTES } from '../contracts/names.js';

/** `--search-attribute` arguments for `temporal server start-dev`. */
export const devServerSearchAttributeArgs = (): string[] =>
  Object.values(SEARCH_ATTRIBUTES).flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
