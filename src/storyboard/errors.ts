/**
 * Domain errors for user input. Users see `message`; each issue names the path in the storyboard and what to do.
 */

export interface InputIssue {
  /** e.g. `scenes[2].seconds`; empty for the whole document. */
  path: string;
  message: string;
}

/** The storyboard (or a file it names) is wrong. Nothing was started. The CLI exits 2. */
export class StoryboardError extends Error {
  override readonly name = 'StoryboardError';
  constructor(
    readonly file: string,
    readonly issues: readonly InputIssue[],
    options?: { cause?: unknown },
  ) {
    super(formatIssues(file, issues), options);
  }
}

export function formatIssues(file: string, issues: readonly InputIssue[]): string {
  const lines = issues.map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`);
  return `${file}: ${issues.length === 1 ? 'invalid storyboard' : `${issues.length} problems`}\n${lines.join('\n')}`;
}

/** `['scenes', 2, 'seconds']` → `scenes[2].seconds` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
