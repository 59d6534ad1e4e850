/**
 * Kling's error contract: every answer is the envelope `{code, message, request_id}` (plus `data` on success), with
 * the HTTP status and service code of Kling's error table ("General Information" → Error Code). The texts are the
 * table's explanations; Kling's live texts are not published, except `parallel task over resource pack limit`
 * (1303, from the concurrency rules) [real].
 */
import { randomUUID } from 'node:crypto';
import { json, MockHttpError, type JsonReply } from '../kit/index.js';

/** Status and explanation of each documented service code. */
export const KLING_ERROR_CODES: Readonly<Record<number, { status: number; message: string }>> = {
  1000: { status: 401, message: 'Authentication failed' },
  1001: { status: 401, message: 'Authorization is empty' },
  1002: { status: 401, message: 'Authorization is invalid' },
  1003: { status: 401, message: 'Authorization is not yet valid' },
  1004: { status: 401, message: 'Authorization has expired' },
  1100: { status: 429, message: 'Account exception' },
  1101: { status: 429, message: 'Account in arrears (postpaid scenario)' },
  1102: { status: 429, message: 'Resource pack depleted or expired (prepaid scenario)' },
  1103: { status: 403, message: 'Unauthorized access to requested resource, such as API/model' },
  1200: { status: 400, message: 'Invalid request parameters' },
  1201: { status: 400, message: 'Invalid parameters, such as incorrect key or illegal value' },
  1202: { status: 404, message: 'The requested method is invalid' },
  1203: { status: 404, message: 'The requested resource does not exist, such as the model' },
  1300: { status: 400, message: 'Trigger strategy of the platform' },
  1301: { status: 400, message: 'Trigger the content security policy of the platform' },
  1302: { status: 429, message: 'The API request is too fast, exceeding the platform’s rate limit' },
  1303: { status: 429, message: 'parallel task over resource pack limit' },
  1304: { status: 429, message: 'Trigger the platform’s IP whitelisting policy' },
  5000: { status: 500, message: 'Server internal error' },
  5001: { status: 503, message: 'Server temporarily unavailable, usually due to maintenance' },
  5002: { status: 504, message: 'Server internal timeout, usually due to a backlog' },
};

/** The service code a bare HTTP status stands for (faults that give only a status, the kit's own errors). */
export function codeForStatus(status: number): number {
  const exact: Record<number, number> = {
    400: 1200,
    401: 1000,
    403: 1103,
    404: 1203,
    405: 1202,
    413: 1200,
    429: 1302,
    503: 5001,
    504: 5002,
  };
  return exact[status] ?? (status >= 500 ? 5000 : 1200);
}

/** An error answer with Kling's service code. */
export class KlingError extends MockHttpError {
  override readonly name: string = 'KlingError';
  constructor(code: number, message?: string, headers?: Record<string, string>) {
    const known = KLING_ERROR_CODES[code];
    super(known?.status ?? 400, message ?? known?.message ?? 'error', { code: String(code), ...(headers ? { headers } : {}) });
  }
}

/** Any error (the mock's or the kit's) as Kling's envelope. */
export function errorReply(err: MockHttpError): JsonReply {
  const code = err.code !== null && /^\d+$/.test(err.code) ? Number(err.code) : codeForStatus(err.status);
  return json({ code, message: err.message, request_id: randomUUID() }, err.status, err.headers);
}

export function notFound(method: string, path: string): MockHttpError {
  return new KlingError(1202, `The requested method is invalid: ${method} ${path}`);
}

/** A refused parameter (1201), naming it. */
export const invalidParam = (field: string, detail: string) => new KlingError(1201, `${field}: ${detail}`);

export const taskNotFound = (id: string) => new KlingError(1203, `task not found: ${id}`);

/** A success envelope. */
export function succeed(data: unknown): JsonReply {
  return json({ code: 0, message: 'SUCCEED', request_id: randomUUID(), data });
}
