/**
 * The programmatic API (the CLI uses it too): plan a storyboard, submit it, watch it, get its result.
 *
 *   const client = await StoryreelClient.connect({ address: 'localhost:7233' });
 *   const { productionId } = await client.submit(plan);
 *   const result = await client.result(productionId);
 */
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { basename, dirname, join, resolve } from 'node:path';
import { catalog } from './providers/catalog.js';
import { planFile, type LoadedStoryboard } from './load/load-storyboard.js';
import { StoryboardError } from './storyboard/errors.js';
import { type ProductionPlan } from './storyboard/plan.js';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { BatchManifest, deepMerge, itemKeyFromFile, PRIORITY_KEY } from './storyboard/batch.js';
import { parseStoryboardDocument, zodIssues } from './storyboard/parse.js';
import { writeJsonAtomic } from './store/files.js';
import type { BatchItem } from '../activities/index.js';
import type { produceBatch } from '../workflows/produce-batch.js';
import {
  batchProgressQuery,
  decideSceneUpdate,
  progressQuery,
  type BatchInput,
  type BatchProgress,
  type BatchRow,
  type BatchSummary,
  reviewSceneUpdate,
  type ReviewDecision,
  type SceneDecision,
  type SceneStatus,
  type ProduceInput,
  type ProductionProgress,
  type ProductionResult,
  type Timeouts,
} from '../workflows/definitions.js';
import type { produceStoryboard } from '../workflows/produce-storyboard.js';
import { PRODUCTION_ID_PATTERN } from './contracts/ids.js';
import { productionWorkflowId, SEARCH_ATTRIBUTES, DEFAULT_TASK_QUEUE, batchWorkflowId } from './contracts/names.js';

export interface ConnectOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  /** Root for outputs: <outDir>/<production id>/. */
  outDir?: string;
  /** Non-secret defaults from the environment (OPENAI_BASE_URL), used by plan-time checks. */
  envBaseURL?: Record<string, string | undefined>;
  /** Work dir for client-side caches (the prompt enhancer's answers). Default .storyreel */
  workDir?: string;
}

export interface SubmitOptions {
  /** Output directory for this production (default <outDir>/<production id>). */
  outDir?: string;
  timeouts?: Timeouts;
}

export interface Submitted {
  productionId: string;
  workflowId: string;
  runId: string;
  /** True when a production with this id already existed (running or completed): nothing new was started. */
  attached: boolean;
  /** Temporal execution status at submission (RUNNING, COMPLETED, ...). */
  state: string;
  outDir: string;
}

export class ProductionFailedError extends Error {
  override readonly name = 'ProductionFailedError';
  constructor(
    message: string,
    readonly productionId: string,
    readonly progress: ProductionProgress | undefined,
  ) {
    super(message);
  }
}

export class StoryreelClient {
  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    private readonly opts: Required<Pick<ConnectOptions, 'taskQueue' | 'outDir'>> & ConnectOptions,
  ) {}

  static async connect(opts: ConnectOptions): Promise<StoryreelClient> {
    const connection = await Connection.connect({ address: opts.address });
    const client = new Client({ connection, namespace: opts.namespace ?? 'default' });
    return new StoryreelClient(client, connection, { taskQueue: DEFAULT_TASK_QUEUE, outDir: resolve('out'), ...opts });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Loads, validates and plans a storyboard file. Throws StoryboardError (naming paths) on bad input. */
  async plan(file: string, opts: { productionId?: string } = {}): Promise<{ loaded: LoadedStoryboard; plan: ProductionPlan }> {
    return planFile(file, {
      catalog,
      enhancer: { cacheDir: join(resolve(this.opts.workDir ?? '.storyreel'), 'enhancer'), env: process.env },
      ...(opts.productionId !== undefined ? { productionId: checkedId(opts.productionId) } : {}),
      ...(this.opts.envBaseURL ? { envBaseURL: this.opts.envBaseURL } : {}),
    });
  }

  /**
   * Starts the production, idempotently: the workflow id is the production id, so submitting the same production
   * again while it runs attaches to it, and a completed one is not produced again.
   */
  async submit(plan: ProductionPlan, opts: SubmitOptions = {}): Promise<Submitted> {
    const workflowId = productionWorkflowId(plan.productionId);
    const outDir = resolve(opts.outDir ?? resolve(this.opts.outDir, plan.productionId));
    const existing = await this.client.workflow
      .getHandle(workflowId)
      .describe()
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
    if (
      existing &&
      existing.status.name !== 'FAILED' &&
      existing.status.name !== 'CANCELLED' &&
      existing.status.name !== 'TERMINATED' &&
      existing.status.name !== 'TIMED_OUT'
    ) {
      // Running: attach. Completed: it was produced already; nothing is started twice.
      return { productionId: plan.productionId, workflowId, runId: existing.runId, attached: true, state: existing.status.name, outDir };
    }
    const input: ProduceInput = { plan, outDir, ...(opts.timeouts ? { timeouts: opts.timeouts } : {}) };
    try {
      const handle = await this.client.workflow.start<typeof produceStoryboard>('produceStoryboard', {
        workflowId,
        taskQueue: this.opts.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        ...((await this.searchAttributesRegistered())
          ? {
              typedSearchAttributes: [
                { key: SEARCH_ATTRIBUTES.productionId, value: plan.productionId },
                { key: SEARCH_ATTRIBUTES.provider, value: plan.scenes[0]?.provider ?? 'local' },
                { key: SEARCH_ATTRIBUTES.state, value: 'running' },
              ],
            }
          : {}),
      });
      return { productionId: plan.productionId, workflowId, runId: handle.firstExecutionRunId, attached: false, state: 'RUNNING', outDir };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const desc = await this.client.workflow.getHandle(workflowId).describe();
      return { productionId: plan.productionId, workflowId, runId: desc.runId, attached: true, state: desc.status.name, outDir };
    }
  }

  handle(productionId: string): WorkflowHandle<typeof produceStoryboard> {
    return this.client.workflow.getHandle<typeof produceStoryboard>(productionWorkflowId(productionId));
  }

  /**
   * Live progress while running (a query, answered by a worker); after it closed, the final state from the
   * workflow's result or failure (no worker needed).
   */
  async status(productionId: string): Promise<ProductionProgress> {
    const handle = this.handle(productionId);
    let desc;
    try {
      desc = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Error(`no production "${productionId}" on this server`, { cause: err });
      throw err;
    }
    if (desc.status.name === 'RUNNING') return handle.query(progressQuery);
    try {
      const r = await handle.result();
      return {
        productionId,
        title: r.title,
        state: r.state,
        percent: 100,
        scenes: r.scenes,
        costUsd: r.costUsd,
        estimatedCostUsd: r.estimatedCostUsd,
        ledger: r.ledger,
        startedAt: desc.startTime.toISOString(),
        updatedAt: (desc.closeTime ?? desc.startTime).toISOString(),
        ...(r.outputPath ? { outputPath: r.outputPath } : {}),
      };
    } catch (err) {
      const p = closedProgress(err);
      if (p) return p;
      return {
        productionId,
        title: productionId,
        state: desc.status.name === 'CANCELLED' ? 'cancelled' : 'failed',
        percent: 0,
        scenes: [],
        costUsd: 0,
        estimatedCostUsd: 0,
        ledger: [],
        startedAt: desc.startTime.toISOString(),
        updatedAt: (desc.closeTime ?? desc.startTime).toISOString(),
        message: `${desc.status.name.toLowerCase()}: ${(err as Error).message}`,
      };
    }
  }

  /** Waits for the production to finish; throws ProductionFailedError with its progress when it failed. */
  async result(productionId: string): Promise<ProductionResult> {
    const handle = this.handle(productionId);
    try {
      return await handle.result();
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        throw new ProductionFailedError(err.cause?.message ?? err.message, productionId, closedProgress(err));
      }
      throw err;
    }
  }

  /** Polls progress until the production closes, calling `onProgress` on every change. */
  async watch(productionId: string, onProgress: (p: ProductionProgress) => void, intervalMs = 500): Promise<ProductionResult> {
    const done = this.result(productionId);
    let closed = false;
    done.then(
      () => (closed = true),
      () => (closed = true),
    );
    let last = '';
    while (!closed) {
      try {
        const p = await this.status(productionId);
        const key = JSON.stringify(p.scenes.map((s) => [s.state, s.progress, s.attempts.length])) + p.state;
        if (key !== last) onProgress(p);
        last = key;
      } catch {
        // the query can fail briefly while a worker restarts; the result promise decides
      }
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
    }
    try {
      onProgress(await this.status(productionId));
    } catch {
      // closed workflows answer queries only while a worker runs; the result carries what matters
    }
    return done;
  }

  async cancel(productionId: string): Promise<void> {
    await this.handle(productionId).cancel();
  }

  /** True when the server knows storyreel's search attributes (then productions are findable by them). */
  async searchAttributesRegistered(): Promise<boolean> {
    if (this.saRegistered !== undefined) return this.saRegistered;
    try {
      const res = await this.connection.operatorService.listSearchAttributes({ namespace: this.opts.namespace ?? 'default' });
      const names = new Set(Object.keys(res.customAttributes ?? {}));
      this.saRegistered = Object.values(SEARCH_ATTRIBUTES).every((k) => names.has(k.name));
    } catch {
      this.saRegistered = false;
    }
    return this.saRegistered;
  }
  private saRegistered: boolean | undefined;

  /**
   * Starts a batch (or attaches to the running one). With `resume`, items that already finished well in the
   * latest run are kept and only failed, budget-stopped or missing items run again.
   */
  async submitBatch(file: string, opts: { resume?: boolean; budgetUsd?: number } = {}): Promise<BatchSubmitted> {
    const { manifest, batchId, items, itemsFile } = await resolveBatchManifest(file, this.opts.workDir ?? '.storyreel');
    const workflowId = batchWorkflowId(batchId);
    const outRoot = resolve(this.opts.outDir, batchId);
    const handle = this.client.workflow.getHandle<typeof produceBatch>(workflowId);
    const existing = await handle.describe().catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
    if (existing?.status.name === 'RUNNING') return { batchId, workflowId, items: items.length, attached: true, outRoot };
    let rows: BatchRow[] = [];
    if (existing && opts.resume) {
      const previous = await this.batchRows(batchId);
      rows = previous.filter((r) => r.state === 'completed' || r.state === 'completed_with_placeholders');
    } else if (existing?.status.name === 'COMPLETED') {
      return { batchId, workflowId, items: items.length, attached: true, outRoot };
    }
    const budgetUsd = opts.budgetUsd ?? manifest.budget?.maxUsd;
    const input: BatchInput = {
      batchId,
      itemsFile,
      total: items.length,
      maxParallelProductions: manifest.maxParallelProductions,
      priorityKey: PRIORITY_KEY[manifest.priority],
      outRoot,
      searchAttributes: await this.searchAttributesRegistered(),
      ...(budgetUsd !== undefined ? { budgetUsd: Math.max(0, budgetUsd - rows.reduce((t, r) => t + r.costUsd, 0)) } : {}),
      ...(rows.length ? { rows } : {}),
    };
    await this.client.workflow.start<typeof produceBatch>('produceBatch', {
      workflowId,
      taskQueue: this.opts.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      ...(input.searchAttributes ? { typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.batchId, value: batchId }] } : {}),
    });
    return { batchId, workflowId, items: items.length, attached: false, outRoot };
  }

  /** The rows of a batch's latest run: its summary when it finished, its progress rows otherwise. */
  async batchRows(batchId: string): Promise<BatchRow[]> {
    const handle = this.client.workflow.getHandle<typeof produceBatch>(batchWorkflowId(batchId));
    const desc = await handle.describe();
    if (desc.status.name === 'COMPLETED') return (await handle.result()).rows;
    return [];
  }

  async batchStatus(batchId: string): Promise<BatchProgress | BatchSummary> {
    const handle = this.client.workflow.getHandle<typeof produceBatch>(batchWorkflowId(batchId));
    const desc = await handle.describe();
    if (desc.status.name === 'RUNNING') return handle.query(batchProgressQuery);
    return handle.result();
  }

  async batchResult(batchId: string): Promise<BatchSummary> {
    return this.client.workflow.getHandle<typeof produceBatch>(batchWorkflowId(batchId)).result();
  }

  /** Productions found through search attributes (needs them registered on the server). */
  async list(
    filter: { batchId?: string; state?: string } = {},
  ): Promise<{ productionId: string; state: string; status: string; startTime: Date }[]> {
    const clauses = [`${SEARCH_ATTRIBUTES.productionId.name} IS NOT NULL`];
    if (filter.batchId) clauses.push(`${SEARCH_ATTRIBUTES.batchId.name} = '${filter.batchId.replaceAll("'", '')}'`);
    if (filter.state) clauses.push(`${SEARCH_ATTRIBUTES.state.name} = '${filter.state.replaceAll("'", '')}'`);
    const out: { productionId: string; state: string; status: string; startTime: Date }[] = [];
    for await (const w of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      out.push({
        productionId: String(w.typedSearchAttributes.get(SEARCH_ATTRIBUTES.productionId) ?? w.workflowId),
        state: String(w.typedSearchAttributes.get(SEARCH_ATTRIBUTES.state) ?? ''),
        status: w.status.name,
        startTime: w.startTime,
      });
    }
    return out;
  }

  /** An operator's decision on a failed scene (retry, optionally edited; skip; abort). */
  async decide(productionId: string, decision: SceneDecision): Promise<SceneStatus> {
    return unwrapUpdate(this.handle(productionId).executeUpdate(decideSceneUpdate, { args: [decision] }));
  }

  /** A reviewer's decision on a downloaded take. */
  async review(productionId: string, decision: ReviewDecision): Promise<SceneStatus> {
    return unwrapUpdate(this.handle(productionId).executeUpdate(reviewSceneUpdate, { args: [decision] }));
  }

  /** The input of the production's latest run (its plan), read from history: no worker needed. */
  async lastInput(productionId: string): Promise<ProduceInput> {
    const history = await this.handle(productionId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0];
    if (!payload) throw new Error(`production ${productionId} has no readable input`);
    return defaultPayloadConverter.fromPayload<ProduceInput>(payload);
  }

  /** The plan of the production's latest run (read from its plan file for batch items). */
  async lastPlan(productionId: string): Promise<{ plan: ProductionPlan; input: ProduceInput }> {
    const input = await this.lastInput(productionId);
    let plan = input.plan;
    if (!plan && input.planFile) plan = JSON.parse(await readFile(input.planFile, 'utf8')) as ProductionPlan;
    if (!plan) throw new Error(`production ${productionId} has no plan in its input`);
    return { plan: input.budgetUsd !== undefined ? { ...plan, budgetUsd: input.budgetUsd } : plan, input };
  }

  /**
   * Starts a new run of a production that failed, was cancelled, terminated or ran out of budget. Every finished
   * clip comes from the store; only what is missing is generated. `budgetUsd` raises (or sets) the cap.
   */
  async resume(productionId: string, opts: { budgetUsd?: number; operatorWaitSeconds?: number } = {}): Promise<Submitted> {
    const desc = await this.handle(productionId).describe();
    if (desc.status.name === 'RUNNING') throw new Error(`production ${productionId} is still running; nothing to resume`);
    if (desc.status.name === 'COMPLETED') throw new Error(`production ${productionId} completed; nothing to resume`);
    const { plan: last, input } = await this.lastPlan(productionId);
    const plan: ProductionPlan = {
      ...last,
      ...(opts.budgetUsd !== undefined ? { budgetUsd: opts.budgetUsd } : {}),
      ...(opts.operatorWaitSeconds !== undefined ? { operatorWaitSeconds: opts.operatorWaitSeconds } : {}),
    };
    return this.submit(plan, { outDir: input.outDir, ...(input.timeouts ? { timeouts: input.timeouts } : {}) });
  }
}

/** The production refused a decision (its validator said why). */
export class DecisionRejectedError extends Error {
  override readonly name = 'DecisionRejectedError';
}

async function unwrapUpdate<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new DecisionRejectedError((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
}

/** A production id given by a user, checked (it becomes a workflow id and a directory name). */
export function checkedId(id: string): string {
  if (!PRODUCTION_ID_PATTERN.test(id)) {
    throw new StoryboardError('--id', [
      { path: 'production id', message: 'must be 1-80 characters of a-z, 0-9, "-" or "_", starting with a letter or digit' },
    ]);
  }
  return id;
}

/** The progress a closed production attached to its failure (details[0].progress), if any. */
function closedProgress(err: unknown): ProductionProgress | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const d = cause.details?.[0] as { progress?: ProductionProgress } | undefined;
    return d?.progress;
  }
  return undefined;
}

export interface BatchSubmitted {
  batchId: string;
  workflowId: string;
  items: number;
  attached: boolean;
  outRoot: string;
}

/**
 * Resolves a batch manifest into its item list (files, directories, keys, overrides) and writes it where
 * workers read it. Throws StoryboardError naming the manifest path on bad input.
 */
export async function resolveBatchManifest(
  file: string,
  workDir: string,
): Promise<{ manifest: BatchManifest; batchId: string; items: BatchItem[]; itemsFile: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StoryboardError(file, [
      { path: '', message: `cannot read the manifest (${(err as NodeJS.ErrnoException).code ?? 'error'})` },
    ]);
  }
  const parsed = BatchManifest.safeParse(parseStoryboardDocument(text, file));
  if (!parsed.success) throw new StoryboardError(file, zodIssues(parsed.error));
  const manifest = parsed.data;
  const base = dirname(resolve(file));
  const items: BatchItem[] = [];
  const issues: { path: string; message: string }[] = [];
  for (const [i, spec] of manifest.items.entries()) {
    const overrides = (o?: Record<string, unknown>) =>
      manifest.overrides || o ? (deepMerge(manifest.overrides ?? {}, o ?? {}) as Record<string, unknown>) : undefined;
    if ('storyboard' in spec) {
      const abs = resolve(base, spec.storyboard);
      if (!existsSync(abs)) issues.push({ path: `items[${i}].storyboard`, message: `"${spec.storyboard}" not found` });
      const ov = overrides(spec.overrides);
      items.push({ key: spec.id ?? itemKeyFromFile(basename(abs)), file: abs, ...(ov ? { overrides: ov } : {}) });
    } else {
      const dir = resolve(base, spec.dir);
      let names: string[] = [];
      try {
        names = (await readdir(dir)).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
      } catch {
        issues.push({ path: `items[${i}].dir`, message: `"${spec.dir}" is not a readable directory` });
      }
      const ov = overrides(spec.overrides);
      for (const n of names) items.push({ key: itemKeyFromFile(n), file: join(dir, n), ...(ov ? { overrides: ov } : {}) });
    }
  }
  const seen = new Map<string, string>();
  for (const it of items) {
    if (seen.has(it.key))
      issues.push({
        path: 'items',
        message: `two items have the key "${it.key}" (${seen.get(it.key)} and ${it.file}); give one an \`id\``,
      });
    seen.set(it.key, it.file);
  }
  if (!items.length && !issues.length) issues.push({ path: 'items', message: 'no storyboards found' });
  if (issues.length) throw new StoryboardError(file, issues);
  const batchId = manifest.batch ?? `${itemKeyFromFile(basename(file))}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
  const itemsFile = join(resolve(workDir), 'batches', batchId, 'items.json');
  await writeJsonAtomic(itemsFile, items);
  return { manifest, batchId, items, itemsFile };
}
