/**
 * Outputs, served only from storyreel's own directories (the output root and the clip store): the final video
 * (Range requests, so browsers seek), captions, poster, contact sheet, manifest, each scene's clip per take and its
 * first/last frame. Every path comes from the production's own state; the request only picks among them by name.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SceneStatus } from '../../../workflows/definitions.js';
import { extractLastFrame, fitImage } from '../../media/frames.js';
import { probe, videoStream } from '../../media/probe.js';
import type { ApiContext } from '../context.js';
import { sendFile } from '../files.js';
import { ApiProblem } from '../problem.js';
import { errorResponses, ProductionId, SceneId } from '../schemas/common.js';
import { outputFile } from '../views.js';

const OUTPUT_NAMES = ['video', 'captions.vtt', 'captions.srt', 'poster.jpg', 'contact-sheet.jpg', 'manifest.json'] as const;
const TYPES: Record<string, string> = {
  video: 'video/mp4',
  'captions.vtt': 'text/vtt; charset=utf-8',
  'captions.srt': 'application/x-subrip; charset=utf-8',
  'poster.jpg': 'image/jpeg',
  'contact-sheet.jpg': 'image/jpeg',
  'manifest.json': 'application/json; charset=utf-8',
};
const Binary = z.any().describe('the file (Range requests answer 206)');
const TakeQuery = z.object({ take: z.coerce.number().int().min(1).optional() });
/** Longer side of a frame thumbnail, pixels. */
const THUMB = 320;

export function outputRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/productions/:id/outputs/:name',
    {
      schema: {
        summary: 'The final video (Range), captions, poster, contact sheet or manifest of a completed production',
        tags: ['outputs'],
        params: z.object({ id: ProductionId, name: z.enum(OUTPUT_NAMES) }),
        response: { 200: Binary, 206: Binary, 304: z.null(), 416: Binary, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = await ctx.client.status(req.params.id);
      if (!p.outputPath) throw new ApiProblem(404, 'not_found', `production ${req.params.id} has no final video (state ${p.state})`);
      const path = outputFile(p.outputPath, req.params.name)!;
      return sendFile(req, reply, path, ctx.servedRoots, TYPES[req.params.name]);
    },
  );

  r.get(
    '/v1/productions/:id/scenes/:sceneId/clip',
    {
      schema: {
        summary: "A scene's clip: the current take, or an earlier (rejected) one with ?take=",
        tags: ['outputs'],
        params: z.object({ id: ProductionId, sceneId: SceneId }),
        querystring: TakeQuery,
        response: { 200: Binary, 206: Binary, 304: z.null(), 416: Binary, ...errorResponses },
      },
    },
    async (req, reply) => {
      const path = await clipPath(ctx, req.params.id, req.params.sceneId, req.query.take);
      return sendFile(req, reply, path, ctx.servedRoots, 'video/mp4');
    },
  );

  r.get(
    '/v1/productions/:id/scenes/:sceneId/frames/:which',
    {
      schema: {
        summary: "The first or last frame of a scene's clip (PNG thumbnail)",
        tags: ['outputs'],
        params: z.object({ id: ProductionId, sceneId: SceneId, which: z.enum(['first.png', 'last.png']) }),
        querystring: TakeQuery,
        response: { 200: Binary, 304: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { path: clip, sha256 } = await takeClip(ctx, req.params.id, req.params.sceneId, req.query.take);
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ApiProblem(404, 'not_found', 'the clip has no content address');
      const which = req.params.which === 'first.png' ? 'first' : 'last';
      const dest = join(ctx.opts.workDir, 'api', 'frames', `${sha256}-${which}-${THUMB}.png`);
      if (!(await stat(dest).catch(() => undefined))) {
        await mkdir(join(ctx.opts.workDir, 'api', 'frames'), { recursive: true });
        const v = videoStream(await probe(clip));
        const scale = THUMB / Math.max(v?.width ?? THUMB, v?.height ?? THUMB);
        const even = (n: number) => Math.max(2, 2 * Math.round((n * scale) / 2));
        const size = { width: even(v?.width ?? THUMB), height: even(v?.height ?? THUMB) };
        if (which === 'first') await fitImage(clip, dest, size);
        else await extractLastFrame(clip, dest, size);
      }
      return sendFile(req, reply, dest, [join(ctx.opts.workDir, 'api', 'frames')], 'image/png');
    },
  );
}

async function takeClip(ctx: ApiContext, productionId: string, sceneId: string, take: number | undefined) {
  const p = await ctx.client.status(productionId);
  const s: SceneStatus | undefined = p.scenes.find((x) => x.id === sceneId);
  if (!s) throw new ApiProblem(404, 'not_found', `production ${productionId} has no scene "${sceneId}"`, 'sceneId');
  if (take === undefined || take === s.take) {
    if (!s.clip) throw new ApiProblem(404, 'not_found', `scene ${sceneId} has no clip yet (state ${s.state})`);
    return s.clip;
  }
  const old = s.rejectedTakes.find((t) => t.take === take);
  if (!old) throw new ApiProblem(404, 'not_found', `scene ${sceneId} has no take ${take} with a clip`, 'take');
  return old.clip;
}

async function clipPath(ctx: ApiContext, productionId: string, sceneId: string, take: number | undefined): Promise<string> {
  return (await takeClip(ctx, productionId, sceneId, take)).path;
}
