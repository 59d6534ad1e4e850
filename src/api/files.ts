/**
 * Serving files from storyreel's own directories only: a path (which always comes from a workflow's own state, never
 * from the request) is resolved with symlinks and must lie inside one of the allowed roots; @fastify/send then
 * answers with Range, ETag and conditional GET support.
 */
import send from '@fastify/send';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative } from 'node:path';
import { ApiProblem } from './problem.js';

export async function confined(path: string, roots: readonly string[]): Promise<string> {
  const real = await realpath(path).catch(() => undefined);
  if (!real) throw new ApiProblem(404, 'not_found', 'that output does not exist (yet)');
  for (const root of roots) {
    const r = await realpath(root).catch(() => undefined);
    if (!r) continue;
    const rel = relative(r, real);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return real;
  }
  throw new ApiProblem(404, 'not_found', 'that output is outside the directories this server serves');
}

export async function sendFile(
  req: FastifyRequest,
  reply: FastifyReply,
  path: string,
  roots: readonly string[],
  contentType?: string,
): Promise<FastifyReply> {
  const real = await confined(path, roots);
  const { statusCode, headers, stream } = await send(req.raw, `/${encodeURIComponent(basename(real))}`, {
    root: dirname(real),
    dotfiles: 'allow',
    cacheControl: false,
  });
  reply.code(statusCode).headers(headers as Record<string, string>);
  if (contentType && statusCode < 300) reply.header('content-type', contentType);
  return reply.send(stream);
}
