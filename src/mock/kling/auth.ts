/**
 * Kling's API token check: `Authorization: Bearer <JWT>`, HS256 signed with the account's secret key, `iss` = its
 * access key, within `nbf`..`exp` by the mock's clock. Verified with `jose`, answered with Kling's codes:
 *
 *   no Authorization header                         401 1001 Authorization is empty
 *   not `Bearer <JWT>`, bad signature, no `exp`      401 1002 Authorization is invalid
 *   another access key (`iss`)                      401 1000 Authentication failed
 *   `nbf` in the future                             401 1003 Authorization is not yet valid
 *   `exp` passed                                    401 1004 Authorization has expired
 */
import type { IncomingHttpHeaders } from 'node:http';
import { errors, jwtVerify } from 'jose';
import { KlingError } from './errors.js';

export interface AccountKeys {
  accessKey: string;
  secretKey: string;
}

export async function verifyToken(headers: IncomingHttpHeaders, keys: AccountKeys, nowMs: number): Promise<void> {
  const auth = headers.authorization;
  if (!auth) throw new KlingError(1001);
  const token = /^Bearer (\S+)$/.exec(auth.trim())?.[1];
  if (!token) throw new KlingError(1002, 'Authorization is invalid: expected "Bearer <token>"');
  try {
    await jwtVerify(token, new TextEncoder().encode(keys.secretKey), {
      algorithms: ['HS256'],
      issuer: keys.accessKey,
      requiredClaims: ['iss', 'exp'],
      currentDate: new Date(nowMs),
    });
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new KlingError(1004);
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf') throw new KlingError(1003);
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'iss') throw new KlingError(1000);
    throw new KlingError(1002);
  }
}
