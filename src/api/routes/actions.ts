/**
 * Operator and reviewer actions: each is the workflow's own Update (decideScene / reviewScene), whose validator
 * refuses a decision that does not apply (409 with its reason; nothing changes then).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ReviewDecision, SceneDecision } from '../../../workflows/definitions.js';
import type { ApiContext } from '../context.js';
import { EmptyBody, RejectBody, RetryBody, SkipBody } from '../schemas/actions.js';
import { errorResponses, ProductionParams, SceneParams } from '../schemas/common.js';
import { Accepted, SceneView } from '../schemas/productions.js';
import { sceneView } from '../views.js';

export function actionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const scene = { config: { scope: 'write' as const }, tags: ['actions'] };
  const decide = (id: string, d: SceneDecision) => ctx.client.decide(id, d).then((s) => sceneView(id, s));
  const review = (id: string, d: ReviewDecision) => ctx.client.review(id, d).then((s) => sceneView(id, s));

  r.post(
    '/v1/productions/:id/scenes/:sceneId/retry',
    {
      config: scene.config,
      schema: {
        summary: 'Retry a failed scene as a new take, optionally with an edited prompt or another provider/model',
        tags: scene.tags,
        params: SceneParams,
        body: RetryBody,
        response: { 200: SceneView, ...errorResponses },
      },
    },
    async (req) =>
      decide(req.params.id, {
        sceneId: req.params.sceneId,
        action: 'retry',
        ...(req.body.prompt ? { prompt: req.body.prompt } : {}),
        ...(req.body.provider ? { provider: req.body.provider } : {}),
        ...(req.body.model ? { model: req.body.model } : {}),
      }),
  );

  r.post(
    '/v1/productions/:id/scenes/:sceneId/skip',
    {
      config: scene.config,
      schema: {
        summary: 'Skip a failed scene: a placeholder takes its place',
        tags: scene.tags,
        params: SceneParams,
        body: SkipBody,
        response: { 200: SceneView, ...errorResponses },
      },
    },
    async (req) =>
      decide(req.params.id, {
        sceneId: req.params.sceneId,
        action: 'skip',
        ...(req.body.placeholder ? { placeholder: req.body.placeholder } : {}),
      }),
  );

  r.post(
    '/v1/productions/:id/abort',
    {
      config: scene.config,
      schema: {
        summary: 'Give up on a production waiting for an operator (finished clips are kept)',
        tags: scene.tags,
        params: ProductionParams,
        body: EmptyBody,
        response: { 202: Accepted, ...errorResponses },
      },
    },
    async (req, reply) => {
      await ctx.client.decide(req.params.id, { sceneId: '*', action: 'abort' });
      return reply.code(202).send({ productionId: req.params.id, message: 'abort requested' });
    },
  );

  r.post(
    '/v1/productions/:id/scenes/:sceneId/approve',
    {
      config: scene.config,
      schema: {
        summary: 'Approve the take waiting for review',
        tags: scene.tags,
        params: SceneParams,
        body: EmptyBody,
        response: { 200: SceneView, ...errorResponses },
      },
    },
    async (req) => review(req.params.id, { sceneId: req.params.sceneId, decision: 'approve' }),
  );

  r.post(
    '/v1/productions/:id/scenes/:sceneId/reject',
    {
      config: scene.config,
      schema: {
        summary: 'Reject the take waiting for review, with a note that steers the new take',
        tags: scene.tags,
        params: SceneParams,
        body: RejectBody,
        response: { 200: SceneView, ...errorResponses },
      },
    },
    async (req) => review(req.params.id, { sceneId: req.params.sceneId, decision: 'reject', note: req.body.note }),
  );
}
