/**
 * The edge where a storyboard file meets the disk: read and parse it, then read, check and hash every file it names
 * (images: exist, PNG/JPEG/WebP, big enough; audio: exists, has audio). Produces what the pure planner needs.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { audioStream, probe, probeImage, ProbeError } from '../media/probe.js';
import { StoryboardError, type InputIssue } from '../storyboard/errors.js';
import { sha256File } from '../store/files.js';
import { parseStoryboardDocument, parseStoryboardText, validateStoryboard } from '../storyboard/parse.js';
import { deepMerge } from '../storyboard/batch.js';
import { canonicalJson } from '../contracts/hash.js';
import {
  planProduction,
  referencedAudioPaths,
  referencedImagePaths,
  type AssetInfo,
  type AudioAsset,
  type ProductionPlan,
} from '../storyboard/plan.js';
import type { Storyboard } from '../storyboard/schema.js';
import { spokenLines } from '../storyboard/speech.js';
import type { SpeechLine } from '../contracts/speech.js';
import { enhancePrompts } from './enhance-prompts.js';
import type { Catalog } from '../contracts/capabilities.js';
import type { SettingsFile, SettingsFiles } from '../contracts/provider-settings.js';

/** Largest storyboard file read: text only; images and audio are files it names. */
export const MAX_STORYBOARD_BYTES = 2_000_000;

/** Reference images smaller than this on either side are refused: providers upscale them into mush. */
export const MIN_REFERENCE_PIXELS = 64;

/**
 * Largest file a provider setting may name (a ComfyUI workflow): it travels in the plan with every scene that uses the
 * provider, and Temporal refuses payloads over 2 MB.
 */
export const MAX_SETTINGS_FILE_BYTES = 256 * 1024;

export interface LoadedStoryboard {
  file: string;
  storyboard: Storyboard;
  sha256: string;
  assets: Record<string, AssetInfo>;
  audio: Record<string, AudioAsset>;
  /** Files named by provider settings (provider → setting path → file); empty without a catalog. */
  settingsFiles: Record<string, SettingsFiles>;
}

export interface LoadOptions {
  /** Deep-merged into the parsed document before validation (batch items). */
  overrides?: Record<string, unknown>;
  /**
   * Let the storyboard name files outside its own folder (`../x.png`, `/abs/x.png`). Off by default: a storyboard
   * from someone else must not make storyreel read (and send to a provider) any file on this machine.
   */
  allowAssetsOutside?: boolean;
  /** Tells which provider settings name files (a ComfyUI workflow); they are read only when it is given. */
  catalog?: Pick<Catalog, 'parseSettings' | 'settingsFiles' | 'knownProviders'>;
}

export async function loadStoryboard(file: string, opts: LoadOptions = {}): Promise<LoadedStoryboard> {
  const { overrides } = opts;
  const abs = resolve(file);
  let bytes: Buffer;
  try {
    const info = await stat(abs);
    if (info.isDirectory()) {
      throw new StoryboardError(file, [{ path: '', message: 'is a directory; give the storyboard file (.yaml, .yml or .json) inside it' }]);
    }
    const size = info.size;
    if (size > MAX_STORYBOARD_BYTES) {
      throw new StoryboardError(file, [
        {
          path: '',
          message: `the file is ${(size / 1e6).toFixed(1)} MB; a storyboard may be at most ${MAX_STORYBOARD_BYTES / 1e6} MB (reference images and audio are separate files it names)`,
        },
      ]);
    }
    bytes = await readFile(abs);
  } catch (err) {
    if (err instanceof StoryboardError) throw err;
    throw new StoryboardError(file, [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }], {
      cause: err,
    });
  }
  const storyboard = overrides
    ? validateStoryboard(deepMerge(parseStoryboardDocument(bytes.toString('utf8'), file), overrides), file)
    : parseStoryboardText(bytes.toString('utf8'), file);
  const hash = createHash('sha256').update(bytes);
  if (overrides) hash.update(canonicalJson(overrides));
  const sha256 = hash.digest('hex');
  const issues: InputIssue[] = [];
  const base = { dir: dirname(abs), confine: !opts.allowAssetsOutside };
  const assets = await readAssets(referencedImagePaths(storyboard), base, 'image', issues, async (path, text) => {
    try {
      const info = await probeImage(path);
      if (info.width < MIN_REFERENCE_PIXELS || info.height < MIN_REFERENCE_PIXELS) {
        return `image "${text}" is ${info.width}x${info.height}; use at least ${MIN_REFERENCE_PIXELS}x${MIN_REFERENCE_PIXELS} pixels`;
      }
      return info;
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      return `"${text}" is not a PNG, JPEG or WebP image`;
    }
  });
  const audio = await readAssets(referencedAudioPaths(storyboard), base, 'audio file', issues, async (path, text) => {
    let a;
    try {
      a = audioStream(await probe(path));
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      // The probe's own reason: a refused URL inside a playlist says so, rather than "no audio".
      return `"${text}" cannot be read as audio: ${err.message}`;
    }
    const durationS = Number(a?.duration ?? 0);
    return a && durationS > 0 ? { durationS } : `"${text}" has no readable audio`;
  });
  const settingsFiles = opts.catalog ? await readSettingsFiles(storyboard, opts.catalog, base, issues) : {};
  if (issues.length) throw new StoryboardError(file, issues);
  return { file, storyboard, sha256, assets, audio, settingsFiles };
}

/**
 * Reads every file a provider block names (the catalog says which settings do), confined to the storyboard's folder
 * like images. A block that does not parse is left to the planner, which reports it.
 */
async function readSettingsFiles(
  storyboard: Storyboard,
  catalog: NonNullable<LoadOptions['catalog']>,
  base: { dir: string; confine: boolean },
  issues: InputIssue[],
): Promise<Record<string, SettingsFiles>> {
  const out: Record<string, SettingsFiles> = {};
  for (const [provider, block] of Object.entries(storyboard.providers)) {
    if (!catalog.knownProviders().includes(provider)) continue;
    const parsed = catalog.parseSettings(provider, block);
    if (!parsed.success) continue;
    const files: Record<string, SettingsFile> = {};
    for (const [key, text] of Object.entries(catalog.settingsFiles(provider, parsed.data))) {
      const where = `providers.${provider}.${key}`;
      const file = await readSettingsFile(text, base, where, issues);
      if (file) files[key] = file;
    }
    if (Object.keys(files).length) out[provider] = files;
  }
  return out;
}

async function readSettingsFile(
  text: string,
  base: { dir: string; confine: boolean },
  where: string,
  issues: InputIssue[],
): Promise<SettingsFile | undefined> {
  const path = resolve(base.dir, text);
  if (base.confine && !(await inside(base.dir, path))) {
    issues.push({
      path: where,
      message: `file "${text}" is outside the storyboard's folder (${base.dir}); copy it next to the storyboard, or allow it with --allow-outside-assets`,
    });
    return undefined;
  }
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      issues.push({ path: where, message: `"${text}" is a directory; name the file` });
      return undefined;
    }
    if (info.size > MAX_SETTINGS_FILE_BYTES) {
      issues.push({
        path: where,
        message: `file "${text}" is ${Math.ceil(info.size / 1024)} KB; at most ${MAX_SETTINGS_FILE_BYTES / 1024} KB (it travels with every scene's plan)`,
      });
      return undefined;
    }
    bytes = await readFile(path);
  } catch {
    issues.push({ path: where, message: `file "${text}" not found (looked at ${path})` });
    return undefined;
  }
  return { path: text, sha256: createHash('sha256').update(bytes).digest('hex'), text: bytes.toString('utf8') };
}

/**
 * Reads every file the storyboard names once: it must exist (hashed, streaming), then pass `check`, which returns
 * the file's facts or a message for the user. Problems are added to `issues` under the storyboard path.
 */
async function readAssets<T extends object>(
  refs: { path: string; where: string }[],
  base: { dir: string; confine: boolean },
  kind: string,
  issues: InputIssue[],
  check: (path: string, text: string) => Promise<T | string>,
): Promise<Record<string, T & { path: string; sha256: string }>> {
  const out: Record<string, T & { path: string; sha256: string }> = {};
  for (const ref of refs) {
    if (out[ref.path]) continue;
    const path = resolve(base.dir, ref.path);
    if (base.confine && !(await inside(base.dir, path))) {
      issues.push({
        path: ref.where,
        message: `${kind} "${ref.path}" is outside the storyboard's folder (${base.dir}); copy it next to the storyboard, or allow it with --allow-outside-assets`,
      });
      continue;
    }
    let sha256: string;
    try {
      sha256 = (await sha256File(path)).sha256;
    } catch {
      issues.push({ path: ref.where, message: `${kind} "${ref.path}" not found (looked at ${path})` });
      continue;
    }
    const facts = await check(path, ref.path);
    if (typeof facts === 'string') issues.push({ path: ref.where, message: facts });
    else out[ref.path] = { ...facts, path, sha256 };
  }
  return out;
}

/** Whether `path`, with symlinks resolved, lies inside `dir` (a missing file is judged by its name). */
async function inside(dir: string, path: string): Promise<boolean> {
  const real = async (p: string) => realpath(p).catch(() => p);
  const rel = relative(await real(dir), await real(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export interface PlanFileOptions {
  /** See LoadOptions.allowAssetsOutside. */
  allowAssetsOutside?: boolean;
  catalog: Catalog;
  overrides?: Record<string, unknown>;
  productionId?: string;
  envBaseURL?: Record<string, string | undefined>;
  /** Needed only when the storyboard has an `enhancer`: where its answers are cached, and the environment. */
  enhancer?: { cacheDir: string; env: Readonly<Record<string, string | undefined>> };
  /**
   * Measures spoken lines before planning (line key → seconds), so scene lengths follow the real speech: the CLI
   * synthesizes free local voices and reads the speech cache; lines it leaves out are estimated by the planner.
   */
  measureSpeech?: (lines: SpeechLine[]) => Promise<Record<string, number>>;
}

export async function planFile(file: string, opts: PlanFileOptions): Promise<{ loaded: LoadedStoryboard; plan: ProductionPlan }> {
  const loaded = await loadStoryboard(file, {
    ...(opts.overrides ? { overrides: opts.overrides } : {}),
    ...(opts.allowAssetsOutside ? { allowAssetsOutside: true } : {}),
    catalog: opts.catalog,
  });
  let enhancedActions: Record<string, string> | undefined;
  if (loaded.storyboard.enhancer) {
    if (!opts.enhancer)
      throw new StoryboardError(file, [{ path: 'enhancer', message: 'this command cannot run the prompt enhancer (no cache directory)' }]);
    enhancedActions = (await enhancePrompts(loaded.storyboard, file, opts.enhancer)).actions;
  }
  const plan = planProduction({
    storyboard: loaded.storyboard,
    storyboardSha256: loaded.sha256,
    fileName: file,
    assets: loaded.assets,
    audio: loaded.audio,
    settingsFiles: loaded.settingsFiles,
    catalog: opts.catalog,
    ...(opts.productionId ? { productionId: opts.productionId } : {}),
    ...(opts.envBaseURL ? { envBaseURL: opts.envBaseURL } : {}),
    ...(enhancedActions ? { enhancedActions } : {}),
    ...(opts.measureSpeech ? { speechSeconds: await opts.measureSpeech(spokenLines(loaded.storyboard)) } : {}),
  });
  return { loaded, plan };
}
