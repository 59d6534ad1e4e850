/** Shapes every route shares: errors, ids in paths, scopes. Registered by id so the OpenAPI document names them. */
import { z } from 'zod';
import { Id, PRODUCTION_ID_PATTERN } from '../../contracts/ids.js';

/** Every 4xx/5xx body: a stable code, a message for people, and the field at fault when there is one. */
export const ApiError = z
  .object({
    error: z.string().describe('stable code: bad_request, unauthorized, forbidden, not_found, conflict, payload_too_large, …'),
    message: z.string(),
    field: z.string().optional().describe('the request field (or storyboard path) at fault'),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });
export type ApiError = z.infer<typeof ApiError>;

export const errorResponses = {
  400: ApiError,
  401: ApiError,
  403: ApiError,
  404: ApiError,
  409: ApiError,
  413: ApiError,
  429: ApiError,
} as const;

export const ProductionId = z.string().regex(PRODUCTION_ID_PATTERN, 'a production id: 1-80 of a-z, 0-9, "-", "_"');
export const SceneId = Id;
export const BatchId = Id;

export const ProductionParams = z.object({ id: ProductionId });
export const SceneParams = z.object({ id: ProductionId, sceneId: SceneId });
export const BatchParams = z.object({ id: BatchId });

export const Scope = z.enum(['read', 'write', 'admin']);
export type Scope = z.infer<typeof Scope>;

export const Health = z.object({ ok: z.boolean(), temporal: z.boolean(), version: z.string() }).meta({ id: 'Health' });
