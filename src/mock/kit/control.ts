/**
 * The control endpoints beside every mock's API (not logged, no auth):
 *
 *   GET  /__mock/requests            the request log (JSON array of RequestLogEntry)
 *   GET  /__mock/faults              current rules with their `seen`/`fired` counters
 *   POST /__mock/faults[?replace=1]  a JSON FaultRule or an array of them: appended (or replacing the current ones);
 *                                    answers {ok, added, total}; an invalid rule is a 400 `invalid_fault`
 *   POST /__mock/reset               forgets jobs, faults, the log and published media; answers {ok}
 *   GET  /__mock/<listing>           a provider's state listing (e.g. `/__mock/videos`)
 */
import type { ServerResponse } from 'node:http';
import { MockHttpError } from './errors.js';
import type { FaultBook, FaultRule } from './faults.js';
import type { RequestLogEntry } from './request-log.js';
import { json, sendBody, type JsonReply } from './respond.js';

export interface ControlContext {
  requests(): RequestLogEntry[];
  faults: FaultBook;
  reset(): void;
  listings: Record<string, () => unknown>;
  errorReply(err: MockHttpError): JsonReply;
  notFound(method: string, path: string): MockHttpError;
}

export async function handleControl(method: string, url: URL, raw: Buffer, res: ServerResponse, ctx: ControlContext): Promise<void> {
  const send = (reply: JsonReply) => sendBody(res, reply);
  const verb = method.toUpperCase();
  const name = url.pathname.slice('/__mock/'.length);
  if (verb === 'GET' && name === 'requests') return send(json(ctx.requests()));
  if (verb === 'GET' && name === 'faults') return send(json(ctx.faults.status()));
  if (verb === 'POST' && name === 'reset') {
    ctx.reset();
    return send(json({ ok: true }));
  }
  if (verb === 'POST' && name === 'faults') {
    let rules: FaultRule[];
    try {
      rules = ctx.faults.parseRules(JSON.parse(raw.toString('utf8') || 'null'));
    } catch (err) {
      return send(ctx.errorReply(new MockHttpError(400, (err as Error).message, { type: 'mock_error', code: 'invalid_fault' })));
    }
    if (['1', 'true'].includes(url.searchParams.get('replace') ?? '')) ctx.faults.set(rules);
    else ctx.faults.add(rules);
    return send(json({ ok: true, added: rules.length, total: ctx.faults.status().length }));
  }
  const listing = Object.hasOwn(ctx.listings, name) ? ctx.listings[name] : undefined;
  if (verb === 'GET' && listing) return send(json(listing()));
  return send(ctx.errorReply(ctx.notFound(verb, url.pathname)));
}
