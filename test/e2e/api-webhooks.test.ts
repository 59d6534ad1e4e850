/**
 * Outbound webhooks end to end: a receiver verifies every Standard Webhooks signature and records deliveries by
 * webhook-id; the API server process (with its worker) is killed mid-production and started again. Every state
 * change arrives, each under exactly one delivery id, however often a delivery is retried.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, until, untilDeliveriesFinished, type ApiServer } from '../helpers/api-server.js';

interface Delivery {
  id: string;
  type: string;
  sceneId?: string;
  take?: number;
}

let api: ApiServer;
let receiver: Server;
let receiverUrl: string;
const received: Delivery[] = [];
const refusedOnce = new Set<string>();
let badSignatures = 0;

beforeAll(async () => {
  api = await startApiServer({ STORYREEL_WEBHOOK_ALLOW_PRIVATE: '1', STORYREEL_WEBHOOK_RETRY_SCHEDULE: '1,1,1,2,2' });
  const verifier = new Webhook(api.webhookSecret);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        const msg = verifier.verify(body, req.headers as Record<string, string>) as { type: string; data: Delivery & { eventId: string } };
        const id = req.headers['webhook-id'] as string;
        // Every event's first attempt fails: deliveries must be retried, with the same id.
        if (!refusedOnce.has(id)) {
          refusedOnce.add(id);
          res.writeHead(500).end();
          return;
        }
        expect(msg.data.eventId).toBe(id);
        received.push({ id, type: msg.type, ...(msg.data.sceneId ? { sceneId: msg.data.sceneId, take: msg.data.take! } : {}) });
        res.writeHead(204).end();
      } catch {
        badSignatures++;
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});

afterAll(async () => {
  await api?.stop();
  await new Promise((r) => receiver?.close(r));
});

const key = (d: Delivery) => `${d.type}${d.sceneId ? `:${d.sceneId}:${d.take}` : ''}`;

describe('outbound webhooks', () => {
  it('delivers every state change, signed, exactly once per delivery id, across a restart of the server process', async () => {
    const sb = {
      title: 'Webhooks',
      defaults: { provider: 'local', size: '320x180', fps: 12, seconds: 1 },
      providers: { local: { pollIntervalMs: 50 } },
      review: { scenes: ['c'] },
      scenes: [
        { id: 'a', prompt: 'a lighthouse' },
        { id: 'b', prompt: 'a storm' },
        { id: 'c', prompt: 'a calm sea' },
      ],
    };
    const created = await api.call('POST', `/v1/productions?callbackUrl=${encodeURIComponent(receiverUrl)}`, { body: sb });
    expect(created.status).toBe(201);
    const id = created.body.productionId as string;
    await until('needs_review delivered', async () => (received.some((d) => d.type === 'scene.needs_review') ? true : undefined));

    // A crash: the API server and its worker die mid-production, then come back on the same work dir and queue.
    await api.restart();
    const rejected = await api.call('POST', `/v1/productions/${id}/scenes/c/reject`, { body: { note: 'bluer' } });
    expect(rejected.status).toBe(200);
    await until('take 2 in review', async () => (received.some((d) => d.type === 'scene.needs_review' && d.take === 2) ? true : undefined));
    await api.call('POST', `/v1/productions/${id}/scenes/c/approve`, { body: {} });
    await until('completed delivered', async () => (received.some((d) => d.type === 'production.completed') ? true : undefined), 90_000);
    await untilDeliveriesFinished(api, `/v1/productions/${id}/webhooks`);

    expect(badSignatures).toBe(0);
    const byId = new Map<string, Set<string>>();
    for (const d of received) byId.set(d.id, (byId.get(d.id) ?? new Set()).add(key(d)));
    // one state change per delivery id, and one delivery id per state change
    for (const changes of byId.values()) expect(changes.size).toBe(1);
    const all = [...byId.values()].map((s) => [...s][0]!);
    // The production enters waiting_for_operator once per wait it was seen in (each wait its own id); every other
    // change happens once.
    const waits = all.filter((c) => c === 'production.waiting_for_operator').length;
    expect(waits).toBeGreaterThanOrEqual(1);
    const changes = all.filter((c) => c !== 'production.waiting_for_operator');
    expect(changes.sort()).toEqual(
      [
        'scene.ready:a:1',
        'scene.ready:b:1',
        'scene.needs_review:c:1',
        'scene.needs_review:c:2',
        'scene.ready:c:2',
        'production.completed',
      ].sort(),
    );
    const deliveries = await api.call('GET', `/v1/productions/${id}/webhooks`);
    expect(deliveries.body.deliveries).toHaveLength(6 + waits);
    for (const d of deliveries.body.deliveries) {
      expect(d.state).toBe('delivered');
      expect(d.attempts.length).toBeGreaterThanOrEqual(2);
      expect(d.attempts[0].status).toBe(500);
      expect(d.attempts.at(-1).status).toBe(204);
    }
  });
});
