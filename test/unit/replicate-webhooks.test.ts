/**
 * The Replicate mock's prediction webhooks, through the official `replicate` SDK: the create's `webhook` and
 * `webhook_events_filter`, the signing secret the SDK reads, Standard Webhooks signatures the SDK's
 * `validateWebhook` accepts (and refuses when tampered with), and `completed` retried under the same webhook-id.
 */
import Replicate, { validateWebhook } from 'replicate';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicateMock, type ReplicateMock } from '../../src/mock/replicate/server.js';
import { oncePerRequest } from '../../src/providers/replicate/http.js';

const KEY = 'r8_webhook-test';
let mock: ReplicateMock;
let receiver: Server;
let hookUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let refuseCompletedOnce = true;

beforeAll(async () => {
  mock = await startReplicateMock({
    apiKey: KEY,
    prerender: false,
    timing: { queuedMs: 300, msPerVideoSecond: 100 },
    webhookRetryDelaysMs: [200, 200],
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const completed = (JSON.parse(body) as { status: string }).status !== 'starting';
      if (completed && refuseCompletedOnce) {
        refuseCompletedOnce = false;
        res.writeHead(503).end();
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook?scene=x`;
});
afterAll(async () => {
  await mock?.close();
  await new Promise((r) => receiver?.close(r));
});

const sdk = () => new Replicate({ auth: KEY, baseUrl: mock.baseURL, fetch: oncePerRequest(new URL(mock.url).origin) });
const asRequest = (r: (typeof received)[number], body = r.body) =>
  new Request(hookUrl, { method: 'POST', headers: r.headers as Record<string, string>, body });

describe('prediction webhooks', () => {
  it('sends start and completed, signed with the secret the SDK reads; completed is retried under the same id', async () => {
    const secret = (await sdk().webhooks.default.secret.get()).key;
    expect(secret).toBe(mock.webhookSecret);
    const created = await sdk().predictions.create({
      model: 'google/veo-3.1-fast',
      input: { prompt: 'a kite over the dunes', duration: 4, resolution: '720p', aspect_ratio: '16:9' },
      webhook: hookUrl,
      webhook_events_filter: ['start', 'completed'],
    });
    const deadline = Date.now() + 20_000;
    while (received.filter((r) => r.body.includes('"succeeded"')).length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));

    const bodies = received.map((r) => JSON.parse(r.body) as { id: string; status: string; output: unknown });
    expect(bodies.map((b) => b.status)).toEqual(['starting', 'succeeded', 'succeeded']);
    expect(bodies.every((b) => b.id === created.id)).toBe(true);
    expect(bodies[2]!.output).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/.+\.mp4$/);
    for (const r of received) expect(await validateWebhook(asRequest(r), secret)).toBe(true);
    expect(await validateWebhook(asRequest(received[2]!, received[2]!.body.replace('succeeded', 'failed')), secret)).toBe(false);
    // one id per event, the same on its retry
    expect(received[1]!.headers['webhook-id']).toBe(received[2]!.headers['webhook-id']);
    expect(received[0]!.headers['webhook-id']).not.toBe(received[1]!.headers['webhook-id']);
    expect(mock.webhooks().map((a) => [a.event, a.attempt, a.answer])).toEqual([
      ['start', 1, 204],
      ['completed', 1, 503],
      ['completed', 2, 204],
    ]);
  });

  it('refuses a webhook that is not a URL and an unknown event, naming the field (422)', async () => {
    const res = await fetch(`${mock.baseURL}/models/google/veo-3.1-fast/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { prompt: 'x' }, webhook: 'not a url', webhook_events_filter: ['done'] }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { invalid_fields: { field: string }[] };
    expect(body.invalid_fields.map((f) => f.field)).toEqual(['webhook', 'webhook_events_filter.0']);
  });
});
