/** Assets: upload (raw bytes, content-addressed, size and type checked) and look up. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { ASSET_TYPES } from '../assets.js';
import type { ApiContext } from '../context.js';
import { ApiProblem } from '../problem.js';
import { AssetParams, AssetView } from '../schemas/assets.js';
import { errorResponses } from '../schemas/common.js';

export function assetRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Asset bodies stay streams: the store hashes and counts them on their way to disk.
  app.addContentTypeParser(Object.keys(ASSET_TYPES), { bodyLimit: ctx.opts.assetMaxBytes }, (_req, payload, done) => done(null, payload));
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/assets',
    {
      config: { scope: 'write' },
      bodyLimit: ctx.opts.assetMaxBytes,
      schema: {
        summary: 'Upload a reference image, soundtrack or narration audio (the raw bytes, with its Content-Type)',
        description: `Content-Type: ${Object.keys(ASSET_TYPES).join(', ')}. A storyboard then names it as \`asset:<sha256>\`.`,
        tags: ['assets'],
        response: { 200: AssetView, 201: AssetView, 415: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const length = req.headers['content-length'] ? Number(req.headers['content-length']) : undefined;
      if (!req.body) throw new ApiProblem(400, 'bad_request', 'send the file bytes as the body', 'body');
      const { asset, created } = await ctx.assets.put(req.body as Readable, type, length);
      return reply.code(created ? 201 : 200).send(asset);
    },
  );

  r.get(
    '/v1/assets/:sha256',
    { schema: { summary: 'An uploaded asset', tags: ['assets'], params: AssetParams, response: { 200: AssetView, ...errorResponses } } },
    async (req) => {
      const a = await ctx.assets.get(req.params.sha256);
      if (!a) throw new ApiProblem(404, 'not_found', `no asset ${req.params.sha256}`);
      const { path: _path, ...view } = a;
      return view;
    },
  );
}

export const AssetUpload = z.any();
