/** Productions: create (idempotent), plan, list, read, cancel, resume, and the run's webhook deliveries. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canonicalJson } from '../../contracts/hash.js';
import { checkCallbackUrlShape, resolveDestination, DestinationError } from '../../webhooks/destination.js';
import { lintStoryboard } from '../../storyboard/lint.js';
import type { ApiContext } from '../context.js';
import { planUpload } from '../intake.js';
import { ApiProblem } from '../problem.js';
import { errorResponses, ProductionParams } from '../schemas/common.js';
import {
  Accepted,
  CreateQuery,
  ListedProduction,
  ListQuery,
  PlanView,
  ProductionCreated,
  ProductionView,
  ResumeBody,
} from '../schemas/productions.js';
import { productionUrl, productionView } from '../views.js';

/** A storyboard as JSON (an object) or YAML (text, application/yaml). Checked by the intake, which names paths. */
export const StoryboardBody = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .describe('a storyboard (GET /v1/storyboard.schema.json); JSON, or YAML with Content-Type application/yaml')
  .meta({ id: 'StoryboardDocument' });

export const DeliveriesView = z
  .object({
    productionId: z.string(),
    runId: z.string(),
    webhook: z.boolean(),
    deliveries: z.array(
      z.object({
        eventId: z.string(),
        type: z.string(),
        state: z.enum(['pending', 'delivered', 'failed']),
        attempts: z.array(
          z.object({ at: z.string(), status: z.number().optional(), error: z.string().optional(), durationMs: z.number() }),
        ),
        nextAttemptAt: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'WebhookDeliveries' });

export function storyboardText(body: unknown): { text: string; format: 'json' | 'yaml' } {
  if (typeof body === 'string') return { text: body, format: 'yaml' };
  return { text: JSON.stringify(body), format: 'json' };
}

/** A callback URL checked now (shape, and where it resolves unless private targets are allowed). */
export async function checkedCallback(
  ctx: ApiContext,
  url: string | undefined,
): Promise<{ url: string; allowPrivate: boolean } | undefined> {
  if (url === undefined) return undefined;
  if (!ctx.opts.webhooksEnabled)
    throw new ApiProblem(
      400,
      'bad_request',
      'this server cannot sign webhooks: its operator has not set STORYREEL_WEBHOOK_SECRET',
      'callbackUrl',
    );
  try {
    checkCallbackUrlShape(url);
    await resolveDestination(url, ctx.opts.allowPrivateWebhooks);
  } catch (err) {
    if (err instanceof DestinationError) throw new ApiProblem(400, 'bad_request', `callbackUrl ${err.message}`, 'callbackUrl');
    throw err;
  }
  return { url, allowPrivate: ctx.opts.allowPrivateWebhooks };
}

function followOptions(ctx: ApiContext, webhook: { url: string; allowPrivate: boolean } | undefined) {
  return {
    ...(webhook ? { webhook } : {}),
    ...(ctx.opts.followPollMs ? { pollMs: ctx.opts.followPollMs } : {}),
    ...(ctx.opts.webhookRetryScheduleS ? { retryScheduleS: ctx.opts.webhookRetryScheduleS } : {}),
  };
}

export function productionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/productions',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Create a production from a storyboard (idempotent with Idempotency-Key)',
        tags: ['productions'],
        querystring: CreateQuery,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: StoryboardBody,
        response: { 200: ProductionCreated, 201: ProductionCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      if (key) await ctx.idempotency.claim(req.apiKey!.id, key, idempotencySubject(req));
      const webhook = await checkedCallback(ctx, req.query.callbackUrl);
      const { text, format } = storyboardText(req.body);
      const { plan } = await planUpload(ctx.intake, text, format, req.query.id);
      // One submit per production id at a time in this process, so a concurrent repeat sees the first as existing.
      const submitted = await oneAtATime(plan.productionId, () => ctx.client.submit(plan));
      await ctx.client.follow(plan.productionId, { runId: submitted.runId, ...followOptions(ctx, webhook) });
      const self = productionUrl(plan.productionId);
      return reply.code(submitted.attached ? 200 : 201).send({
        productionId: plan.productionId,
        runId: submitted.runId,
        attached: submitted.attached,
        state: submitted.state,
        estimatedCostUsd: plan.totals.estimatedCostUsd,
        scenes: plan.scenes.length,
        links: { self, events: `${self}/events`, webhooks: `${self}/webhooks` },
      });
    },
  );

  r.post(
    '/v1/productions/plan',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Plan a storyboard and estimate its cost without running anything',
        tags: ['productions'],
        querystring: CreateQuery.pick({ id: true }),
        body: StoryboardBody,
        response: { 200: PlanView, ...errorResponses },
      },
    },
    async (req) => {
      const { text, format } = storyboardText(req.body);
      const { plan, loaded } = await planUpload(ctx.intake, text, format, req.query.id);
      return {
        productionId: plan.productionId,
        title: plan.title,
        scenes: plan.scenes.map((s) => ({
          id: s.id,
          title: s.title,
          provider: s.provider,
          model: s.model,
          prompt: s.prompt,
          seconds: s.seconds,
          continuity: s.continuity.mode,
          dependsOn: s.dependsOn,
          estimatedCostUsd: s.estimatedCostUsd,
          cacheKey: s.cacheKey,
        })),
        totals: plan.totals,
        ...(plan.budgetUsd !== undefined ? { budgetUsd: plan.budgetUsd } : {}),
        warnings: lintStoryboard(loaded.storyboard, plan).map((w) => ({ path: w.path, message: w.message })),
      };
    },
  );

  r.get(
    '/v1/productions',
    {
      schema: {
        summary: 'List productions (by state, by batch)',
        tags: ['productions'],
        querystring: ListQuery,
        response: { 200: z.object({ productions: z.array(ListedProduction) }), ...errorResponses },
      },
    },
    async (req) => {
      const found = await ctx.client.list({
        ...(req.query.state ? { state: req.query.state } : {}),
        ...(req.query.batch ? { batchId: req.query.batch } : {}),
      });
      return {
        productions: found
          .sort((a, b) => b.startTime.getTime() - a.startTime.getTime())
          .slice(0, req.query.limit)
          .map((p) => ({ ...p, startTime: p.startTime.toISOString(), url: productionUrl(p.productionId) })),
      };
    },
  );

  r.get(
    '/v1/productions/:id',
    {
      schema: {
        summary: 'A production: state, progress, scenes (takes, states, reasons, cost), outputs',
        tags: ['productions'],
        params: ProductionParams,
        response: { 200: ProductionView, ...errorResponses },
      },
    },
    async (req) => productionView(await ctx.client.status(req.params.id)),
  );

  r.post(
    '/v1/productions/:id/cancel',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Cancel a production (finished clips are kept)',
        tags: ['productions'],
        params: ProductionParams,
        response: { 202: Accepted, ...errorResponses },
      },
    },
    async (req, reply) => {
      await ctx.client.latestRunId(req.params.id);
      await ctx.client.cancel(req.params.id);
      return reply.code(202).send({ productionId: req.params.id, message: 'cancellation requested; finished clips are kept' });
    },
  );

  r.post(
    '/v1/productions/:id/resume',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'A new run of a stopped production that reuses every finished clip',
        tags: ['productions'],
        params: ProductionParams,
        body: ResumeBody,
        response: { 201: ProductionCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const webhook = await checkedCallback(ctx, req.body.callbackUrl);
      const desc = await ctx.client
        .handle(req.params.id)
        .describe()
        .catch(() => undefined);
      if (!desc) throw new ApiProblem(404, 'not_found', `no production "${req.params.id}"`);
      if (desc.status.name === 'RUNNING' || desc.status.name === 'COMPLETED')
        throw new ApiProblem(409, 'conflict', `production ${req.params.id} is ${desc.status.name.toLowerCase()}; nothing to resume`);
      const s = await ctx.client.resume(req.params.id, {
        ...(req.body.budgetUsd !== undefined ? { budgetUsd: req.body.budgetUsd } : {}),
        ...(req.body.operatorWaitSeconds !== undefined ? { operatorWaitSeconds: req.body.operatorWaitSeconds } : {}),
      });
      await ctx.client.follow(s.productionId, { runId: s.runId, ...followOptions(ctx, webhook) });
      const { plan } = await ctx.client.lastPlan(s.productionId);
      const self = productionUrl(s.productionId);
      return reply.code(201).send({
        productionId: s.productionId,
        runId: s.runId,
        attached: s.attached,
        state: s.state,
        estimatedCostUsd: plan.totals.estimatedCostUsd,
        scenes: plan.scenes.length,
        links: { self, events: `${self}/events`, webhooks: `${self}/webhooks` },
      });
    },
  );

  r.get(
    '/v1/productions/:id/webhooks',
    {
      schema: {
        summary: "Webhook deliveries of the production's latest run: attempts and last status",
        tags: ['webhooks'],
        params: ProductionParams,
        response: { 200: DeliveriesView, ...errorResponses },
      },
    },
    async (req) => {
      const runId = await ctx.client.latestRunId(req.params.id);
      const state = await ctx.client.followState(req.params.id, runId, Number.MAX_SAFE_INTEGER);
      return { productionId: req.params.id, runId, webhook: !!state?.deliveries.length, deliveries: state?.deliveries ?? [] };
    },
  );
}

const inFlight = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = inFlight.get(key) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const settled = run.catch(() => undefined);
  inFlight.set(key, settled);
  try {
    return await run;
  } finally {
    if (inFlight.get(key) === settled) inFlight.delete(key);
  }
}

/** What an Idempotency-Key is bound to: the route, the query and the body (JSON canonically, YAML as sent). */
function idempotencySubject(req: FastifyRequest): string {
  const body = typeof req.body === 'string' ? req.body : canonicalJson(req.body);
  return `${req.method} ${req.routeOptions.url ?? ''}\n${canonicalJson(req.query)}\n${body}`;
}

export { followOptions };
