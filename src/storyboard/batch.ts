/**
 * Batch manifest format: which storyboards to produce together, with overrides, limits and priority. Pure.
 *
 *   batch: spring-catalogue
 *   maxParallelProductions: 8
 *   priority: low
 *   budget: { maxUsd: 250 }
 *   overrides: { defaults: { seconds: 4 } }        # deep-merged into every storyboard
 *   items:
 *     - storyboard: stories/a.yaml
 *     - { storyboard: stories/b.yaml, id: b-short, overrides: { defaults: { seconds: 2 } } }
 *     - dir: stories/more/                         # every .yaml/.yml/.json in it
 */
import { z } from 'zod';
import { Budget } from './schema.js';
import { Id } from '../contracts/ids.js';

const Overrides = z.record(z.string(), z.unknown());

export const BatchItemSpec = z.union([
  z.strictObject({ storyboard: z.string().min(1), id: Id.optional(), overrides: Overrides.optional() }),
  z.strictObject({ dir: z.string().min(1), overrides: Overrides.optional() }),
]);

export const BatchPriority = z.enum(['high', 'normal', 'low']);
export type BatchPriority = z.infer<typeof BatchPriority>;

export const BatchManifest = z.strictObject({
  batch: Id.optional(),
  maxParallelProductions: z.number().int().min(1).max(500).default(4),
  /** low: interactive productions (normal) go first on shared workers. */
  priority: BatchPriority.default('low'),
  budget: Budget.optional(),
  overrides: Overrides.optional(),
  items: z.array(BatchItemSpec).min(1, 'a batch needs at least one item'),
});
export type BatchManifest = z.infer<typeof BatchManifest>;

/**
 * One resolved item of a batch, as the client writes it to the batch's item list and the batch's activities read
 * it back (JSON).
 */
export interface BatchItem {
  /** Item key, unique in the batch (becomes part of the production id and the output directory). */
  key: string;
  /** Absolute storyboard path, readable by the worker. */
  file: string;
  overrides?: Record<string, unknown>;
}

/** Temporal priority keys: 1 is served first, 5 last; 3 is the default. */
export const PRIORITY_KEY: Record<BatchPriority, number> = { high: 2, normal: 3, low: 4 };

/** Recursively merges `patch` into `base` (objects merge, everything else replaces). Pure. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An item key from a file name: lower-case, safe, at most 40 characters. */
export function itemKeyFromFile(fileName: string): string {
  const base = fileName.replace(/\.(ya?ml|json)$/i, '');
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'item'
  );
}
