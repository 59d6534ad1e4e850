/**
 * The production views the API answers with: the workflow's ProductionProgress and SceneStatus, with server paths
 * replaced by URLs of this API (a client never sees or names a file on the server). `satisfies` ties each view to
 * the workflow's own type, so a field renamed there fails the type check here.
 */
import { z } from 'zod';
import type { AttemptRecord, LedgerEntry, ProductionProgress, SceneStatus } from '../../../workflows/definitions.js';
import { ERROR_KINDS } from '../../contracts/errors.js';

const SCENE_STATES = [
  'planned',
  'submitted',
  'rendering',
  'downloaded',
  'awaiting_review',
  'ready',
  'failed',
  'blocked',
  'skipped',
] as const;
const PRODUCTION_STATES = [
  'running',
  'assembling',
  'waiting_for_operator',
  'completed',
  'completed_with_placeholders',
  'failed',
  'cancelled',
  'budget_exhausted',
] as const;
export const SceneState = z.enum(SCENE_STATES satisfies readonly SceneStatus['state'][]);
export const ProductionState = z.enum(PRODUCTION_STATES satisfies readonly ProductionProgress['state'][]);

export const Attempt = z
  .object({
    jobId: z.string(),
    outcome: z.enum(['ready', 'job_failed', 'job_stuck', 'output_expired', 'content_policy', 'cancelled']),
    estimatedCostUsd: z.number(),
    submittedAt: z.string(),
    finishedAt: z.string().optional(),
    reconciled: z.boolean(),
    message: z.string().optional(),
    billed: z
      .object({ units: z.number(), usd: z.number().optional() })
      .optional()
      .describe('what the provider reported it billed for this job (its own units; USD where it can be priced)'),
    provider: z.string().optional().describe('who made this job (routed scenes may move between providers)'),
    model: z.string().optional(),
    failover: z
      .object({ from: z.string(), to: z.string(), kind: z.string(), message: z.string(), at: z.string() })
      .optional()
      .describe('on the first job after the scene moved to another provider: why it moved'),
  })
  .meta({ id: 'Attempt' }) satisfies z.ZodType<AttemptRecord>;

export const Reason = z
  .object({
    kind: z.string().describe(`an error kind (${ERROR_KINDS.join(', ')}) or an error class name`),
    message: z.string(),
    provider: z.string().optional(),
    providerCode: z.string().optional(),
    requestId: z.string().optional(),
    jobId: z.string().optional(),
  })
  .meta({ id: 'Reason' });

export const LedgerLine = z
  .object({
    sceneId: z.string(),
    take: z.number().int(),
    jobAttempt: z.number().int(),
    jobId: z.string().optional(),
    estimatedUsd: z.number(),
    actualUsd: z.number().optional(),
    outcome: z.enum([
      'reserved',
      'denied',
      'released',
      'ready',
      'job_failed',
      'job_stuck',
      'output_expired',
      'content_policy',
      'cancelled',
    ]),
    at: z.string(),
  })
  .meta({ id: 'LedgerEntry' }) satisfies z.ZodType<LedgerEntry>;

export const ClipView = z
  .object({
    sha256: z.string(),
    bytes: z.number().int(),
    durationS: z.number(),
    jobId: z.string(),
    url: z.string().describe('the clip (video/mp4, Range requests)'),
    firstFrameUrl: z.string(),
    lastFrameUrl: z.string(),
  })
  .meta({ id: 'Clip' });

export const SceneView = z
  .object({
    id: z.string(),
    index: z.number().int(),
    title: z.string(),
    state: SceneState,
    take: z.number().int().describe('1 for the first take; retries and rejections start new takes'),
    prompt: z.string(),
    provider: z.string(),
    model: z.string(),
    placeholder: z.enum(['slate', 'last-frame']).optional(),
    progress: z.number(),
    cached: z.boolean(),
    jobId: z.string().optional(),
    attempts: z.array(Attempt),
    reason: Reason.optional(),
    estimatedCostUsd: z.number(),
    costUsd: z.number(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    clip: ClipView.optional(),
    rejectedTakes: z.array(z.object({ take: z.number().int(), note: z.string(), clipUrl: z.string() })),
  })
  .meta({ id: 'Scene' });
export type SceneView = z.infer<typeof SceneView>;

export const OutputLinks = z
  .object({
    video: z.string().optional(),
    captionsVtt: z.string().optional(),
    captionsSrt: z.string().optional(),
    poster: z.string().optional(),
    contactSheet: z.string().optional(),
    manifest: z.string().optional(),
  })
  .meta({ id: 'Outputs' });

export const ProductionView = z
  .object({
    productionId: z.string(),
    title: z.string(),
    state: ProductionState,
    percent: z.number(),
    costUsd: z.number(),
    estimatedCostUsd: z.number(),
    budgetUsd: z.number().optional(),
    startedAt: z.string(),
    updatedAt: z.string(),
    message: z.string().optional(),
    waitingUntil: z.string().optional(),
    waitingFor: z.array(z.string()).optional(),
    scenes: z.array(SceneView),
    ledger: z.array(LedgerLine),
    outputs: OutputLinks,
    links: z.object({ self: z.string(), events: z.string(), webhooks: z.string() }),
  })
  .meta({ id: 'Production' });
export type ProductionView = z.infer<typeof ProductionView>;

export const ProductionCreated = z
  .object({
    productionId: z.string(),
    runId: z.string(),
    /** True when the production already existed: nothing new was started. */
    attached: z.boolean(),
    state: z.string().describe('Temporal execution status at submission (RUNNING, COMPLETED, …)'),
    estimatedCostUsd: z.number(),
    scenes: z.number().int(),
    links: z.object({ self: z.string(), events: z.string(), webhooks: z.string() }),
  })
  .meta({ id: 'ProductionCreated' });

export const ListedProduction = z
  .object({ productionId: z.string(), state: z.string(), status: z.string(), startTime: z.string(), url: z.string() })
  .meta({ id: 'ListedProduction' });

export const ListQuery = z.object({
  state: ProductionState.optional(),
  batch: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const PlanScene = z.object({
  id: z.string(),
  title: z.string(),
  provider: z.string(),
  model: z.string(),
  prompt: z.string(),
  seconds: z.number(),
  continuity: z.string(),
  dependsOn: z.array(z.string()),
  estimatedCostUsd: z.number(),
  cacheKey: z.string(),
});

export const PlanView = z
  .object({
    productionId: z.string(),
    title: z.string(),
    scenes: z.array(PlanScene),
    totals: z.object({ scenes: z.number(), seconds: z.number(), durationSeconds: z.number(), estimatedCostUsd: z.number() }),
    budgetUsd: z.number().optional(),
    warnings: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .meta({ id: 'Plan' });

export const CreateQuery = z.object({
  id: z.string().optional().describe('production id (default: title slug + content hash)'),
  callbackUrl: z.string().optional().describe('http(s) URL that receives signed webhooks for this production'),
});

export const ResumeBody = z
  .object({
    budgetUsd: z.number().positive().optional(),
    operatorWaitSeconds: z.number().int().min(0).max(2_592_000).optional(),
    callbackUrl: z.string().optional(),
  })
  .strict()
  .default({});

export const Accepted = z.object({ productionId: z.string(), message: z.string() }).meta({ id: 'Accepted' });
