/**
 * produceBatch: many storyboards as child productions in a sliding window (maxParallelProductions), with
 * deterministic child ids (batch id + item key), continuing past failures, and continue-as-new so the batch's own
 * history stays bounded however long the batch. Children are ABANDONed on continue-as-new and report their outcome
 * with a signal to the batch's workflow id (which reaches whichever run is current).
 * The signal is not the only way a batch learns that an item is over: a child that closes without sending it
 * (terminated, timed out, failed before its try) is noticed from its handle's result in the run that started it, and
 * children carried over a continue-as-new are looked up (describeProduction) every CHILD_SWEEP while the batch waits.
 */
import {
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { BatchItem } from '../src/storyboard/batch.js';
import {
  batchItemDoneSignal,
  batchProgressQuery,
  batchRowsQuery,
  type BatchInput,
  type BatchProgress,
  type BatchRow,
  type BatchSummary,
} from './definitions.js';
import { produceStoryboard } from './produce-storyboard.js';
import { batchProductionId, SEARCH_ATTRIBUTES } from '../src/contracts/names.js';

const PAGE = 50;
const SA = SEARCH_ATTRIBUTES;
/**
 * Continue as new at this many events even before the server suggests it (at 4 Ki events): a run's replay cost and
 * the input it carries stay small. Each item costs about ten events here.
 */
const MAX_EVENTS_PER_RUN = 2_000;
/** Patch: the batch watches its children's results and sweeps carried-over ones (issue 11 item 7). */
const OBSERVE_CHILDREN = 'batch-observes-children';
/** How often children carried over a continue-as-new (no handle in this run) are looked up while the batch waits. */
const CHILD_SWEEP = '5 minutes';

export async function produceBatch(input: BatchInput): Promise<BatchSummary> {
  const info = workflowInfo();
  // Reads the item list and plans items (loads storyboards, probes images): seconds; retried.
  const acts = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } });

  const rows: BatchRow[] = [...(input.rows ?? [])];
  const finalKeys = new Set(rows.map((r) => r.key));
  const inFlight = new Map((input.inFlight ?? []).map((f) => [f.key, f]));
  const startedAt = input.startedAt ?? new Date().toISOString();
  const runs = (input.runs ?? 0) + 1;
  let offset = input.offset ?? 0;
  let page: { from: number; items: BatchItem[] } = { from: -1, items: [] };
  let version = 0;

  const spent = () => rows.reduce((t, r) => t + r.costUsd, 0);
  const reserved = () => [...inFlight.values()].reduce((t, f) => t + f.estimatedUsd, 0);
  const counts = () => {
    const c: Record<string, number> = { running: inFlight.size, pending: Math.max(0, input.total - offset) };
    for (const r of rows) c[r.state] = (c[r.state] ?? 0) + 1;
    return c;
  };
  const progress = (): BatchProgress => {
    const done = rows.length;
    const elapsedS = (Date.now() - Date.parse(startedAt)) / 1000;
    const scenes = rows.reduce((t, r) => ({ ready: t.ready + r.scenes.ready, total: t.total + r.scenes.total }), { ready: 0, total: 0 });
    for (const f of inFlight.values()) scenes.total += f.scenes;
    return {
      batchId: input.batchId,
      total: input.total,
      counts: counts(),
      scenes,
      costUsd: round4(spent()),
      ...(input.budgetUsd !== undefined ? { budgetUsd: input.budgetUsd } : {}),
      startedAt,
      ...(done > 0 && done < input.total ? { etaSeconds: Math.round((elapsedS / done) * (input.total - done)) } : {}),
      runs,
      inFlight: [...inFlight.keys()],
    };
  };
  setHandler(batchProgressQuery, progress);
  setHandler(batchRowsQuery, (from) => rows.slice(Math.max(0, from)));
  /** Items whose child this run started: their handle's result says when they close. */
  const watched = new Set<string>();
  const recordDone = (row: BatchRow) => {
    if (finalKeys.has(row.key)) return;
    inFlight.delete(row.key);
    watched.delete(row.key);
    // Rows travel in continue-as-new inputs: keep reasons short (the production's manifest has the whole story).
    rows.push(row.reason && row.reason.length > 300 ? { ...row, reason: `${row.reason.slice(0, 299)}…` } : row);
    finalKeys.add(row.key);
    version++;
  };
  setHandler(batchItemDoneSignal, recordDone);

  /** A child that closed without its batchItemDone signal (terminated, timed out, failed before its try). */
  const closedWithoutSignal = (key: string, productionId: string, scenes: number, err: unknown) => {
    const terminated = err instanceof ChildWorkflowFailure && err.cause instanceof TerminatedFailure;
    const timedOut = err instanceof ChildWorkflowFailure && err.cause instanceof TimeoutFailure;
    const cancelled = err instanceof ChildWorkflowFailure && err.cause instanceof CancelledFailure;
    const why = terminated
      ? 'the production was terminated before it finished'
      : timedOut
        ? 'the production timed out before it finished'
        : `the production closed without reporting: ${innermostMessage(err)}`;
    recordDone({
      key,
      productionId,
      state: cancelled ? 'cancelled' : 'failed',
      stage: 'render',
      reason: why,
      costUsd: 0,
      scenes: { ready: 0, total: scenes },
    });
  };

  const finalRow = (key: string, productionId: string, state: BatchRow['state'], extra: Partial<BatchRow> = {}): void => {
    rows.push({ key, productionId, state, costUsd: 0, scenes: { ready: 0, total: 0 }, ...extra });
    finalKeys.add(key);
  };

  async function itemAt(i: number): Promise<BatchItem> {
    if (i < page.from || i >= page.from + page.items.length) {
      page = { from: i, items: await acts.readBatchItems({ itemsFile: input.itemsFile, offset: i, limit: PAGE }) };
    }
    return page.items[i - page.from]!;
  }

  async function startItem(item: BatchItem): Promise<void> {
    const productionId = batchProductionId(input.batchId, item.key);
    const outDir = `${input.outRoot}/${item.key}`;
    const planned = await acts.planBatchItem({
      productionId,
      item,
      planFile: `${outDir}/plan.json`,
      ...(input.allowAssetsOutside ? { allowAssetsOutside: true } : {}),
    });
    if (!planned.ok) return finalRow(item.key, productionId, 'invalid', { stage: 'validate', reason: planned.message });
    let budgetUsd = planned.budgetUsd;
    if (input.budgetUsd !== undefined) {
      const left = round4(input.budgetUsd - spent() - reserved());
      if (left <= 0 || (planned.minSceneCostUsd > 0 && left < planned.minSceneCostUsd)) {
        return finalRow(item.key, productionId, 'not_started', {
          stage: 'budget',
          reason: `the batch budget of $${input.budgetUsd} is used up`,
          scenes: { ready: 0, total: planned.scenes },
        });
      }
      budgetUsd = Math.min(budgetUsd ?? Infinity, left);
    }
    try {
      const child = await startChild(produceStoryboard, {
        workflowId: productionId,
        args: [
          {
            planFile: planned.planFile,
            outDir,
            batch: { workflowId: info.workflowId, itemKey: item.key },
            ...(budgetUsd !== undefined ? { budgetUsd } : {}),
            ...(input.timeouts ? { timeouts: input.timeouts } : {}),
          },
        ],
        parentClosePolicy: 'ABANDON',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        priority: { priorityKey: input.priorityKey },
        ...(input.searchAttributes
          ? {
              typedSearchAttributes: [
                { key: SA.productionId, value: productionId },
                { key: SA.batchId, value: input.batchId },
                { key: SA.provider, value: planned.provider },
                { key: SA.state, value: 'running' },
              ],
            }
          : {}),
      });
      if (patched(OBSERVE_CHILDREN)) {
        watched.add(item.key);
        void child.result().then(
          (r) =>
            recordDone({
              key: item.key,
              productionId,
              state: r.state,
              ...(r.outputPath ? { outputPath: r.outputPath } : {}),
              costUsd: r.costUsd,
              scenes: { ready: r.scenes.filter((sc) => sc.state === 'ready').length, total: r.scenes.length },
            }),
          (err: unknown) => closedWithoutSignal(item.key, productionId, planned.scenes, err),
        );
      }
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // It exists from an earlier run of this batch: running (its signal will come) or already final.
      const d = await acts.describeProduction({ productionId });
      if (d.status !== 'RUNNING') {
        return finalRow(item.key, productionId, (d.state as BatchRow['state']) ?? 'failed', {
          ...(d.outputPath ? { outputPath: d.outputPath } : {}),
          ...(d.message ? { reason: d.message } : {}),
          costUsd: d.costUsd ?? 0,
          scenes: { ready: 0, total: planned.scenes },
        });
      }
    }
    inFlight.set(item.key, { key: item.key, productionId, estimatedUsd: planned.estimatedCostUsd, scenes: planned.scenes });
  }

  for (;;) {
    while (inFlight.size < input.maxParallelProductions && offset < input.total) {
      const item = await itemAt(offset);
      offset++;
      if (finalKeys.has(item.key) || inFlight.has(item.key)) continue;
      await startItem(item);
    }
    if (offset >= input.total && inFlight.size === 0) break;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_EVENTS_PER_RUN) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof produceBatch>({ ...input, rows, offset, inFlight: [...inFlight.values()], startedAt, runs });
    }
    const seen = version;
    const carried = [...inFlight.values()].filter((f) => !watched.has(f.key));
    if (carried.length && patched(OBSERVE_CHILDREN)) {
      if (!(await condition(() => version !== seen, CHILD_SWEEP))) await sweep(carried);
    } else await condition(() => version !== seen);
  }

  /** Children carried over a continue-as-new: any that closed without its signal is recorded from its result. */
  async function sweep(carried: { key: string; productionId: string; scenes: number }[]): Promise<void> {
    const closed = await acts.closedProductions({ productionIds: carried.map((f) => f.productionId) });
    for (const f of carried) {
      const d = closed[f.productionId];
      if (!d || finalKeys.has(f.key)) continue;
      recordDone({
        key: f.key,
        productionId: f.productionId,
        state: (d.state as BatchRow['state']) ?? 'failed',
        ...(d.state === 'completed' || d.state === 'completed_with_placeholders' ? {} : { stage: 'render' as const }),
        ...(d.outputPath ? { outputPath: d.outputPath } : {}),
        ...(d.message ? { reason: d.message } : {}),
        costUsd: d.costUsd ?? 0,
        scenes: { ready: 0, total: f.scenes },
      });
    }
  }

  const summary = {
    batchId: input.batchId,
    total: input.total,
    counts: counts(),
    costUsd: round4(spent()),
    rows: [...rows].sort((a, b) => (a.key < b.key ? -1 : 1)),
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  const summaryPath = await acts.writeBatchSummary({ dir: input.outRoot, summary });
  await condition(allHandlersFinished);
  if (rows.length !== input.total)
    throw ApplicationFailure.nonRetryable(
      `batch ${input.batchId}: ${rows.length} of ${input.total} items accounted for`,
      'BatchIncomplete',
    );
  return { ...summary, summaryPath };
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

function innermostMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
