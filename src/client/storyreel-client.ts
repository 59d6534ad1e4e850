/**
 * StoryreelClient: the programmatic API (the CLI uses it too). One object per connection; each method is a
 * one-line door into the file that does the work: productions.ts, decisions.ts, batches.ts, history.ts,
 * visibility.ts.
 *
 *   const client = await StoryreelClient.connect({ address: 'localhost:7233' });
 *   const { plan } = await client.plan('story.yaml');
 *   const { productionId } = await client.submit(plan);
 *   const result = await client.result(productionId);
 */
import { Client, Connection, type TLSConfig, type WorkflowHandle } from '@temporalio/client';
import { join, resolve } from 'node:path';
import type {
  BatchFollowState,
  FollowState,
  BatchProgress,
  BatchRow,
  BatchSummary,
  ProduceInput,
  ProductionProgress,
  ProductionResult,
  ReviewDecision,
  SceneDecision,
  SceneStatus,
} from '../../workflows/definitions.js';
import type { produceStoryboard } from '../../workflows/produce-storyboard.js';
import { PRODUCTION_ID_PATTERN } from '../contracts/ids.js';
import { DEFAULT_TASK_QUEUE } from '../contracts/names.js';
import { planFile, type LoadedStoryboard } from '../load/load-storyboard.js';
import { catalog } from '../providers/catalog.js';
import { StoryboardError } from '../storyboard/errors.js';
import type { ProductionPlan } from '../storyboard/plan.js';
import { batchResult, batchRows, batchStatus, submitBatch, type BatchSubmitted, type SubmitBatchOptions } from './batches.js';
import type { ClientContext } from './context.js';
import { decideScene, reviewScene } from './decisions.js';
import { batchFollowState, followBatchRun, followRun, followState, latestRunId, type FollowOptions } from './follow.js';
import { lastInput, lastPlan } from './history.js';
import {
  productionHandle,
  productionResult,
  productionStatus,
  resumeProduction,
  submitProduction,
  watchProduction,
  type ResumeOptions,
  type SubmitOptions,
  type Submitted,
} from './productions.js';
import { listProductions, searchAttributesRegistered, taskQueueHasPollers, type ListedProduction } from './visibility.js';

export interface ConnectOptions {
  /** host:port of the Temporal frontend. */
  address: string;
  /**
   * TLS: true for the system's CAs, or certificates (mTLS: clientCertPair). The same fields as a Temporal
   * environment profile gives: `loadClientConnectConfig().connectionOptions` from @temporalio/envconfig fits here.
   */
  tls?: TLSConfig | boolean | null | undefined;
  /** An API key (Temporal Cloud); sent as a bearer token, so it implies TLS unless tls says otherwise. */
  apiKey?: string | undefined;
  /** Extra gRPC metadata on every call. */
  metadata?: Record<string, string> | undefined;
  /** Default `default`. */
  namespace?: string;
  /** The task queue storyreel workers poll. Default `storyreel`. */
  taskQueue?: string;
  /** Root for outputs: <outDir>/<production id>/. Default ./out */
  outDir?: string;
  /** Non-secret defaults from the environment (OPENAI_BASE_URL), used by plan-time checks. */
  envBaseURL?: Record<string, string | undefined>;
  /** Work dir for client-side files (the prompt enhancer's answers, batch item lists). Default .storyreel */
  workDir?: string;
}

export class StoryreelClient {
  private saRegistered: Promise<boolean> | undefined;
  private readonly ctx: ClientContext;

  private constructor(
    /** The underlying Temporal client, for anything this API does not cover. */
    readonly client: Client,
    private readonly connection: Connection,
    private readonly opts: ConnectOptions,
  ) {
    this.ctx = {
      temporal: client,
      connection,
      namespace: opts.namespace ?? 'default',
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      outDir: resolve(opts.outDir ?? 'out'),
      workDir: resolve(opts.workDir ?? '.storyreel'),
      searchAttributesRegistered: () => this.searchAttributesRegistered(),
    };
  }

  static async connect(opts: ConnectOptions): Promise<StoryreelClient> {
    const connection = await Connection.connect({
      address: opts.address,
      ...(opts.tls !== undefined && opts.tls !== null ? { tls: opts.tls } : opts.apiKey ? { tls: true } : {}),
      ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
      ...(opts.metadata ? { metadata: opts.metadata } : {}),
    });
    const client = new Client({ connection, namespace: opts.namespace ?? 'default' });
    return new StoryreelClient(client, connection, opts);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Loads, validates and plans a storyboard file. Throws StoryboardError (naming paths) on bad input. */
  async plan(file: string, opts: { productionId?: string } = {}): Promise<{ loaded: LoadedStoryboard; plan: ProductionPlan }> {
    return planFile(file, {
      catalog,
      enhancer: { cacheDir: join(this.ctx.workDir, 'enhancer'), env: process.env },
      ...(opts.productionId !== undefined ? { productionId: checkedId(opts.productionId) } : {}),
      ...(this.opts.envBaseURL ? { envBaseURL: this.opts.envBaseURL } : {}),
    });
  }

  // Productions (productions.ts)

  /** Starts the production idempotently: the same production again attaches; a completed one is not redone. */
  submit(plan: ProductionPlan, opts: SubmitOptions = {}): Promise<Submitted> {
    return submitProduction(this.ctx, plan, opts);
  }

  handle(productionId: string): WorkflowHandle<typeof produceStoryboard> {
    return productionHandle(this.ctx, productionId);
  }

  /** Live progress while running; the final state after it closed (no worker needed then). */
  status(productionId: string): Promise<ProductionProgress> {
    return productionStatus(this.ctx, productionId);
  }

  /** Waits for the production to finish; throws ProductionFailedError with its progress when it failed. */
  result(productionId: string): Promise<ProductionResult> {
    return productionResult(this.ctx, productionId);
  }

  /** Polls progress until the production closes, calling `onProgress` on every change. */
  watch(productionId: string, onProgress: (p: ProductionProgress) => void, intervalMs = 500): Promise<ProductionResult> {
    return watchProduction(this.ctx, productionId, onProgress, intervalMs);
  }

  /** Cancels the production: provider jobs are cancelled where supported, finished clips are kept. */
  async cancel(productionId: string): Promise<void> {
    await this.handle(productionId).cancel();
  }

  /** A new run of a production that stopped (failed, cancelled, out of budget) that reuses every finished clip. */
  resume(productionId: string, opts: ResumeOptions = {}): Promise<Submitted> {
    return resumeProduction(this.ctx, productionId, opts);
  }

  // Operator decisions (decisions.ts)

  /** An operator's decision on a failed scene (retry, optionally edited; skip; abort). */
  decide(productionId: string, decision: SceneDecision): Promise<SceneStatus> {
    return decideScene(this.ctx, productionId, decision);
  }

  /** A reviewer's decision on a downloaded take. */
  review(productionId: string, decision: ReviewDecision): Promise<SceneStatus> {
    return reviewScene(this.ctx, productionId, decision);
  }

  // History (history.ts): no worker needed

  /** The input of the production's latest run, from the first event of its history only. */
  lastInput(productionId: string): Promise<ProduceInput> {
    return lastInput(this.ctx, productionId);
  }

  /** The plan of the production's latest run (read from its plan file for batch items). */
  lastPlan(productionId: string): Promise<{ plan: ProductionPlan; input: ProduceInput }> {
    return lastPlan(this.ctx, productionId);
  }

  // Following (follow.ts): a run's event log and webhooks

  /** Starts the follower of the production's run (default: its latest) once; returns the run id it follows. */
  async follow(productionId: string, opts: FollowOptions & { runId?: string } = {}): Promise<string> {
    const runId = opts.runId ?? (await latestRunId(this.ctx, productionId));
    await followRun(this.ctx, productionId, runId, opts);
    return runId;
  }

  /** The run's event log after `afterSeq` and its webhook deliveries; undefined when it has no follower. */
  followState(productionId: string, runId: string, afterSeq = 0): Promise<FollowState | undefined> {
    return followState(this.ctx, productionId, runId, afterSeq);
  }

  /** Starts the follower of the batch's run chain once (events of its items and its end, delivered to `webhook`). */
  followBatch(batchId: string, opts: FollowOptions = {}): Promise<string> {
    return followBatchRun(this.ctx, batchId, opts);
  }

  /** The batch follower's events after `afterSeq` and its webhook deliveries; undefined when it has none. */
  batchFollowState(batchId: string, afterSeq = 0): Promise<BatchFollowState | undefined> {
    return batchFollowState(this.ctx, batchId, afterSeq);
  }

  /** The id of the production's latest run. */
  latestRunId(productionId: string): Promise<string> {
    return latestRunId(this.ctx, productionId);
  }

  // Batches (batches.ts)

  /** Starts a batch from a manifest file (or attaches to it); `resume` reruns only what did not finish well. */
  submitBatch(file: string, opts: SubmitBatchOptions = {}): Promise<BatchSubmitted> {
    return submitBatch(this.ctx, file, opts);
  }

  /** The rows of a batch's latest run when it completed. */
  batchRows(batchId: string): Promise<BatchRow[]> {
    return batchRows(this.ctx, batchId);
  }

  batchStatus(batchId: string): Promise<BatchProgress | BatchSummary> {
    return batchStatus(this.ctx, batchId);
  }

  batchResult(batchId: string): Promise<BatchSummary> {
    return batchResult(this.ctx, batchId);
  }

  // Visibility (visibility.ts)

  /** Productions found through search attributes (needs them registered on the server). */
  list(filter: { batchId?: string; state?: string } = {}): Promise<ListedProduction[]> {
    return listProductions(this.client, filter);
  }

  /** True when the server knows storyreel's search attributes (then productions are findable by them). */
  searchAttributesRegistered(): Promise<boolean> {
    this.saRegistered ??= searchAttributesRegistered(this.connection, this.ctx.namespace);
    return this.saRegistered;
  }

  /** Whether any worker polled this client's task queue recently (the server keeps pollers for about a minute). */
  hasWorkers(): Promise<boolean> {
    return taskQueueHasPollers(this.connection, this.ctx.namespace, this.ctx.taskQueue);
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
