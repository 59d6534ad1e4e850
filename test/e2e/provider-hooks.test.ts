/**
 * Inbound provider webhooks end to end (issue 14 item 6): a `storyreel serve --worker` process with
 * STORYREEL_PUBLIC_URL set, and the Replicate mock sending signed webhooks to it. The create carries the callback
 * URL; the scene polls once, then sleeps on its 60 s fallback interval; Replicate's signed `completed` webhook wakes
 * it and the clip is downloaded at once. A forged callback is refused (401) and wakes nothing; a genuine callback
 * for another prediction is accepted by the API and ignored by the scene. Polls are counted in the mock's log.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, startReplicateMock, type ReplicateMock } from '../../src/mock/replicate/server.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { startApiServer, until, type ApiServer } from '../helpers/api-server.js';

const KEY = 'r8_hooks-e2e';
let mock: ReplicateMock;
let api: ApiServer;

beforeAll(async () => {
  // A 10 s job: queued 200 ms, then 2.5 s per second of a 4 s clip.
  mock = await startReplicateMock({ apiKey: KEY, timing: { queuedMs: 200, msPerVideoSecond: 2500 } });
  const port = await freePort();
  api = await startApiServer(
    {
      REPLICATE_API_TOKEN: KEY,
      REPLICATE_BASE_URL: mock.baseURL,
      REPLICATE_WEBHOOK_SECRET: mock.webhookSecret,
      STORYREEL_PUBLIC_URL: `http://127.0.0.1:${port}/`,
    },
    { port },
  );
});
afterAll(async () => {
  await api?.stop();
  await mock?.close();
});

/** A Replicate-shaped webhook request for `prediction`, signed with `secret`. */
function hook(scene: string, prediction: object, secret: string) {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify(prediction);
  return fetch(`${api.url}/v1/hooks/replicate?scene=${encodeURIComponent(scene)}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(secret, id, ts, body),
    },
    body,
  });
}

describe('provider callbacks', () => {
  it('a signed Replicate webhook wakes the waiting scene: downloaded right after, with three status reads', async () => {
    const sb = {
      title: 'Callbacks',
      defaults: { provider: 'replicate', model: 'google/veo-3.1-fast', size: '1280x720', seconds: 4 },
      output: { captions: false, poster: false, contactSheet: false },
      // Polling is only the fallback: once a minute.
      providers: { replicate: { pollIntervalMs: 60_000 } },
      scenes: [{ id: 's1', prompt: 'A heron lifts off the river at dawn' }],
    };
    const created = await api.call('POST', '/v1/productions', { body: sb });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const productionId = created.body.productionId as string;
    const scene = `${productionId}/scene/s1`;

    const prediction = await until('the prediction', async () => mock.predictions()[0]);
    const reads = () => mock.requests().filter((r) => r.method === 'GET' && r.path === `/v1/predictions/${prediction.id}`);
    await until('the first poll', async () => (reads().length ? true : undefined));
    const create = mock.requests().find((r) => r.method === 'POST');
    expect(create?.status).toBe(201);

    // Forged: the right job, "succeeded", a signature made with another secret. Refused; the scene sleeps on.
    const forged = await hook(scene, { ...prediction, status: 'succeeded' }, `whsec_${randomBytes(32).toString('base64')}`);
    expect(forged.status).toBe(401);
    // Genuine, for another prediction: accepted by the API, ignored by the scene.
    const other = await hook(scene, { ...prediction, id: 'someotherprediction0000000', status: 'succeeded' }, mock.webhookSecret);
    expect(other.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    expect(reads()).toHaveLength(1);

    const done = await until(
      'the production to complete',
      async () => {
        const p = await api.call('GET', `/v1/productions/${productionId}`);
        return p.body.state === 'completed' ? p.body : undefined;
      },
      45_000, // far less than the 60 s fallback interval
    );
    expect(done.scenes[0].clip.jobId).toBe(prediction.id);
    const completed = mock.webhooks().filter((w) => w.predictionId === prediction.id && w.event === 'completed');
    expect(completed.map((w) => w.answer)).toEqual([202]);
    const download = mock.requests().find((r) => r.method === 'GET' && r.path.startsWith('/files/'));
    const afterCallbackMs = download!.time - completed[0]!.at;
    console.log(
      `callback → download ${afterCallbackMs} ms; status reads ${reads().length} (fallback interval 60 s); forged ${forged.status}, other job ${other.status}`,
    );
    expect(afterCallbackMs).toBeLessThan(15_000);
    // the first poll, the poll the callback asked for, and the download's own read: at one poll a second this
    // 10 s job would have taken about ten
    expect(reads()).toHaveLength(3);
  });
});
