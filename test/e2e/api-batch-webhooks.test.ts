/**
 * Batch callbacks (issue 14 item 5): POST /v1/batches?callbackUrl=… delivers each item's outcome and the batch's end
 * as Standard Webhooks signed requests through the productions' delivery loop. The receiver verifies every signature,
 * refuses each event's first attempt (so every delivery is retried) and sees each state change under exactly one
 * delivery id.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, until, untilDeliveriesFinished, type ApiServer } from '../helpers/api-server.js';

interface Received {
  id: string;
  type: string;
  itemKey?: string;
  state: string;
}

let api: ApiServer;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
const attempts = new Map<string, number>();
let badSignatures = 0;

beforeAll(async () => {
  api = await startApiServer({ STORYREEL_WEBHOOK_ALLOW_PRIVATE: '1', STORYREEL_WEBHOOK_RETRY_SCHEDULE: '1,1,2' });
  const verifier = new Webhook(api.webhookSecret);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        const msg = verifier.verify(body, req.headers as Record<string, string>) as { type: string; data: Received & { eventId: string } };
        const id = req.headers['webhook-id'] as string;
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        if (attempts.get(id) === 1) return void res.writeHead(500).end(); // every delivery is retried
        expect(msg.data.eventId).toBe(id);
        received.push({ id, type: msg.type, state: msg.data.state, ...(msg.data.itemKey ? { itemKey: msg.data.itemKey } : {}) });
        res.writeHead(204).end();
      } catch {
        badSignatures++;
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/batch-hooks`;
});
afterAll(async () => {
  await api?.stop();
  await new Promise((r) => receiver?.close(r));
});

const story = (title: string, prompt: string, local: Record<string, unknown> = {}) => ({
  title,
  defaults: { provider: 'local', size: '160x90', fps: 12, seconds: 1 },
  providers: { local: { pollIntervalMs: 50, ...local } },
  scenes: [{ id: 'a', prompt }],
});

describe('batch webhooks', () => {
  it('each item done or failed, then the batch completed: signed, retried, exactly once per delivery id', async () => {
    const batch = {
      batch: 'hooks-batch',
      maxParallelProductions: 2,
      items: [
        { id: 'good', storyboard: story('Good', 'a harbour at noon') },
        {
          id: 'bad',
          storyboard: story('Bad', 'a harbour at night', {
            maxJobAttempts: 1,
            faults: [{ scene: 'a', on: 'job', kind: 'job_failed', times: 5 }],
          }),
        },
      ],
    };
    const created = await api.call('POST', `/v1/batches?callbackUrl=${encodeURIComponent(receiverUrl)}`, { body: batch });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.links.webhooks).toBe('/v1/batches/hooks-batch/webhooks');
    await until('batch.completed delivered', async () => (received.some((r) => r.type === 'batch.completed') ? true : undefined), 90_000);
    await untilDeliveriesFinished(api, '/v1/batches/hooks-batch/webhooks');

    expect(badSignatures).toBe(0);
    const byId = new Map<string, Set<string>>();
    for (const r of received) byId.set(r.id, (byId.get(r.id) ?? new Set()).add(`${r.type}:${r.itemKey ?? ''}:${r.state}`));
    for (const changes of byId.values()) expect(changes.size).toBe(1);
    const changes = [...byId.values()].map((s) => [...s][0]!).sort();
    console.log(`batch webhooks: ${changes.join(', ')}; attempts per id ${[...attempts.values()].join(',')}`);
    expect(changes).toEqual(['batch.completed::completed', 'batch.item_done:good:completed', 'batch.item_failed:bad:failed']);
    expect(received).toHaveLength(3); // each change delivered (2xx) once

    const deliveries = await api.call('GET', '/v1/batches/hooks-batch/webhooks');
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.deliveries).toHaveLength(3);
    for (const d of deliveries.body.deliveries) {
      expect(d.state).toBe('delivered');
      expect(d.attempts.map((a: { status?: number }) => a.status)).toEqual([500, 204]);
    }
  });

  it('refuses a callback URL the server cannot sign for or reach safely, naming the field', async () => {
    const bad = await api.call('POST', `/v1/batches?callbackUrl=${encodeURIComponent('ftp://example.com/x')}`, {
      body: { batch: 'hooks-bad', items: [{ id: 'x', storyboard: story('X', 'x') }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('callbackUrl');
  });
});
