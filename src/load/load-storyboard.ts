/**
 * The edge where a storyboard file meets the disk: read and parse it, then read, check and hash every image it
 * names (they exist, are PNG/JPEG/WebP, are big enough). Produces what the pure planner needs.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Catalog } from '../providers/catalog.js';
import { audioStream, probe, probeImage, ProbeError } from '../media/probe.js';
import { StoryboardError, type InputIssue } from '../storyboard/errors.js';
import { parseStoryboardDocument, parseStoryboardText, validateStoryboard } from '../storyboard/parse.js';
import { deepMerge } from '../storyboard/batch.js';
import { canonicalJson } from '../storyboard/hash.js';
import { planProduction, referencedAudioPaths, referencedImagePaths, type AssetInfo, type AudioAsset, type ProductionPlan } from '../storyboard/plan.js';
import type { Storyboard } from '../storyboard/schema.js';
import { enhancePrompts } from './enhance-prompts.js';

/** Reference images smaller than this on either side are refused: providers upscale them into mush. */
export const MIN_REFERENCE_PIXELS = 64;

export interface LoadedStoryboard {
  file: string;
  storyboard: Storyboard;
  sha256: string;
  assets: Record<string, AssetInfo>;
  audio: Record<string, AudioAsset>;
}

/** `overrides` are deep-merged into the parsed document before validation (batch items). */
export async function loadStoryboard(file: string, overrides?: Record<string, unknown>): Promise<LoadedStoryboard> {
  const abs = resolve(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(abs);
  } catch (err) {
    throw new StoryboardError(file, [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }], { cause: err });
  }
  const storyboard = overrides
    ? validateStoryboard(deepMerge(parseStoryboardDocument(bytes.toString('utf8'), file), overrides), file)
    : parseStoryboardText(bytes.toString('utf8'), file);
  const hash = createHash('sha256').update(bytes);
  if (overrides) hash.update(canonicalJson(overrides));
  const sha256 = hash.digest('hex');
  const assets: Record<string, AssetInfo> = {};
  const issues: InputIssue[] = [];
  for (const ref of referencedImagePaths(storyboard)) {
    if (assets[ref.path]) continue;
    const path = resolve(dirname(abs), ref.path);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      issues.push({ path: ref.where, message: `image "${ref.path}" not found (looked at ${path})` });
      continue;
    }
    try {
      const info = await probeImage(path);
      if (info.width < MIN_REFERENCE_PIXELS || info.height < MIN_REFERENCE_PIXELS) {
        issues.push({ path: ref.where, message: `image "${ref.path}" is ${info.width}x${info.height}; use at least ${MIN_REFERENCE_PIXELS}x${MIN_REFERENCE_PIXELS} pixels` });
        continue;
      }
      assets[ref.path] = { path, sha256: createHash('sha256').update(data).digest('hex'), ...info };
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      issues.push({ path: ref.where, message: `"${ref.path}" is not a PNG, JPEG or WebP image` });
    }
  }
  const audio: Record<string, AudioAsset> = {};
  for (const ref of referencedAudioPaths(storyboard)) {
    if (audio[ref.path]) continue;
    const path = resolve(dirname(abs), ref.path);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      issues.push({ path: ref.where, message: `audio file "${ref.path}" not found (looked at ${path})` });
      continue;
    }
    const a = await probe(path).then(audioStream, () => undefined);
    const durationS = Number(a?.duration ?? 0);
    if (!a || !(durationS > 0)) {
      issues.push({ path: ref.where, message: `"${ref.path}" has no readable audio` });
      continue;
    }
    audio[ref.path] = { path, sha256: createHash('sha256').update(data).digest('hex'), durationS };
  }
  if (issues.length) throw new StoryboardError(file, issues);
  return { file, storyboard, sha256, assets, audio };
}

export interface PlanFileOptions {
  catalog: Catalog;
  overrides?: Record<string, unknown>;
  productionId?: string;
  envBaseURL?: Record<string, string | undefined>;
  /** Needed only when the storyboard has an `enhancer`: where its answers are cached, and the environment. */
  enhancer?: { cacheDir: string; env: Readonly<Record<string, string | undefined>> };
}

export async function planFile(file: string, opts: PlanFileOptions): Promise<{ loaded: LoadedStoryboard; plan: ProductionPlan }> {
  const loaded = await loadStoryboard(file, opts.overrides);
  let enhancedActions: Record<string, string> | undefined;
  if (loaded.storyboard.enhancer) {
    if (!opts.enhancer) throw new StoryboardError(file, [{ path: 'enhancer', message: 'this command cannot run the prompt enhancer (no cache directory)' }]);
    enhancedActions = (await enhancePrompts(loaded.storyboard, file, opts.enhancer)).actions;
  }
  const plan = planProduction({
    storyboard: loaded.storyboard,
    storyboardSha256: loaded.sha256,
    fileName: file,
    assets: loaded.assets,
    audio: loaded.audio,
    catalog: opts.catalog,
    ...(opts.productionId ? { productionId: opts.productionId } : {}),
    ...(opts.envBaseURL ? { envBaseURL: opts.envBaseURL } : {}),
    ...(enhancedActions ? { enhancedActions } : {}),
  });
  return { loaded, plan };
}
