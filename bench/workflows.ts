/** Workflows for benchmarks: the product's, plus the floor they are measured against. */
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

export * from '../workflows/index.js';

const { noop } = proxyActivities<{ noop(i: number): Promise<number> }>({ startToCloseTimeout: '1 minute' });

/** n no-op activities, at most `parallel` at once: the floor of orchestration cost on this server. */
export async function benchNoopActivities(n: number, parallel: number): Promise<number> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) {
        await noop(next++);
        done++;
      }
    }),
  );
  return done;
}

/** n child workflows each running `perChild` no-op activities: the floor with the same shape as a production. */
export async function benchNoopChildren(n: number, parallel: number, perChild: number): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) {
        const i = next++;
        await executeChild(benchNoopActivities, { workflowId: `${workflowInfo().workflowId}/c${i}`, args: [perChild, 1] });
      }
    }),
  );
  return n;
}
