/**
 * OpenAI's answers to injected error faults (the kit adds Retry-After / retry-after-ms / x-should-retry and renders
 * HTML gateway pages), the invalid-body texts, and the informational `x-ratelimit-*` headers.
 */
import { parseBody, MockHttpError, type ErrorFault, type JsonReply, type ParsedBody } from '../kit/index.js';
import { ApiError, errorReply } from './errors.js';

const HTTP_DEFAULTS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Bad request.', type: 'invalid_request_error', code: null },
  401: {
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  403: { message: 'Country, region, or territory not supported', type: 'request_forbidden', code: 'unsupported_country_region_territory' },
  404: {
    message: 'The model `sora-2` does not exist or you do not have access to it.',
    type: 'invalid_request_error',
    code: 'model_not_found',
  },
  409: { message: 'Another request is modifying this resource. Please try again.', type: 'invalid_request_error', code: 'conflict' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  502: { message: 'Bad gateway.', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
  504: { message: 'Gateway timeout.', type: 'server_error', code: null },
};

/** [real] text of a quota 429. */
const QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';

/** The body of an `http`, `rate_limit` or `quota` fault. */
export function faultBody(action: ErrorFault): JsonReply {
  if (action.type === 'quota') {
    return errorReply(new ApiError(429, QUOTA_MESSAGE, { type: 'insufficient_quota', code: 'credit_balance_exhausted' }));
  }
  if (action.type === 'rate_limit') {
    const wait =
      action.retryAfterMs !== undefined ? `${action.retryAfterMs}ms` : action.retryAfter !== undefined ? `${action.retryAfter}s` : '20s';
    const message = `Rate limit reached for sora-2 in organization org-mock on requests per min (RPM): Limit 25, Used 25, Requested 1. Please try again in ${wait}. Visit https://platform.openai.com/account/rate-limits to learn more.`;
    return errorReply(
      new ApiError(429, message, { type: 'requests', code: 'rate_limit_exceeded', headers: { 'x-ratelimit-remaining-requests': '0' } }),
    );
  }
  const d = HTTP_DEFAULTS[action.status] ?? {
    message: `HTTP ${action.status}`,
    type: action.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  return errorReply(
    new ApiError(action.status, action.message ?? d.message, { type: action.errorType ?? d.type, code: action.code ?? d.code }),
  );
}

/** [real] The live API's answer to a body that is not JSON. */
const INVALID_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

/** The kit's body parser with the live API's texts for bodies it refuses. */
export async function parseOpenAIBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  try {
    return await parseBody(raw, contentType);
  } catch (err) {
    if (!(err instanceof MockHttpError)) throw err;
    if (err.code === 'invalid_json') throw new ApiError(400, INVALID_JSON);
    if (err.code === 'unsupported_content_type') {
      const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
      throw new ApiError(
        400,
        `Unsupported content type: '${mime}'. This API method only accepts 'application/json' and 'multipart/form-data' requests, but you specified the header 'Content-Type: ${contentType}'. Please try again with a supported content type.`,
        { code: 'unsupported_content_type' },
      );
    }
    throw err;
  }
}

/**
 * `x-ratelimit-*-requests` headers from a fixed one-minute window. Informational only: the mock never limits by
 * itself (inject `rate_limit` faults for that). Reset is a duration string like `59.2s` or `1m0s`.
 */
export class RateWindow {
  private start = 0;
  private count = 0;
  constructor(private readonly limitPerMinute: number) {}

  headers(nowMs: number): Record<string, string> {
    if (nowMs - this.start >= 60_000 || nowMs < this.start) {
      this.start = nowMs;
      this.count = 0;
    }
    this.count++;
    return {
      'x-ratelimit-limit-requests': String(this.limitPerMinute),
      'x-ratelimit-remaining-requests': String(Math.max(0, this.limitPerMinute - this.count)),
      'x-ratelimit-reset-requests': durationText(this.start + 60_000 - nowMs),
    };
  }
}

/** Go-style duration text as OpenAI sends it: `20ms`, `1.5s`, `6m0s`. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  return `${Math.floor(s / 60)}m${Number((s % 60).toFixed(3))}s`;
}
