/**
 * Determinism guard: histories recorded from representative runs (scripts/record-histories.ts) are replayed
 * against today's workflow code. A change that would break running productions fails here.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const DIR = resolve(import.meta.dirname, '../fixtures/histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('recorded histories replay on the current workflow code', () => {
  it('has recorded histories of productions and scenes', () => {
    expect(files.some((f) => !f.includes('__'))).toBe(true);
    expect(files.some((f) => f.includes('__scene__'))).toBe(true);
    expect(files.some((f) => f.startsWith('batch-'))).toBe(true);
  });

  it('replays every one without a determinism error', async () => {
    async function* histories() {
      for (const f of files) {
        yield {
          workflowId: f.replace(/\.json$/, '').replaceAll('__', '/'),
          history: historyFromJSON(JSON.parse(readFileSync(join(DIR, f), 'utf8'))),
        };
      }
    }
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories())) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
