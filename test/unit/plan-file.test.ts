/**
 * Plans passed by file (src/load/plan-file.ts): named by their own hash, written once, read back only with the bytes
 * they were submitted with, and a file a worker cannot read says what to share.
 */
import { appendFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanFileError, planBytes, readPlanFile, writePlanFile } from '../../src/load/plan-file.js';
import { productionPlan } from '../helpers/scene-plans.js';
import { tempDir } from '../helpers/files.js';

describe('plan files', () => {
  it('the same plan is one file named by its sha256; it reads back equal', async () => {
    const dir = await tempDir();
    const plan = productionPlan([{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    const first = await writePlanFile(dir, plan);
    const again = await writePlanFile(dir, plan);
    expect(again).toEqual(first);
    expect(first.planFile).toBe(join(dir, 'plans', `${first.planSha256}.json`));
    expect(await readdir(join(dir, 'plans'))).toEqual([`${first.planSha256}.json`]);
    expect(await readPlanFile(first.planFile, first.planSha256)).toEqual(JSON.parse(planBytes(plan).toString()));
  });

  it('refuses changed bytes and names the file; a missing file says the work dir must be shared', async () => {
    const dir = await tempDir();
    const { planFile, planSha256 } = await writePlanFile(dir, productionPlan([{ id: 'a' }]));
    await appendFile(planFile, ' ');
    await expect(readPlanFile(planFile, planSha256)).rejects.toThrow(new RegExp(`plan file ${planFile} changed after it was submitted`));
    await rm(planFile);
    const err = await readPlanFile(planFile, planSha256).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanFileError);
    expect((err as Error).message).toMatch(/cannot be read on this worker \(ENOENT\).*share STORYREEL_WORK_DIR/);
  });
});
