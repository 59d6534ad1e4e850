/**
 * Replicate's prediction webhooks: a create's `webhook` (an http(s) URL) and `webhook_events_filter` (a subset of
 * start, output, logs, completed; all four when absent) make the mock POST the prediction object, as JSON, to the
 * URL on those events, signed per Standard Webhooks with the account's signing secret (the one
 * `GET /v1/webhooks/default/secret` answers): `webhook-id` (one per event, the same on every retry),
 * `webhook-timestamp` (unix seconds), `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`,
 * keyed with the base64-decoded part of `whsec_…`). The official SDK's `validateWebhook` verifies them.
 *
 * Events: `start` when the prediction is created, `logs` when its logs grow (at most one per 500 ms, as Replicate
 * throttles), `output` when an output appears before the prediction ends, `completed` when it ends (succeeded,
 * failed, canceled, aborted). Only `completed` is retried when the receiver does not answer 2xx (Replicate retries
 * terminal webhooks); the others are sent once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { invalidInput, type InvalidField } from './errors.js';

export const WEBHOOK_EVENTS = ['start', 'output', 'logs', 'completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookRequest {
  url: string;
  events: ReadonlySet<WebhookEvent>;
}

/** One POST of one event (a retry is another attempt under the same id). */
export interface WebhookAttempt {
  id: string;
  predictionId: string;
  event: WebhookEvent;
  /** The prediction's status in the body. */
  status: string;
  url: string;
  attempt: number;
  at: number;
  /** The receiver's HTTP status; absent when it did not answer. */
  answer?: number;
  error?: string;
}

/** The create's `webhook` and `webhook_events_filter`, validated as Replicate does (422 naming the field). */
export function parseWebhookFields(fields: Record<string, unknown>): WebhookRequest | undefined {
  const { webhook, webhook_events_filter: filter } = fields;
  const problems: InvalidField[] = [];
  if (webhook !== undefined && webhook !== null && (typeof webhook !== 'string' || !/^https?:\/\/[^\s]+$/.test(webhook)))
    problems.push({ type: 'format', field: 'webhook', description: "webhook: Does not match format 'uri'" });
  let events: Set<WebhookEvent> = new Set(WEBHOOK_EVENTS);
  if (filter !== undefined && filter !== null) {
    if (!Array.isArray(filter))
      problems.push({ type: 'invalid_type', field: 'webhook_events_filter', description: 'Invalid type. Expected: array' });
    else {
      filter.forEach((e, i) => {
        if (!WEBHOOK_EVENTS.includes(e as WebhookEvent))
          problems.push({
            type: 'enum',
            field: `webhook_events_filter.${i}`,
            description: `webhook_events_filter.${i} must be one of the following: ${WEBHOOK_EVENTS.map((v) => `"${v}"`).join(', ')}`,
          });
      });
      events = new Set(filter as WebhookEvent[]);
    }
  }
  if (problems.length) throw invalidInput(problems);
  return typeof webhook === 'string' ? { url: webhook, events } : undefined;
}

/** `whsec_` + base64 of 32 random bytes, like Replicate's signing secrets. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

export interface SenderOptions {
  secret: string;
  /** Waits before each retry of a `completed` event the receiver did not take; its length is the number of retries. */
  retryDelaysMs: readonly number[];
  /** How long a receiver may take to answer. */
  timeoutMs: number;
}

export class WebhookSender {
  readonly attempts: WebhookAttempt[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: SenderOptions) {}

  /** Sends one event now (in the background); `completed` is retried until a 2xx or the retries run out. */
  send(url: string, event: WebhookEvent, prediction: { id: string; status: string }): void {
    const id = `msg_${randomBytes(16).toString('hex')}`;
    void this.attempt(url, event, prediction, id, JSON.stringify(prediction), 1);
  }

  private async attempt(url: string, event: WebhookEvent, p: { id: string; status: string }, id: string, body: string, n: number) {
    if (this.closed) return;
    const timestamp = Math.floor(Date.now() / 1000);
    const record: WebhookAttempt = { id, predictionId: p.id, event, status: p.status, url, attempt: n, at: Date.now() };
    this.attempts.push(record);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Replicate-Webhooks (mock)',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(this.opts.secret, id, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      record.answer = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
    } catch (err) {
      record.error = (err as Error).message;
    }
    const delay = this.opts.retryDelaysMs[n - 1];
    if (event !== 'completed' || delay === undefined || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(url, event, p, id, body, n + 1);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.attempts.length = 0;
  }

  close(): void {
    this.closed = true;
    this.reset();
  }
}
