/**
 * The HTTP server: Fastify with request/response schemas in zod (fastify-type-provider-zod), the OpenAPI 3.1
 * document generated from the same schemas (@fastify/swagger, served at /openapi.json), API keys on every route
 * but health, per-key rate limits, body size limits, and the studio. It is a Temporal client only: every action
 * goes through the same client calls the CLI makes.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import { WorkflowNotFoundError } from '@temporalio/client';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { join } from 'node:path';
import { DecisionRejectedError, ProductionConflictError, type StoryreelClient } from '../client/index.js';
import { storePaths } from '../worker.js';
import { StoryboardError } from '../storyboard/errors.js';
import { AssetStore } from './assets.js';
import { Authenticator, sessionSecret } from './auth.js';
import type { ApiContext, ApiOptions } from './context.js';
import { IdempotencyStore } from './idempotency.js';
import { KeyStore, keysFile } from './keys.js';
import { ApiProblem } from './problem.js';
import { actionRoutes } from './routes/actions.js';
import { assetRoutes } from './routes/assets.js';
import { batchRoutes } from './routes/batches.js';
import { eventRoutes } from './routes/events.js';
import { metaRoutes } from './routes/meta.js';
import { outputRoutes } from './routes/outputs.js';
import { productionRoutes } from './routes/productions.js';
import { providerHookRoutes } from './routes/provider-hooks.js';
import { studioRoutes } from './studio/routes.js';

export type { ApiOptions } from './context.js';

export async function buildApi(
  client: StoryreelClient,
  opts: ApiOptions,
  log: { level: string } | false = false,
): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: opts.bodyLimitBytes,
    // Request logs carry method, URL, status and timing only; keys and cookies are redacted should anything log headers.
    logger: log ? { level: log.level, redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'] } : false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  const keys = new KeyStore(keysFile(opts.workDir));
  const auth = new Authenticator(keys, await sessionSecret(opts.workDir));
  const assets = new AssetStore(join(opts.workDir, 'api', 'assets'), opts.assetMaxBytes);
  const ctx: ApiContext = {
    client,
    opts,
    keys,
    auth,
    assets,
    idempotency: new IdempotencyStore(join(opts.workDir, 'api', 'idempotency')),
    intake: { assets, workDir: opts.workDir, envBaseURL: { 'openai-videos': opts.env.OPENAI_BASE_URL } },
    servedRoots: [opts.outDir, storePaths(opts.workDir).store],
  };

  app.addHook('onRequest', async (req) => {
    const config = req.routeOptions.config;
    if (config.public || !req.routeOptions.url) return;
    req.apiKey = await auth.authenticate(req);
    auth.authorize(req.apiKey, config.scope ?? 'read');
  });
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preValidation',
    timeWindow: 60_000,
    keyGenerator: (req) => (req.apiKey ? `key:${req.apiKey.id}` : `ip:${req.ip}`),
    max: (req) => req.apiKey?.rateLimitPerMinute ?? opts.rateLimitPerMinute,
    allowList: (req) => !!req.routeOptions.config.public,
    errorResponseBuilder: (_req, c) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `more than ${c.max} requests in a minute for this key; retry after ${c.after}`,
    }),
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'storyreel', version: opts.version, description: 'Storyboards in, verified videos out, on Temporal.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'sr_… (storyreel keys create)' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const send = (
      status: number,
      body: { error: string; message: string; field?: string; issues?: readonly { path: string; message: string }[] },
    ) => reply.code(status).type('application/json').send(body);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const field = first ? `${err.validationContext ?? ''}${first.instancePath.replaceAll('/', '.')}` : undefined;
      return send(400, {
        error: 'bad_request',
        message: `${field ?? 'request'}: ${first?.message ?? err.message}`,
        ...(field ? { field } : {}),
      });
    }
    if (err instanceof ApiProblem)
      return send(err.status, {
        error: err.code,
        message: err.message,
        ...(err.field ? { field: err.field } : {}),
        ...(err.issues ? { issues: err.issues } : {}),
      });
    if (err instanceof StoryboardError)
      return send(400, {
        error: 'invalid_storyboard',
        message: err.message,
        issues: err.issues,
        ...(err.issues[0] ? { field: err.issues[0].path } : {}),
      });
    if (err instanceof DecisionRejectedError || err instanceof ProductionConflictError)
      return send(409, { error: 'conflict', message: err.message });
    if (err instanceof WorkflowNotFoundError || /^no (production|workflow) "/.test(err.message))
      return send(404, { error: 'not_found', message: err.message });
    if (err.statusCode === 413)
      return send(413, {
        error: 'payload_too_large',
        message: `the body is larger than this route accepts (${err.message})`,
        field: 'body',
      });
    if (err.statusCode === 429) return send(429, { error: 'rate_limited', message: err.message });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return send(err.statusCode, { error: err.code ?? 'bad_request', message: err.message });
    req.log.error({ err }, 'request failed');
    return send(500, { error: 'internal', message: 'the server failed on this request; its log says why' });
  });

  await app.register(async (scope) => {
    metaRoutes(scope, ctx);
    productionRoutes(scope, ctx);
    actionRoutes(scope, ctx);
    eventRoutes(scope, ctx);
    outputRoutes(scope, ctx);
    assetRoutes(scope, ctx);
    batchRoutes(scope, ctx);
    providerHookRoutes(scope, ctx);
    studioRoutes(scope, ctx);
  });
  return app;
}
