/**
 * The callback URL a create carries (issue 14 item 6): built from STORYREEL_PUBLIC_URL and the scene's workflow id,
 * refused with the variable's name when malformed; sent by the replicate adapter as `webhook` with only `completed`
 * events (seen in the mock's webhook log) and by the fal adapter as `fal_webhook` (seen in the mock's request log).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../../src/contracts/jobs.js';
import { startFalMock, type FalMock } from '../../src/mock/fal/server.js';
import { startReplicateMock, type ReplicateMock } from '../../src/mock/replicate/server.js';
import { FalProvider } from '../../src/providers/fal/provider.js';
import { ReplicateProvider } from '../../src/providers/replicate/provider.js';
import { providerCallbackUrl, publicBaseFrom } from '../../src/webhooks/provider-callback.js';

let replicate: ReplicateMock;
let fal: FalMock;
let receiver: Server;
let receiverUrl: string;
beforeAll(async () => {
  replicate = await startReplicateMock({ apiKey: 'k', prerender: false, timing: { queuedMs: 50, msPerVideoSecond: 50 } });
  fal = await startFalMock({ apiKey: 'fal-k', timing: { queuedMs: 50, msPerVideoSecond: 50 } });
  receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(202).end()));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/hooks/replicate?scene=p%2Fscene%2Fs1`;
});
afterAll(async () => {
  await replicate?.close();
  await fal?.close();
  await new Promise((r) => receiver?.close(r));
});

const request = (model: string, seconds: number): GenerateRequest => ({
  clientRef: 'p:s1:1.1',
  model,
  prompt: 'a lantern in the fog',
  seconds,
  size: { width: 1280, height: 720 },
  fps: 24,
});

describe('the callback URL', () => {
  it('is <public base>/v1/hooks/<provider>?scene=<scene workflow id>, only for providers with callbacks', () => {
    const env = { STORYREEL_PUBLIC_URL: 'https://reel.example.com/studio/' };
    expect(providerCallbackUrl(env, 'replicate', 'prod-1/scene/s1/take-2')).toBe(
      'https://reel.example.com/studio/v1/hooks/replicate?scene=prod-1%2Fscene%2Fs1%2Ftake-2',
    );
    expect(providerCallbackUrl(env, 'openai-videos', 'prod-1/scene/s1')).toBeUndefined();
    expect(providerCallbackUrl({ STORYREEL_PUBLIC_URL: '' }, 'fal', 'prod-1/scene/s1')).toBeUndefined();
    expect(() => publicBaseFrom({ STORYREEL_PUBLIC_URL: 'reel.example.com' })).toThrow(/STORYREEL_PUBLIC_URL must be an absolute/);
    expect(() => publicBaseFrom({ STORYREEL_PUBLIC_URL: 'https://u:p@reel.example.com' })).toThrow(/STORYREEL_PUBLIC_URL must not carry/);
    expect(() => publicBaseFrom({ STORYREEL_PUBLIC_URL: 'http://reel.example.com' })).toThrow(/must be an https:\/\/ URL/);
    expect(publicBaseFrom({ STORYREEL_PUBLIC_URL: 'http://127.0.0.1:8787' })?.host).toBe('127.0.0.1:8787');
  });

  it('replicate: sent as webhook with only completed events', async () => {
    const p = new ReplicateProvider({ settings: { baseURL: replicate.baseURL }, env: { REPLICATE_API_TOKEN: 'k' } });
    const snap = await p.submit(request('google/veo-3.1-fast', 4), { callbackUrl: receiverUrl });
    const deadline = Date.now() + 15_000;
    while (!replicate.webhooks().some((w) => w.answer) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(replicate.webhooks().map((w) => [w.predictionId, w.event, w.url, w.answer])).toEqual([
      [snap.jobId, 'completed', receiverUrl, 202],
    ]);
  });

  it('fal: sent as the fal_webhook query parameter of the create', async () => {
    const p = new FalProvider({ settings: { baseURL: fal.url }, env: { FAL_KEY: 'fal-k' } });
    await p.submit(request('fal-ai/kling-video/v4', 3), { callbackUrl: 'https://reel.example.com/v1/hooks/fal?scene=p%2Fscene%2Fs1' });
    const create = fal.requests().find((r) => r.method === 'POST');
    expect(new URLSearchParams(create!.query).get('fal_webhook')).toBe('https://reel.example.com/v1/hooks/fal?scene=p%2Fscene%2Fs1');
  });
});
