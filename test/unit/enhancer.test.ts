import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFile } from '../../src/load/load-storyboard.js';
import { catalog } from '../../src/providers/catalog.js';
import { StoryboardError } from '../../src/storyboard/errors.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';

/** A minimal OpenAI-compatible chat-completions server that echoes an "enhanced" shot and logs requests. */
const log: { auth: string | undefined; body: { model: string; messages: { role: string; content: string }[] } }[] = [];
const server = createServer((req: IncomingMessage, res) => void answer(req, res));
async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const c of req) raw += c;
  const body = JSON.parse(raw) as (typeof log)[number]['body'];
  log.push({ auth: req.headers.authorization, body });
  const shot = (JSON.parse(body.messages[1]!.content) as { shot: string }).shot;
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model: body.model,
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: { role: 'assistant', content: `In close-up, ${shot.toLowerCase()}, rain streaking the glass.` },
        },
      ],
    }),
  );
}
let baseURL = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const storyboard = () => ({
  title: 'Enhanced',
  defaults: { provider: 'local', seconds: 2 },
  characters: [{ id: 'mara', name: 'Mara', description: 'a keeper in a yellow coat' }],
  enhancer: { model: 'small-model', baseURL, apiKeyEnv: 'ENHANCER_KEY' },
  scenes: [
    { id: 'one', prompt: 'Mara looks out of the window', characters: ['mara'] },
    { id: 'two', prompt: 'The storm breaks' },
  ],
});

describe('the optional LLM prompt enhancer', () => {
  it("rewrites each scene's action, keeps the scene list, and a rerun is reproducible from its cache", async () => {
    const dir = await tempDir();
    const file = await writeStoryboard(dir, storyboard());
    const opts = { catalog, enhancer: { cacheDir: join(dir, 'cache'), env: { ENHANCER_KEY: 'llm-secret' } } };
    log.length = 0;
    const first = await planFile(file, opts);
    expect(log).toHaveLength(2);
    expect(log[0]!.auth).toBe('Bearer llm-secret');
    expect(log[0]!.body.model).toBe('small-model');
    expect(first.plan.scenes.map((s) => s.id)).toEqual(['one', 'two']);
    expect(first.plan.scenes[0]!.prompt).toMatch(/^In close-up, mara looks out of the window, rain streaking the glass\. Characters/);
    // the bible and style are still composed around the enhanced action
    expect(first.plan.scenes[0]!.prompt).toContain('Mara: a keeper in a yellow coat.');

    const second = await planFile(file, opts);
    expect(log).toHaveLength(2); // no new requests
    expect(second.plan.scenes.map((s) => [s.prompt, s.cacheKey])).toEqual(first.plan.scenes.map((s) => [s.prompt, s.cacheKey]));
  });

  it('is off by default, and without its key it fails before planning, naming the variable', async () => {
    const dir = await tempDir();
    const { enhancer: _, ...plain } = storyboard();
    log.length = 0;
    const { plan } = await planFile(await writeStoryboard(dir, plain), { catalog });
    expect(log).toHaveLength(0);
    expect(plan.scenes[0]!.prompt.startsWith('Mara looks out of the window.')).toBe(true);

    const err = await planFile(await writeStoryboard(dir, storyboard(), 'keyless.yaml'), {
      catalog,
      enhancer: { cacheDir: join(dir, 'c2'), env: {} },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoryboardError);
    expect((err as StoryboardError).message).toMatch(
      /enhancer: the prompt enhancer needs an API key in the environment variable ENHANCER_KEY/,
    );
  });
});
