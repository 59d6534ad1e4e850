/**
 * Batches over HTTP: a manifest whose items carry their storyboards inline (JSON objects or YAML text), each checked
 * by the same intake as a single production (assets by id only), with the manifest's and the item's overrides
 * merged in before the check. The accepted manifest is written under <workDir>/api/batches/ and submitted like
 * `storyreel batch run` does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../contracts/hash.js';
import { Id } from '../../contracts/ids.js';
import { BatchPriority, deepMerge } from '../../storyboard/batch.js';
import { StoryboardError, type InputIssue } from '../../storyboard/errors.js';
import { parseStoryboardDocument } from '../../storyboard/parse.js';
import { Budget } from '../../storyboard/schema.js';
import { writeJsonAtomic } from '../../store/files.js';
import type { BatchProgress, BatchSummary } from '../../../workflows/definitions.js';
import type { ApiContext } from '../context.js';
import { acceptStoryboard } from '../intake.js';
import { ApiProblem } from '../problem.js';
import { BatchCreated, BatchCreateQuery, BatchDeliveriesView, BatchItems, BatchResumeBody, BatchView } from '../schemas/batches.js';
import { BatchParams, errorResponses } from '../schemas/common.js';
import { productionUrl } from '../views.js';
import { checkedCallback } from './productions.js';

const Overrides = z.record(z.string(), z.unknown());
export const BatchBody = z
  .object({
    batch: Id.optional(),
    maxParallelProductions: z.number().int().min(1).max(500).optional(),
    priority: BatchPriority.optional(),
    budget: Budget.optional(),
    overrides: Overrides.optional(),
    items: z
      .array(
        z
          .object({
            id: Id,
            storyboard: z.union([z.string(), z.record(z.string(), z.unknown())]).describe('the storyboard: a JSON object or YAML text'),
            overrides: Overrides.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(10_000),
  })
  .strict()
  .meta({ id: 'BatchRequest' });

const batchUrl = (id: string) => `/v1/batches/${id}`;
const manifestIndex = (ctx: ApiContext, batchId: string) => join(ctx.opts.workDir, 'api', 'batches', `${batchId}.json`);

export function batchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/batches',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Create a batch of productions (idempotent with Idempotency-Key)',
        tags: ['batches'],
        querystring: BatchCreateQuery,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: BatchBody,
        response: { 200: BatchCreated, 201: BatchCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      if (key) await ctx.idempotency.claim(req.apiKey!.id, key, subject(req));
      const webhook = await checkedCallback(ctx, req.query.callbackUrl);
      const body = req.body;
      const batchId = body.batch ?? `api-${sha256Hex(canonicalJson(body)).slice(0, 12)}`;
      const issues: InputIssue[] = [];
      const items: { storyboard: string; id: string }[] = [];
      for (const [i, item] of body.items.entries()) {
        try {
          const doc = typeof item.storyboard === 'string' ? parseStoryboardDocument(item.storyboard, `items[${i}].yaml`) : item.storyboard;
          const merged = deepMerge(deepMerge(doc, body.overrides ?? {}), item.overrides ?? {});
          items.push({ id: item.id, storyboard: await acceptStoryboard(ctx.intake, merged, `items[${i}].storyboard`) });
        } catch (err) {
          if (!(err instanceof StoryboardError)) throw err;
          issues.push(...err.issues.map((x) => ({ path: `items[${i}].storyboard${x.path ? `.${x.path}` : ''}`, message: x.message })));
        }
      }
      if (issues.length) throw new StoryboardError('batch', issues);
      const manifest = {
        batch: batchId,
        ...(body.maxParallelProductions ? { maxParallelProductions: body.maxParallelProductions } : {}),
        ...(body.priority ? { priority: body.priority } : {}),
        ...(body.budget ? { budget: body.budget } : {}),
        items,
      };
      const file = join(ctx.opts.workDir, 'api', 'batches', batchId, 'batch.json');
      await writeJsonAtomic(file, manifest);
      await writeJsonAtomic(manifestIndex(ctx, batchId), { manifest: file });
      const s = await ctx.client.submitBatch(file);
      // The follower delivers the batch's state changes (one per batch run; a repeat leaves the first one's target).
      if (webhook)
        await ctx.client.followBatch(batchId, {
          webhook,
          ...(ctx.opts.followPollMs ? { pollMs: ctx.opts.followPollMs } : {}),
          ...(ctx.opts.webhookRetryScheduleS ? { retryScheduleS: ctx.opts.webhookRetryScheduleS } : {}),
        });
      return reply.code(s.attached ? 200 : 201).send({
        batchId,
        items: s.items,
        attached: s.attached,
        links: { self: batchUrl(batchId), items: `${batchUrl(batchId)}/items`, webhooks: `${batchUrl(batchId)}/webhooks` },
      });
    },
  );

  r.get(
    '/v1/batches/:id',
    {
      schema: {
        summary: 'A batch: counts, cost, what is in flight',
        tags: ['batches'],
        params: BatchParams,
        response: { 200: BatchView, ...errorResponses },
      },
    },
    async (req) => {
      const desc = await ctx.client.client.workflow
        .getHandle(`batch-${req.params.id}`)
        .describe()
        .catch(() => undefined);
      if (!desc) throw new ApiProblem(404, 'not_found', `no batch "${req.params.id}"`);
      const s = await ctx.client.batchStatus(req.params.id).catch(() => undefined);
      const links = { self: batchUrl(req.params.id), items: `${batchUrl(req.params.id)}/items` };
      const state =
        ({ RUNNING: 'running', COMPLETED: 'completed', CANCELLED: 'cancelled' } as const)[desc.status.name as 'RUNNING'] ?? 'failed';
      if (!s)
        return {
          batchId: req.params.id,
          state,
          total: 0,
          counts: {},
          costUsd: 0,
          startedAt: desc.startTime.toISOString(),
          inFlight: [],
          links,
        };
      if ('rows' in s) {
        const done = s as BatchSummary;
        return {
          batchId: done.batchId,
          state,
          total: done.total,
          counts: done.counts,
          costUsd: done.costUsd,
          startedAt: done.startedAt,
          finishedAt: done.finishedAt,
          inFlight: [],
          links,
        };
      }
      const p = s as BatchProgress;
      return {
        batchId: p.batchId,
        state,
        total: p.total,
        counts: p.counts,
        costUsd: p.costUsd,
        startedAt: p.startedAt,
        inFlight: p.inFlight,
        ...(p.budgetUsd !== undefined ? { budgetUsd: p.budgetUsd } : {}),
        ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
        links,
      };
    },
  );

  r.get(
    '/v1/batches/:id/items',
    {
      schema: {
        summary: "A batch's items: final rows once it completed; while it runs, its productions found by search attribute",
        tags: ['batches'],
        params: BatchParams,
        response: { 200: BatchItems, ...errorResponses },
      },
    },
    async (req) => {
      const rows = await ctx.client.batchRows(req.params.id).catch(() => []);
      if (rows.length)
        return {
          items: rows.map((row) => ({
            key: row.key,
            productionId: row.productionId,
            state: row.state,
            costUsd: row.costUsd,
            scenes: row.scenes,
            url: productionUrl(row.productionId),
            ...(row.stage ? { stage: row.stage } : {}),
            ...(row.sceneId ? { sceneId: row.sceneId } : {}),
            ...(row.reason ? { reason: row.reason } : {}),
          })),
        };
      const listed = await ctx.client.list({ batchId: req.params.id });
      return {
        items: await Promise.all(
          listed.map(async (l) => {
            const p = await ctx.client.status(l.productionId).catch(() => undefined);
            return {
              key: l.productionId.slice(req.params.id.length + 2),
              productionId: l.productionId,
              state: p?.state ?? l.state,
              costUsd: p?.costUsd ?? 0,
              scenes: { ready: p?.scenes.filter((s) => s.state === 'ready').length ?? 0, total: p?.scenes.length ?? 0 },
              url: productionUrl(l.productionId),
            };
          }),
        ),
      };
    },
  );

  r.get(
    '/v1/batches/:id/webhooks',
    {
      schema: {
        summary: "Webhook deliveries of the batch's current run: attempts and last status",
        tags: ['webhooks'],
        params: BatchParams,
        response: { 200: BatchDeliveriesView, ...errorResponses },
      },
    },
    async (req) => {
      const state = await ctx.client.batchFollowState(req.params.id, Number.MAX_SAFE_INTEGER);
      return { batchId: req.params.id, webhook: !!state?.deliveries.length, deliveries: state?.deliveries ?? [] };
    },
  );

  r.post(
    '/v1/batches/:id/resume',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Run again only the items that failed, were stopped by the budget, or are missing',
        tags: ['batches'],
        params: BatchParams,
        body: BatchResumeBody,
        response: { 202: BatchCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const index = await readFile(manifestIndex(ctx, req.params.id), 'utf8').catch(() => undefined);
      if (!index) throw new ApiProblem(404, 'not_found', `no batch "${req.params.id}" was created through this API`);
      const s = await ctx.client.submitBatch((JSON.parse(index) as { manifest: string }).manifest, {
        resume: true,
        ...(req.body.budgetUsd !== undefined ? { budgetUsd: req.body.budgetUsd } : {}),
      });
      return reply.code(202).send({
        batchId: s.batchId,
        items: s.items,
        attached: s.attached,
        links: { self: batchUrl(s.batchId), items: `${batchUrl(s.batchId)}/items` },
      });
    },
  );
}

function subject(req: FastifyRequest): string {
  return `${req.method} ${req.routeOptions.url ?? ''}\n${canonicalJson(req.body)}`;
}
