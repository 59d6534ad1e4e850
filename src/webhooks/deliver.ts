/**
 * One delivery attempt: POST the exact body with Standard Webhooks headers to the checked address, with a timeout.
 * The outcome is data (status or error), never an exception, so the caller records every attempt.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolveDestination, DestinationError } from './destination.js';
import { signedHeaders } from './signing.js';

export interface DeliveryAttempt {
  /** HTTP status of the receiver's answer, when there was one. */
  status?: number;
  /** 2xx. */
  ok: boolean;
  /** Never worth another attempt (the URL is refused by policy). */
  permanent: boolean;
  error?: string;
  durationMs: number;
}

export interface DeliveryRequest {
  url: string;
  allowPrivate: boolean;
  secret: string;
  id: string;
  body: string;
  timeoutMs: number;
  userAgent: string;
}

export async function deliverOnce(req: DeliveryRequest, now = new Date()): Promise<DeliveryAttempt> {
  const started = Date.now();
  let dest;
  try {
    dest = await resolveDestination(req.url, req.allowPrivate);
  } catch (err) {
    return { ok: false, permanent: err instanceof DestinationError, error: `callback URL ${(err as Error).message}`, durationMs: 0 };
  }
  const headers = {
    ...signedHeaders(req.secret, req.id, now, req.body),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(req.body)),
    'user-agent': req.userAgent,
  };
  const send = dest.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryAttempt>((resolve) => {
    const done = (a: Omit<DeliveryAttempt, 'durationMs'>) => resolve({ ...a, durationMs: Date.now() - started });
    const r = send(
      dest.url,
      {
        method: 'POST',
        headers,
        timeout: req.timeoutMs,
        // Connect to the address that passed the check, whatever DNS says a moment later.
        lookup: pinnedLookup(dest.address, dest.family),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done({ status, ok: status >= 200 && status < 300, permanent: false });
        });
        res.on('error', (err) => done({ ok: false, permanent: false, error: err.message }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
    r.on('error', (err) => done({ ok: false, permanent: false, error: err.message }));
    r.end(req.body);
  });
}

type LookupCallback = (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;

/** A dns.lookup stand-in that always answers the checked address (in both of the shapes Node asks for). */
function pinnedLookup(address: string, family: 4 | 6) {
  return ((_host: string, opts: { all?: boolean }, cb: LookupCallback) => {
    if (opts.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as NonNullable<Parameters<typeof httpRequest>[1]>['lookup'];
}
