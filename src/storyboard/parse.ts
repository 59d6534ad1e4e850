/**
 * Text → validated Storyboard. Pure (the caller reads the file). YAML is a superset of JSON, but JSON files are
 * parsed as JSON so their error positions are exact.
 */
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { StoryboardError, formatPath, type InputIssue } from './errors.js';
import { Storyboard } from './schema.js';

export function parseStoryboardText(text: string, fileName: string): Storyboard {
  return validateStoryboard(parseStoryboardDocument(text, fileName), fileName);
}

/** YAML or JSON text → a plain value, not yet validated. */
export function parseStoryboardDocument(text: string, fileName: string): unknown {
  return fileName.toLowerCase().endsWith('.json') ? parseJson(text, fileName) : parseYaml(text, fileName);
}

export function validateStoryboard(raw: unknown, fileName: string): Storyboard {
  const result = Storyboard.safeParse(raw);
  if (!result.success) throw new StoryboardError(fileName, zodIssues(result.error));
  return result.data;
}

/** zod's issues as ours; `under` prefixes every path (a block validated on its own, e.g. providers.fal). */
export function zodIssues(error: z.ZodError, under: readonly PropertyKey[] = []): InputIssue[] {
  return error.issues.map((issue) => ({ path: formatPath([...under, ...issue.path]), message: describeIssue(issue) }));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling (run \`storyreel schema\` for every allowed key)`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

function parseJson(text: string, fileName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoryboardError(fileName, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }], { cause: err });
  }
}

function parseYaml(text: string, fileName: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new StoryboardError(
      fileName,
      doc.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StoryboardError(fileName, [{ path: '', message: 'must be a mapping with `title` and `scenes`' }]);
  }
  return value;
}
