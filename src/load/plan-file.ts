/**
 * Plans passed by file: a production's plan is written once, named by its own sha256, and the workflow's input
 * carries only the file's path and hash (a batch item's plan travels the same way). The worker reads it back and
 * checks the hash, so the start event stays small whatever the plan's size and a plan is never changed under a run.
 *
 * The file lives in the client's work directory, which workers must be able to read (the CLI's own worker, a shared
 * disk, the compose file's `work` volume). Plans small enough for a start event also go inline, so a client on
 * another machine than its workers keeps working (`planBy: 'auto'`).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProductionPlan } from '../storyboard/plan.js';
import { writeFileAtomic } from '../store/files.js';

/** Above this a plan goes by file: well under Temporal's 512 KiB payload warning and its 2 MB limit. */
export const INLINE_PLAN_MAX_BYTES = 256 * 1024;

export type PlanBy = 'auto' | 'file' | 'inline';

export interface PlanFileRef {
  planFile: string;
  planSha256: string;
}

/** The plan's bytes as written and hashed (plain JSON: the same plan, the same bytes, the same name). */
export const planBytes = (plan: ProductionPlan): Buffer => Buffer.from(JSON.stringify(plan));

/** Writes the plan as `<workDir>/plans/<sha256>.json` (again the same bytes when it exists: atomic, so a reader never sees a half). */
export async function writePlanFile(workDir: string, plan: ProductionPlan): Promise<PlanFileRef> {
  const bytes = planBytes(plan);
  const planSha256 = createHash('sha256').update(bytes).digest('hex');
  const planFile = join(workDir, 'plans', `${planSha256}.json`);
  await writeFileAtomic(planFile, bytes);
  return { planFile, planSha256 };
}

/** Why a plan file cannot be used; not retried (the same file fails the same way). */
export class PlanFileError extends Error {
  override readonly name = 'PlanFileError';
}

/** Reads a plan file and, when its hash is given, checks the bytes are the ones the production was started with. */
export async function readPlanFile(planFile: string, planSha256?: string): Promise<ProductionPlan> {
  let bytes: Buffer;
  try {
    bytes = await readFile(planFile);
  } catch (err) {
    throw new PlanFileError(
      `the production's plan file ${planFile} cannot be read on this worker (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ` +
        'the client that submitted it and the workers must share STORYREEL_WORK_DIR (a shared disk or volume), or submit with planBy "inline"',
    );
  }
  if (planSha256) {
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== planSha256)
      throw new PlanFileError(
        `the production's plan file ${planFile} changed after it was submitted (sha256 ${got.slice(0, 12)}, expected ${planSha256.slice(0, 12)}); submit the storyboard again`,
      );
  }
  return JSON.parse(bytes.toString('utf8')) as ProductionPlan;
}
