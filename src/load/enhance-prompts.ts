/**
 * The optional prompt enhancer: an OpenAI-compatible chat-completions model rewrites each scene's own action
 * text into a concrete, filmable description. Runs while planning (client side). Results are cached on disk by a
 * hash of everything that goes into the request, so planning again gives the same prompts without a request.
 */
import OpenAI from 'openai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoryboardError } from '../storyboard/errors.js';
import { bibleEntries, effectiveStyle } from '../storyboard/compose.js';
import { hashOf } from '../contracts/hash.js';
import type { Storyboard } from '../storyboard/schema.js';
import { writeJsonAtomic } from '../store/files.js';

export const ENHANCER_VERSION = 1;
const MAX_ACTION_CHARS = 600;

const INSTRUCTIONS = [
  'You rewrite one shot of a storyboard for a text-to-video model.',
  'Return ONLY the rewritten action: one or two sentences, present tense, concrete (who, what they do, where, visible details).',
  'Keep every named character and object; do not add new characters, text on screen, camera jargon or style words (style is added separately).',
  'Never merge or split shots. No quotes, no preamble.',
].join(' ');

export interface EnhanceOptions {
  cacheDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Concurrent requests. */
  concurrency?: number;
}

export interface EnhanceResult {
  /** scene id → enhanced action text */
  actions: Record<string, string>;
  requests: number;
  cached: number;
}

export async function enhancePrompts(sb: Storyboard, file: string, opts: EnhanceOptions): Promise<EnhanceResult> {
  const cfg = sb.enhancer;
  if (!cfg) return { actions: {}, requests: 0, cached: 0 };
  const keyVar = cfg.apiKeyEnv ?? 'OPENAI_API_KEY';
  const baseURL = cfg.baseURL ?? opts.env.OPENAI_BASE_URL;
  let client: OpenAI | undefined;
  const actions: Record<string, string> = {};
  let requests = 0;
  let cached = 0;

  const one = async (i: number) => {
    const scene = sb.scenes[i]!;
    const style = effectiveStyle(sb, scene);
    const context = {
      shot: scene.prompt,
      seconds: scene.seconds ?? sb.defaults.seconds,
      characters: bibleEntries(sb, scene.characters, 'characters').map((e) => `${e.name}: ${e.description}`),
      location: bibleEntries(sb, scene.location ? [scene.location] : [], 'locations').map((e) => `${e.name}: ${e.description}`),
      props: bibleEntries(sb, scene.props, 'props').map((e) => `${e.name}: ${e.description}`),
      mood: [style.lighting, style.palette].filter(Boolean),
    };
    const request = {
      model: cfg.model,
      temperature: 0,
      messages: [
        { role: 'system' as const, content: cfg.instructions ? `${INSTRUCTIONS} ${cfg.instructions}` : INSTRUCTIONS },
        { role: 'user' as const, content: JSON.stringify(context) },
      ],
    };
    const cacheFile = join(opts.cacheDir, `${hashOf({ v: ENHANCER_VERSION, baseURL: baseURL ?? 'default', request })}.json`);
    try {
      actions[scene.id] = (JSON.parse(await readFile(cacheFile, 'utf8')) as { text: string }).text;
      cached++;
      return;
    } catch {
      // not cached yet
    }
    if (!client) {
      const apiKey = opts.env[keyVar];
      if (!apiKey)
        throw new StoryboardError(file, [
          { path: 'enhancer', message: `the prompt enhancer needs an API key in the environment variable ${keyVar}` },
        ]);
      client = new OpenAI({ apiKey, ...(baseURL ? { baseURL } : {}), maxRetries: 0, timeout: 60_000 });
    }
    requests++;
    let text: string;
    try {
      const res = await client.chat.completions.create(request);
      text = (res.choices[0]?.message.content ?? '').trim().replace(/^["']|["']$/g, '');
    } catch (err) {
      throw new StoryboardError(
        file,
        [
          {
            path: `scenes[${i}]`,
            message: `the prompt enhancer failed (${(err as Error).message.slice(0, 200)}); plan again, or remove \`enhancer\``,
          },
        ],
        { cause: err },
      );
    }
    if (!text || text.length > MAX_ACTION_CHARS) {
      throw new StoryboardError(file, [
        {
          path: `scenes[${i}]`,
          message: `the prompt enhancer returned ${text ? `${text.length} characters (max ${MAX_ACTION_CHARS})` : 'nothing'}; plan again, or remove \`enhancer\``,
        },
      ]);
    }
    await writeJsonAtomic(cacheFile, { text, model: cfg.model, at: new Date().toISOString() });
    actions[scene.id] = text;
  };

  const queue = sb.scenes.map((_, i) => i);
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? 4, queue.length) }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await one(i);
    }),
  );
  return { actions, requests, cached };
}
