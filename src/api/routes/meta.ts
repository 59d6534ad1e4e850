/** Health (no key), the OpenAPI document, and the storyboard JSON Schema. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { storyboardJsonSchema } from '../../client/json-schema.js';
import type { ApiContext } from '../context.js';
import { Health } from '../schemas/common.js';

export function metaRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/health',
    {
      config: { public: true },
      schema: { summary: 'Liveness and whether Temporal answers', tags: ['meta'], response: { 200: Health, 503: Health } },
    },
    async (_req, reply) => {
      const temporal = await ctx.client.client.connection
        .ensureConnected()
        .then(() => true)
        .catch(() => false);
      return reply.code(temporal ? 200 : 503).send({ ok: temporal, temporal, version: ctx.opts.version });
    },
  );
  r.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  r.get(
    '/v1/storyboard.schema.json',
    { schema: { summary: 'The storyboard JSON Schema', tags: ['meta'], response: { 200: z.record(z.string(), z.unknown()) } } },
    async () => storyboardJsonSchema(),
  );
}
