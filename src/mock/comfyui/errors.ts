/**
 * ComfyUI's answers that are not 200. `POST /prompt` refuses with 400 `{"error": {type, message, details,
 * extra_info}, "node_errors": {...}}` (server.py); most other routes answer a bare status with an empty body
 * (`web.Response(status=400)`), and aiohttp answers unknown paths `404: Not Found`. Injected faults (a proxy or a
 * paid host in front of ComfyUI: 429, 402, 5xx) use the `/prompt` error shape so a client can always read them.
 */
import { json, MockHttpError, type ErrorFault, type JsonReply } from '../kit/index.js';
import type { ComfyError, NodeErrors } from './validate.js';

export interface ErrorBody {
  error: ComfyError;
  node_errors: Record<string, NodeErrors>;
}

/** Any error (the mock's or the kit's) as ComfyUI's error body. */
export function errorReply(err: MockHttpError): JsonReply {
  const body: ErrorBody = {
    error: {
      type: err.type ?? err.code ?? (err.status >= 500 ? 'server_error' : 'invalid_request'),
      message: err.message,
      details: typeof err.extra.details === 'string' ? err.extra.details : '',
      extra_info: (err.extra.extra_info as Record<string, unknown> | undefined) ?? {},
    },
    node_errors: (err.extra.node_errors as Record<string, NodeErrors> | undefined) ?? {},
  };
  return json(body, err.status, err.headers);
}

/** A `/prompt` refusal: the validation error and the per-node errors. */
export function promptError(error: ComfyError, nodeErrors: Record<string, NodeErrors>): MockHttpError {
  return new MockHttpError(400, error.message, {
    type: error.type,
    extra: { details: error.details, extra_info: error.extra_info, node_errors: nodeErrors },
  });
}

export function notFound(): MockHttpError {
  return new MockHttpError(404, '404: Not Found', { type: 'not_found' });
}

const TEXTS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The body of an `http`, `rate_limit` or `quota` fault (the kit adds Retry-After). */
export function faultBody(action: ErrorFault): JsonReply {
  if (action.type === 'quota') {
    return errorReply(
      new MockHttpError(402, 'Insufficient credits: top up the account of this ComfyUI host to queue more prompts.', {
        type: 'insufficient_credits',
      }),
    );
  }
  if (action.type === 'rate_limit') return errorReply(new MockHttpError(429, 'Too many requests: slow down.', { type: 'rate_limited' }));
  const text = action.message ?? `${action.status}: ${TEXTS[action.status] ?? 'Error'}`;
  return errorReply(new MockHttpError(action.status, text, { type: action.errorType ?? action.code ?? 'server_error' }));
}
