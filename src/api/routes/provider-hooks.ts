/**
 * Inbound provider webhooks (no API key: providers do not have one; each request is verified by the provider's own
 * signature instead). A verified callback signals the scene workflow named in the callback URL's `scene` query
 * parameter with jobCallback, so it polls its job at once; the scene ignores a job id it is not waiting on, and
 * polling stays the fallback. The callback URL to give a provider: `<public base>/v1/hooks/<provider>?scene=<id>`.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jobCallbackSignal, type JobCallback } from '../../../workflows/definitions.js';
import { DEFAULT_FAL_JWKS_URL, JwksCache, SignatureError, verifyFal, verifyReplicate } from '../../webhooks/provider-signatures.js';
import type { ApiContext } from '../context.js';
import { ApiProblem } from '../problem.js';
import { errorResponses } from '../schemas/common.js';

/** A scene workflow id: `<production>/scene/<scene>` with an optional `/take-N`. */
const SceneWorkflowId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,79}\/scene\/[a-z0-9][a-z0-9_-]{0,62}(\/take-\d{1,4})?$/);
const HookQuery = z.object({ scene: SceneWorkflowId });
const Ack = z.object({ accepted: z.boolean(), jobId: z.string() });

const REPLICATE_STATUS: Record<string, JobCallback['status'] | undefined> = {
  succeeded: 'completed',
  failed: 'failed',
  canceled: 'cancelled',
  aborted: 'cancelled',
};

export function providerHookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const jwks = new JwksCache(ctx.opts.env.FAL_JWKS_URL ?? DEFAULT_FAL_JWKS_URL);
  // Signatures cover the exact bytes: these routes read their JSON body as text.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (req.routeOptions.url?.startsWith('/v1/hooks/')) return done(null, body);
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (err) {
      (err as { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });

  const signal = async (workflowId: string, cb: JobCallback) => {
    try {
      await ctx.client.client.workflow.getHandle(workflowId).signal(jobCallbackSignal, cb);
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') throw new ApiProblem(404, 'not_found', 'no running scene with that id', 'scene');
      throw err;
    }
  };
  const verified = async (check: () => void | Promise<void>) => {
    try {
      await check();
    } catch (err) {
      if (err instanceof SignatureError) throw new ApiProblem(401, 'unauthorized', err.message, 'webhook-signature');
      throw err;
    }
  };

  r.post(
    '/v1/hooks/replicate',
    {
      config: { public: true },
      schema: {
        summary: 'Replicate prediction webhook (Standard Webhooks signature)',
        tags: ['provider hooks'],
        querystring: HookQuery,
        response: { 202: Ack, 200: Ack, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = String(req.body ?? '');
      await verified(() => verifyReplicate(ctx.opts.env.REPLICATE_WEBHOOK_SECRET, body, req.headers));
      const prediction = JSON.parse(body) as { id?: string; status?: string };
      const status = REPLICATE_STATUS[prediction.status ?? ''];
      if (!prediction.id) throw new ApiProblem(400, 'bad_request', 'the prediction has no id', 'body.id');
      if (!status) return reply.code(200).send({ accepted: false, jobId: prediction.id });
      await signal(req.query.scene, { provider: 'replicate', jobId: prediction.id, status });
      return reply.code(202).send({ accepted: true, jobId: prediction.id });
    },
  );

  r.post(
    '/v1/hooks/fal',
    {
      config: { public: true },
      schema: {
        summary: 'fal queue webhook (ED25519 signature)',
        tags: ['provider hooks'],
        querystring: HookQuery,
        response: { 202: Ack, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = String(req.body ?? '');
      await verified(() => verifyFal(jwks, body, req.headers));
      const event = JSON.parse(body) as { request_id?: string; status?: string };
      if (!event.request_id) throw new ApiProblem(400, 'bad_request', 'the callback has no request_id', 'body.request_id');
      await signal(req.query.scene, { provider: 'fal', jobId: event.request_id, status: event.status === 'OK' ? 'completed' : 'failed' });
      return reply.code(202).send({ accepted: true, jobId: event.request_id });
    },
  );
}
