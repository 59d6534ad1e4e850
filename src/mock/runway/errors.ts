/**
 * Runway's error contract: a JSON body with an `error` member ("a human-readable explanation of the problem",
 * docs.dev.runwayml.com/api-details/errors); a body validation failure adds zod-style `issues` (`code`, `path`,
 * `message`, `values`, `keys`) and a `docUrl`. Texts marked [real] were captured from the live API by its users; the
 * others are plausible stand-ins.
 */
import { json, MockHttpError, type JsonReply } from '../kit/index.js';

export const DOC_URL = 'https://docs.dev.runwayml.com/api';

/** One entry of `issues`. */
export interface Issue {
  code: 'invalid_type' | 'invalid_value' | 'too_big' | 'too_small' | 'unrecognized_keys' | 'custom';
  path: (string | number)[];
  message?: string;
  values?: readonly (string | number)[];
  keys?: string[];
}

/** Any error (the mock's or the kit's) as Runway's body; `extra` carries `issues` / `docUrl`. */
export function errorReply(err: MockHttpError): JsonReply {
  return json({ error: err.message, ...err.extra }, err.status, err.headers);
}

export function notFound(): MockHttpError {
  return new MockHttpError(404, 'Not found');
}

/** [real] `{"error":"Validation of body failed","issues":[…],"docUrl":"https://docs.dev.runwayml.com/api"}` */
export function validationFailed(issues: Issue[]): MockHttpError {
  return new MockHttpError(400, 'Validation of body failed', { code: 'validation', extra: { issues, docUrl: DOC_URL } });
}

/** [real] the answer to a GET of a task that does not exist (or was deleted). */
export const taskNotFound = () => new MockHttpError(404, 'Could not find Task');

/** [real] the 400 of a create the account's credit balance cannot pay for. */
export const NOT_ENOUGH_CREDITS = 'You do not have enough credits to run this task.';
export const notEnoughCredits = () => new MockHttpError(400, NOT_ENOUGH_CREDITS, { extra: { docUrl: DOC_URL } });

/** 429 of a create past the model's daily generation limit (docs.dev.runwayml.com/usage/tiers). */
export const dailyLimitReached = (model: string, max: number) =>
  new MockHttpError(429, `You have reached the maximum of ${max} generations per 24 hours for ${model}. Try again later.`);

export const SUPPORTED_VERSIONS = ['2024-11-06'] as const;

export const versionMissing = () =>
  new MockHttpError(400, `The X-Runway-Version header is required. Supported versions: ${SUPPORTED_VERSIONS.join(', ')}.`);

export const versionUnsupported = (given: string) =>
  new MockHttpError(400, `API version "${given}" is not supported. Supported versions: ${SUPPORTED_VERSIONS.join(', ')}.`);

export const methodNotAllowed = (allow: string) => new MockHttpError(405, 'Method not allowed', { headers: { allow } });
