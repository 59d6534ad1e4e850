import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export async function tempDir(prefix = 'storyreel-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes a storyboard object as YAML (or JSON when the name ends in .json) into `dir`. */
export async function writeStoryboard(dir: string, sb: unknown, name = 'storyboard.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, name.endsWith('.json') ? JSON.stringify(sb, null, 2) : stringify(sb));
  return path;
}
