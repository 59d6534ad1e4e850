/**
 * Google's error format (AIP-193): `{"error": {"code": 429, "message": "…", "status": "RESOURCE_EXHAUSTED",
 * "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain, metadata}, RetryInfo,
 * QuotaFailure, …]}}`. Texts marked [real] were reported from the live APIs; the others are stand-ins.
 */
import { json, MockHttpError, type ErrorFault, type JsonReply } from '../kit/index.js';

/** The canonical status name Google pairs with each HTTP status. */
export const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  413: 'INVALID_ARGUMENT',
  416: 'OUT_OF_RANGE',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const type = (name: string) => `type.googleapis.com/google.rpc.${name}`;

export class GoogleError extends MockHttpError {
  override readonly name: string = 'GoogleError';
}

/** An error in Google's format; `status` overrides the canonical name (e.g. 400 FAILED_PRECONDITION). */
export function googleError(
  code: number,
  message: string,
  opts: { status?: string; details?: unknown[]; headers?: Record<string, string> } = {},
): GoogleError {
  return new GoogleError(code, message, {
    code: opts.status ?? STATUS_NAMES[code] ?? 'UNKNOWN',
    ...(opts.headers ? { headers: opts.headers } : {}),
    extra: { details: opts.details ?? [] },
  });
}

export function errorInfo(reason: string, domain = 'googleapis.com', metadata: Record<string, string> = {}): Record<string, unknown> {
  return { '@type': type('ErrorInfo'), reason, domain, metadata };
}

/** Any error (the mock's or the kit's) in Google's format. */
export function errorReply(err: MockHttpError): JsonReply {
  const status = err instanceof GoogleError ? err.code : (STATUS_NAMES[err.status] ?? 'UNKNOWN');
  const details = Array.isArray(err.extra.details) ? err.extra.details : [];
  return json(
    { error: { code: err.status, message: err.message, status, ...(details.length ? { details } : {}) } },
    err.status,
    err.headers,
  );
}

export function notFound(method: string, path: string): GoogleError {
  return googleError(404, `Method not found: ${method} ${path}.`);
}

/** [real] the Gemini API's answer to a wrong key. */
export function invalidApiKey(service: string): GoogleError {
  return googleError(400, 'API key not valid. Please pass a valid API key.', {
    details: [errorInfo('API_KEY_INVALID', 'googleapis.com', { service })],
  });
}

/** [real] no credential at all. */
export function unregisteredCaller(): GoogleError {
  return googleError(
    403,
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );
}

/** [real] a Vertex call without a valid OAuth token. */
export function unauthenticated(): GoogleError {
  return googleError(
    401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { details: [errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED')] },
  );
}

/** A rate-limit answer: a per-minute quota, with RetryInfo when the fault gives a delay. */
function rateLimited(retryAfterS: number | undefined): JsonReply {
  return errorReply(
    googleError(429, 'You exceeded your current quota, please check your plan and billing details. [per-minute request limit]', {
      details: [
        {
          '@type': type('QuotaFailure'),
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model',
              quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
              quotaValue: '10',
            },
          ],
        },
        ...(retryAfterS !== undefined ? [{ '@type': type('RetryInfo'), retryDelay: `${retryAfterS}s` }] : []),
      ],
    }),
  );
}

/** An exhausted quota: the per-day request quota (nothing more runs until it resets). */
function quotaExhausted(): JsonReply {
  return errorReply(
    googleError(429, 'You exceeded your current quota, please check your plan and billing details. [daily request limit]', {
      details: [
        {
          '@type': type('QuotaFailure'),
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model_per_day',
              quotaId: 'GenerateRequestsPerDayPerProjectPerModel',
              quotaValue: '50',
            },
          ],
        },
      ],
    }),
  );
}

const DEFAULT_TEXT: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials.',
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  409: 'The operation was aborted.',
  500: 'Internal error encountered.',
  502: 'Bad Gateway',
  503: 'The service is currently unavailable.',
  504: 'The request timed out. Please try again.',
};

/** The body of an injected `http`, `rate_limit` or `quota` fault; an `http` fault's `code` becomes an ErrorInfo reason. */
export function faultBody(action: ErrorFault): JsonReply {
  if (action.type === 'quota') return quotaExhausted();
  if (action.type === 'rate_limit') return rateLimited(action.retryAfter);
  const status = action.errorType ?? STATUS_NAMES[action.status];
  return errorReply(
    googleError(action.status, action.message ?? DEFAULT_TEXT[action.status] ?? `HTTP ${action.status}`, {
      ...(status ? { status } : {}),
      ...(action.code ? { details: [errorInfo(action.code)] } : {}),
    }),
  );
}
