/**
 * A storyboard sent over HTTP, made into a plan the same way `storyreel plan` makes one from a file. It may not name
 * files on the server: every image and audio field must be `asset:<sha256>` of an upload (POST /v1/assets), and
 * it may not set what only the operator sets (provider base URLs and key variables, the enhancer's endpoint and
 * key), because those would make the server send its secrets where the sender chooses. The accepted document is
 * written, with each asset linked beside it, to <workDir>/api/storyboards/<sha256>/ and planned from there, so
 * the loader's own checks (confinement to the storyboard's folder, image and audio probes, hashes) all apply.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../contracts/hash.js';
import { planFile, type LoadedStoryboard } from '../load/load-storyboard.js';
import { localSpeechMeasurer } from '../speech/measure.js';
import { catalog } from '../providers/catalog.js';
import { writeFileAtomic } from '../store/files.js';
import { StoryboardError, type InputIssue } from '../storyboard/errors.js';
import { parseStoryboardDocument, validateStoryboard } from '../storyboard/parse.js';
import { referencedAudioPaths, referencedImagePaths, type ProductionPlan } from '../storyboard/plan.js';
import { ASSET_REF, type AssetStore } from './assets.js';

export interface IntakeDeps {
  assets: AssetStore;
  workDir: string;
  envBaseURL: Record<string, string | undefined>;
}

/** How the document names itself in errors (never a server path). */
const NAME = 'storyboard';

export async function planUpload(
  deps: IntakeDeps,
  text: string,
  format: 'json' | 'yaml',
  productionId?: string,
): Promise<{ plan: ProductionPlan; loaded: LoadedStoryboard }> {
  const file = await acceptStoryboard(deps, parseStoryboardDocument(text, `${NAME}.${format}`));
  try {
    return await planFile(file, {
      catalog,
      envBaseURL: deps.envBaseURL,
      enhancer: { cacheDir: join(deps.workDir, 'enhancer'), env: process.env },
      measureSpeech: localSpeechMeasurer(deps.workDir),
      ...(productionId ? { productionId } : {}),
    });
  } catch (err) {
    // The loader names the file it read; the sender only knows "storyboard".
    if (err instanceof StoryboardError) throw new StoryboardError(NAME, err.issues, { cause: err });
    throw err;
  }
}

/**
 * Checks a parsed storyboard document (assets by id only, nothing the operator sets) and writes it, with its assets
 * linked beside it, into its own folder; returns the file's path. `name` is how errors name the document.
 */
export async function acceptStoryboard(deps: IntakeDeps, raw: unknown, name = NAME): Promise<string> {
  const sb = validateStoryboard(raw, name);
  const issues: InputIssue[] = [];
  for (const [name, settings] of Object.entries(sb.providers)) {
    for (const field of ['baseURL', 'apiKeyEnv'] as const)
      if (settings[field] !== undefined)
        issues.push({ path: `providers.${name}.${field}`, message: 'is set by the server operator, not over HTTP; remove it' });
  }
  for (const field of ['baseURL', 'apiKeyEnv'] as const)
    if (sb.enhancer?.[field] !== undefined)
      issues.push({ path: `enhancer.${field}`, message: 'is set by the server operator, not over HTTP; remove it' });

  const rewrites: { where: string; sha256: string }[] = [];
  const refs = [
    ...referencedImagePaths(sb).map((r) => ({ ...r, kind: 'image' as const })),
    ...referencedAudioPaths(sb).map((r) => ({ ...r, kind: 'audio' as const })),
  ];
  for (const ref of refs) {
    const sha256 = ASSET_REF.exec(ref.path)?.[1];
    if (!sha256) {
      issues.push({
        path: ref.where,
        message: `"${ref.path}" names a file on the server; upload the ${ref.kind} with POST /v1/assets and use the id it returns (asset:<sha256>)`,
      });
      continue;
    }
    const asset = await deps.assets.get(sha256);
    if (!asset) issues.push({ path: ref.where, message: `${ref.path} was not uploaded to this server; POST it to /v1/assets first` });
    else if (asset.kind !== ref.kind)
      issues.push({ path: ref.where, message: `${ref.path} is ${asset.kind}, and this field needs ${ref.kind}` });
    else rewrites.push({ where: ref.where, sha256 });
  }
  if (issues.length) throw new StoryboardError(name, issues);

  const dir = join(deps.workDir, 'api', 'storyboards', sha256Hex(canonicalJson(raw)));
  await mkdir(dir, { recursive: true });
  for (const r of rewrites) setAt(raw, r.where, `assets/${await deps.assets.placeAt(r.sha256, join(dir, 'assets'))}`);
  const file = join(dir, 'storyboard.json');
  await writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`);
  return file;
}

/** Sets `value` at a path like `characters[0].references[1]` or `output.soundtrack.file` in a parsed document. */
function setAt(doc: unknown, where: string, value: string): void {
  const parts = where.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '');
  let node = doc as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}
