/**
 * The mocks `storyreel mock <api>` can run. Adding a mock is one line here: its name, a one-line summary, and a
 * loader of its main.ts, which exports `usage` (its options, for help) and `start(argv)` (see ./README.md).
 * Modules load on demand, so the CLI pays only for the mock it runs.
 */
import { MockArgsError, type StartedMock } from './kit/index.js';

export { MockArgsError } from './kit/index.js';
export type { StartedMock } from './kit/index.js';

export interface MockModule {
  /** The mock's own options, e.g. `--api-key K --profile …` (the kit's --port, --host and --work-dir included). */
  usage: string;
  start(argv: string[]): Promise<StartedMock>;
}

export interface MockEntry {
  summary: string;
  load(): Promise<MockModule>;
}

export const MOCKS: Readonly<Record<string, MockEntry>> = {
  comfyui: { summary: 'ComfyUI server API (/prompt, /history, /view, /upload/image, /ws)', load: () => import('./comfyui/main.js') },
  elevenlabs: {
    summary: 'ElevenLabs text to speech (/v1/text-to-speech/{voice}[/with-timestamps]: character alignment, output formats)',
    load: () => import('./elevenlabs/main.js'),
  },
  fal: { summary: 'fal queue API (queue.fal.run) and its storage uploads', load: () => import('./fal/main.js') },
  google: {
    summary: 'Google video APIs: Veo (Gemini API and Vertex), Gemini Omni (Interactions API), Files API, token exchange',
    load: () => import('./google/main.js'),
  },
  kling: { summary: 'Kling video API (text2video, image2video; JWT auth, external_task_id)', load: () => import('./kling/main.js') },
  'openai-speech': {
    summary: 'OpenAI-compatible speech (/v1/audio/speech: every model, voice, response_format, speed, sse)',
    load: () => import('./openai-speech/main.js'),
  },
  'openai-videos': { summary: 'OpenAI Videos API (/v1/videos, Sora 2 contract)', load: () => import('./openai-videos/main.js') },
  replicate: {
    summary: 'Replicate predictions API (/v1/predictions, official models and versions)',
    load: () => import('./replicate/main.js'),
  },
  runway: {
    summary: 'Runway API video tasks (/v1/text_to_video, /v1/image_to_video, /v1/tasks)',
    load: () => import('./runway/main.js'),
  },
};

export function mockNames(): string[] {
  return Object.keys(MOCKS).sort();
}

export class UnknownMockError extends Error {
  override readonly name = 'UnknownMockError';
  constructor(readonly api: string) {
    super(`unknown mock "${api}"; available: ${mockNames().join(', ')}`);
  }
}

/**
 * Starts mock `api` with its command-line options; throws UnknownMockError, or MockArgsError (with the mock's usage)
 * on a bad option.
 */
export async function startMock(api: string, argv: string[]): Promise<StartedMock> {
  const entry = Object.hasOwn(MOCKS, api) ? MOCKS[api] : undefined;
  if (!entry) throw new UnknownMockError(api);
  const mock = await entry.load();
  try {
    return await mock.start(argv);
  } catch (err) {
    if (err instanceof MockArgsError) throw new MockArgsError(`${err.message}\nusage: storyreel mock ${api} ${mock.usage}`);
    throw err;
  }
}
