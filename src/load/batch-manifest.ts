/**
 * The edge where a batch manifest meets the disk: read and check it, resolve its items (files and directories,
 * keys, overrides) and write the item list where workers read it (<workDir>/batches/<batch id>/items.json).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BatchManifest, deepMerge, itemKeyFromFile, type BatchItem } from '../storyboard/batch.js';
import { StoryboardError, type InputIssue } from '../storyboard/errors.js';
import { parseStoryboardDocument, zodIssues } from '../storyboard/parse.js';
import { writeFileAtomic } from '../store/files.js';

export interface ResolvedBatch {
  manifest: BatchManifest;
  /** The manifest's `batch`, or the file's name plus the first 8 hex digits of its sha256. */
  batchId: string;
  items: BatchItem[];
  /** Absolute path of the item list (a JSON array of BatchItem) that the batch workflow reads page by page. */
  itemsFile: string;
  /** sha256 of the item list: a batch's identity for a run (attaching with another list is refused). */
  itemsSha256: string;
}

/**
 * Most items one batch may have: the summary rows travel with every continue-as-new (about 300 bytes each) and
 * Temporal refuses payloads over 2 MB.
 */
export const MAX_BATCH_ITEMS = 5000;

/**
 * Throws StoryboardError naming the manifest and every wrong item (by its path in the manifest). `file` may also be
 * a directory: every storyboard in it is an item (the batch is named after the directory).
 */
export async function resolveBatchManifest(file: string, workDir: string): Promise<ResolvedBatch> {
  let text: string;
  try {
    if ((await stat(file)).isDirectory()) return resolveDirectory(file, workDir);
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StoryboardError(
      file,
      [{ path: '', message: `cannot read the manifest (${(err as NodeJS.ErrnoException).code ?? 'error'})` }],
      {
        cause: err,
      },
    );
  }
  const parsed = BatchManifest.safeParse(parseStoryboardDocument(text, file));
  if (!parsed.success) throw new StoryboardError(file, zodIssues(parsed.error));
  const manifest = parsed.data;
  const issues: InputIssue[] = [];
  const items = await resolveItems(manifest, dirname(resolve(file)), issues);
  issues.push(...duplicateKeys(items));
  if (!items.length && !issues.length) issues.push({ path: 'items', message: 'no storyboards found' });
  if (items.length > MAX_BATCH_ITEMS) {
    issues.push({
      path: 'items',
      message: `${items.length} storyboards; one batch may have at most ${MAX_BATCH_ITEMS} (its summary travels with it): split the manifest into several batches`,
    });
  }
  if (issues.length) throw new StoryboardError(file, issues);
  const batchId = manifest.batch ?? `${itemKeyFromFile(basename(file))}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
  return { manifest, batchId, items, ...(await writeItems(workDir, batchId, items)) };
}

/** A directory as a batch: every .yaml/.yml/.json in it, with the manifest's defaults. */
async function resolveDirectory(dir: string, workDir: string): Promise<ResolvedBatch> {
  const manifest = BatchManifest.parse({ items: [{ dir: '.' }] });
  const issues: InputIssue[] = [];
  const items = await resolveItems(manifest, resolve(dir), issues);
  if (!items.length) issues.push({ path: '', message: 'the directory holds no storyboards (.yaml, .yml or .json)' });
  if (items.length > MAX_BATCH_ITEMS) {
    issues.push({
      path: '',
      message: `${items.length} storyboards; one batch may have at most ${MAX_BATCH_ITEMS}: split them into several directories`,
    });
  }
  if (issues.length) throw new StoryboardError(dir, issues);
  const listing = createHash('sha256')
    .update(items.map((i) => i.file).join('\n'))
    .digest('hex');
  const batchId = `${itemKeyFromFile(basename(resolve(dir)))}-${listing.slice(0, 8)}`;
  return { manifest, batchId, items, ...(await writeItems(workDir, batchId, items)) };
}

/**
 * Writes the item list under its own content hash: a run reads exactly the list it was started with, even if the
 * manifest is edited and submitted again while it runs (that submission is refused: see submitBatch).
 */
async function writeItems(workDir: string, batchId: string, items: BatchItem[]): Promise<{ itemsFile: string; itemsSha256: string }> {
  const text = JSON.stringify(items);
  const itemsSha256 = createHash('sha256').update(text).digest('hex');
  const itemsFile = join(resolve(workDir), 'batches', batchId, `items-${itemsSha256.slice(0, 16)}.json`);
  if (!existsSync(itemsFile)) await writeFileAtomic(itemsFile, text);
  return { itemsFile, itemsSha256 };
}

/** Items in manifest order; a directory contributes its storyboards sorted by name. Paths are relative to `base`. */
async function resolveItems(manifest: BatchManifest, base: string, issues: InputIssue[]): Promise<BatchItem[]> {
  const items: BatchItem[] = [];
  const withOverrides = (o?: Record<string, unknown>) =>
    manifest.overrides || o ? { overrides: deepMerge(manifest.overrides ?? {}, o ?? {}) as Record<string, unknown> } : {};
  for (const [i, spec] of manifest.items.entries()) {
    if ('storyboard' in spec) {
      const abs = resolve(base, spec.storyboard);
      if (!existsSync(abs)) issues.push({ path: `items[${i}].storyboard`, message: `"${spec.storyboard}" not found` });
      items.push({ key: spec.id ?? itemKeyFromFile(basename(abs)), file: abs, ...withOverrides(spec.overrides) });
      continue;
    }
    const dir = resolve(base, spec.dir);
    let names: string[] = [];
    try {
      names = (await readdir(dir)).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
    } catch {
      issues.push({ path: `items[${i}].dir`, message: `"${spec.dir}" is not a readable directory` });
    }
    for (const n of names) items.push({ key: itemKeyFromFile(n), file: join(dir, n), ...withOverrides(spec.overrides) });
  }
  return items;
}

function duplicateKeys(items: readonly BatchItem[]): InputIssue[] {
  const seen = new Map<string, string>();
  const issues: InputIssue[] = [];
  for (const it of items) {
    const first = seen.get(it.key);
    if (first !== undefined)
      issues.push({ path: 'items', message: `two items have the key "${it.key}" (${first} and ${it.file}); give one an \`id\`` });
    else seen.set(it.key, it.file);
  }
  return issues;
}
