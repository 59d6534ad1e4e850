import { type ApplicationFailure } from '@temporalio/common';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { toFailure } from '../../activities/to-failure.js';
import { ProviderError, retryAfterMsFromHeaders } from '../../src/providers/errors.js';
import { classifyOpenAIError } from '../../src/providers/openai-videos/provider.js';
import { BackoffGate } from '../../src/providers/registry.js';

const apiError = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  APIError.generate(status, { error: body }, undefined, new Headers({ 'x-request-id': 'req_abc', ...headers }));

const classify = (err: unknown, op: 'create' | 'read' | 'download' = 'create') => classifyOpenAIError(err, op) as ProviderError;

describe('OpenAI errors map to one taxonomy by class, status and body (never message text)', () => {
  it('429 rate limit → rate_limited with Retry-After', () => {
    const e = classify(apiError(429, { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' }, { 'retry-after': '3' }));
    expect([e.kind, e.retryable, e.retryAfterMs, e.requestId, e.scope]).toEqual(['rate_limited', true, 3000, 'req_abc', 'provider']);
  });

  it('retry-after-ms wins over Retry-After', () => {
    const e = classify(apiError(429, { message: 'x', code: 'rate_limit_exceeded' }, { 'retry-after': '3', 'retry-after-ms': '1500' }));
    expect(e.retryAfterMs).toBe(1500);
  });

  it('429 with a quota code → quota_exhausted, never retried, even if its message says rate limit', () => {
    const e = classify(apiError(429, { message: 'Rate limit reached', type: 'insufficient_quota', code: 'credit_balance_exhausted' }));
    expect([e.kind, e.retryable, e.providerCode]).toEqual(['quota_exhausted', false, 'credit_balance_exhausted']);
  });

  it('a message that mentions quota does not make a rate limit a quota error', () => {
    expect(classify(apiError(429, { message: 'You exceeded your current quota', code: 'rate_limit_exceeded' })).kind).toBe('rate_limited');
  });

  it('400 → invalid_request; moderation code → content_policy naming the input', () => {
    expect(classify(apiError(400, { message: "Invalid value: '10'.", param: 'seconds', code: 'invalid_value' })).kind).toBe(
      'invalid_request',
    );
    const m = classify(apiError(400, { message: 'blocked', param: 'input_reference', code: 'moderation_blocked' }));
    expect([m.kind, m.input, m.retryable]).toEqual(['content_policy', 'reference_image', false]);
  });

  it('401/403 → auth; 404 → not_found on reads, output_expired on downloads, model_unavailable on create', () => {
    expect(classify(apiError(401, { message: 'bad key', code: 'invalid_api_key' })).kind).toBe('auth');
    expect(classify(apiError(403, { message: 'region' })).kind).toBe('auth');
    expect(classify(apiError(404, { message: 'no' }), 'read').kind).toBe('not_found');
    expect(classify(apiError(404, { message: 'gone' }), 'download').kind).toBe('output_expired');
    expect(classify(apiError(404, { message: 'model not found', code: 'model_not_found' }), 'create').kind).toBe('model_unavailable');
  });

  it('a create that may have reached the server is ambiguous; the same failure on a read is transient', () => {
    for (const err of [
      new APIConnectionTimeoutError(),
      new APIConnectionError({ message: 'socket hang up' }),
      apiError(500, { message: 'x' }),
      apiError(502, { message: 'x' }),
      apiError(503, { message: 'x' }),
      apiError(504, { message: 'x' }),
    ]) {
      expect(classify(err, 'create').kind).toBe('ambiguous_submit');
      expect(classify(err, 'read').kind).toBe('transient');
    }
  });

  it('x-should-retry: false makes any kind non-retryable', () => {
    expect(classify(apiError(503, { message: 'x' }, { 'x-should-retry': 'false' }), 'read').retryable).toBe(false);
  });
});

describe('one translation into Temporal failures', () => {
  it('non-retryable kinds become non-retryable failures typed by kind', () => {
    const f = toFailure(new ProviderError('quota_exhausted', 'out of credit', { provider: 'p' })) as ApplicationFailure;
    expect([f.type, f.nonRetryable]).toEqual(['quota_exhausted', true]);
    expect(f.details?.[0]).toMatchObject({ kind: 'quota_exhausted', provider: 'p' });
  });

  it('rate limits carry nextRetryDelay from Retry-After', () => {
    const f = toFailure(new ProviderError('rate_limited', 'slow', { provider: 'p', retryAfterMs: 3000 })) as ApplicationFailure;
    expect([f.type, f.nonRetryable, f.nextRetryDelay]).toEqual(['rate_limited', false, 3000]);
  });

  it('transient errors stay retryable', () => {
    const f = toFailure(new ProviderError('transient', 'blip', { provider: 'p' })) as ApplicationFailure;
    expect(f.nonRetryable).toBe(false);
  });
});

describe('Retry-After parsing', () => {
  const h = (o: Record<string, string>) => (n: string) => o[n];
  it('reads seconds, milliseconds and HTTP dates, and caps at an hour', () => {
    expect(retryAfterMsFromHeaders(h({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMsFromHeaders(h({ 'retry-after-ms': '250.5' }))).toBe(250.5);
    expect(retryAfterMsFromHeaders(h({ 'retry-after': new Date(10_000 + 5_000).toUTCString() }), 10_000)).toBeGreaterThan(4000);
    expect(retryAfterMsFromHeaders(h({ 'retry-after': '999999' }))).toBe(3_600_000);
    expect(retryAfterMsFromHeaders(h({}))).toBeUndefined();
    expect(retryAfterMsFromHeaders(h({ 'retry-after': 'soon' }))).toBeUndefined();
  });
});

describe('the backoff gate holds every call to a provider after a Retry-After', () => {
  it('waits out the block', async () => {
    const gate = new BackoffGate();
    gate.blockFor(300);
    const t0 = Date.now();
    await gate.wait();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(gate.remaining()).toBe(0);
  });
});
