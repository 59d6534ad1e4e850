/**
 * The studio: a page, its script and style (no key needed: they hold no data), and sign-in/out. Sign-in takes an
 * API key once and answers with an HttpOnly, SameSite=Strict session cookie that names the key without holding it;
 * the pages then call the same /v1 API with that cookie.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth.js';
import type { ApiContext } from '../context.js';
import { ApiProblem } from '../problem.js';
import { errorResponses } from '../schemas/common.js';
import { studioScript } from './bundle.js';

const file = (name: string) => readFile(fileURLToPath(new URL(name, import.meta.url)), 'utf8');
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self'; media-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function studioRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const hidden = { hide: true };
  r.get('/', { config: { public: true }, schema: hidden }, async (_req, reply) => reply.redirect('/studio/'));
  r.get('/studio/', { config: { public: true }, schema: hidden }, async (_req, reply) =>
    reply
      .headers(SECURITY_HEADERS)
      .type('text/html; charset=utf-8')
      .send(await file('./index.html')),
  );
  r.get('/studio/app.js', { config: { public: true }, schema: hidden }, async (_req, reply) =>
    reply
      .headers(SECURITY_HEADERS)
      .type('text/javascript; charset=utf-8')
      .send(await studioScript()),
  );
  r.get('/studio/studio.css', { config: { public: true }, schema: hidden }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').send(await file('./studio.css')),
  );

  r.post(
    '/studio/login',
    {
      config: { public: true },
      schema: { hide: true, body: z.object({ key: z.string().max(200) }), response: { 204: z.null(), ...errorResponses } },
    },
    async (req, reply) => {
      const key = await ctx.keys.authenticate(req.body.key.trim());
      if (!key) throw new ApiProblem(401, 'unauthorized', 'that API key is not valid', 'key');
      const session = ctx.auth.sessionFor(key);
      return reply
        .header('set-cookie', `${SESSION_COOKIE}=${session.value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${session.maxAgeS}`)
        .code(204)
        .send(null);
    },
  );
  r.post('/studio/logout', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).code(204).send(),
  );
}
