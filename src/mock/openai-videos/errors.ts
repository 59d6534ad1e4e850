/**
 * The OpenAI error contract: every non-2xx JSON answer is `{"error":{"message","type","param","code"}}`
 * (`ErrorResponse` in openapi.yaml). Message texts marked [real] are ones users reported from the live API (for the
 * Videos endpoints, or the same generic validator on other OpenAI endpoints); unmarked texts and most `code` values
 * are plausible stand-ins where the real text is unknown.
 */
import { json, MockHttpError, type JsonReply } from '../kit/index.js';

export interface ErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export interface ErrorBody {
  error: ErrorObject;
}

/** Thrown by request handlers; the kit answers it through `errorReply`. */
export class ApiError extends MockHttpError {
  override readonly name: string = 'ApiError';
}

/** OpenAI's `type` when an error names none: `server_error` for 5xx, else `invalid_request_error`. */
export function errorType(err: MockHttpError): string {
  return err.type ?? (err.status >= 500 ? 'server_error' : 'invalid_request_error');
}

/** Any error (the mock's or the kit's) as OpenAI's error body. */
export function errorReply(err: MockHttpError): JsonReply {
  const body: ErrorBody = { error: { message: err.message, type: errorType(err), param: err.param, code: err.code } };
  return json(body, err.status, err.headers);
}

/** `'a'`, `'a' and 'b'`, `'a', 'b', and 'c'`: the list style of OpenAI's enum errors. */
export function quotedList(values: readonly string[]): string {
  const q = values.map((v) => `'${v}'`);
  if (q.length <= 1) return q.join('');
  if (q.length === 2) return `${q[0]} and ${q[1]}`;
  return `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
}

/** [real] `Invalid value: '10'. Supported values are: '4', '8', and '12'.` */
export function invalidValue(param: string, value: string, allowed: readonly string[]): ApiError {
  return new ApiError(400, `Invalid value: '${value}'. Supported values are: ${quotedList(allowed)}.`, { param, code: 'invalid_value' });
}

/** [real] `Missing required parameter: 'prompt'.` */
export function missingParameter(param: string): ApiError {
  return new ApiError(400, `Missing required parameter: '${param}'.`, { param, code: 'missing_required_parameter' });
}

/** [real] `Unknown parameter: 'foo'.` */
export function unknownParameter(param: string): ApiError {
  return new ApiError(400, `Unknown parameter: '${param}'.`, { param, code: 'unknown_parameter' });
}

/** [real] `Invalid type for 'input_reference': expected a file, but got a string instead.` */
export function invalidType(param: string, expected: string, value: unknown): ApiError {
  return new ApiError(400, `Invalid type for '${param}': expected ${expected}, but got ${describeJsonType(value)} instead.`, {
    param,
    code: 'invalid_type',
  });
}

/** [real] `Invalid 'prompt': string too long. Expected a string with maximum length 32000, but got a string with length 32001 instead.` */
export function stringTooLong(param: string, max: number, length: number): ApiError {
  return new ApiError(
    400,
    `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${length} instead.`,
    { param, code: 'string_above_max_length' },
  );
}

/** [real] `Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead.` */
export function emptyString(param: string): ApiError {
  return new ApiError(400, `Invalid '${param}': empty string. Expected a string with minimum length 1, but got an empty string instead.`, {
    param,
    code: 'empty_string',
  });
}

/** [real] `Invalid file 'input_reference': unsupported mimetype ('application/octet-stream'). Supported file formats are 'image/jpeg', ...` */
export function unsupportedMimetype(param: string, mimetype: string, supported: readonly string[]): ApiError {
  return new ApiError(
    400,
    `Invalid file '${param}': unsupported mimetype ('${mimetype}'). Supported file formats are ${quotedList(supported)}.`,
    {
      param,
      code: 'unsupported_file',
    },
  );
}

/** [real] OpenAI's answer to a route it does not have: `Invalid URL (POST /v1/foo)`. */
export function invalidUrl(method: string, path: string): ApiError {
  return new ApiError(404, `Invalid URL (${method} ${path})`);
}

export function videoNotFound(id: string, param: string | null = null): ApiError {
  return new ApiError(404, `Video with id '${id}' not found.`, { param, code: 'video_not_found' });
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'object' && value && (value as { kind?: unknown }).kind === 'file') return 'a file';
  return 'an object';
}
