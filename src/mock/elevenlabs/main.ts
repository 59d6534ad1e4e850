/**
 * The ElevenLabs text-to-speech mock from the command line: `storyreel mock elevenlabs --port 4050 [--api-key K]
 * [--characters N] [--work-dir DIR] [--host H]`. Point a voice at it with `baseURL: http://127.0.0.1:4050`.
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, parseMockArgs, runStandalone } from '../kit/index.js';
import { startElevenLabsMock, type ElevenLabsMock } from './server.js';

export const usage = '--port N --api-key K --characters N --work-dir DIR --host H';

export function start(argv: string[]): Promise<ElevenLabsMock> {
  const v = parseMockArgs(argv, ['api-key', 'characters']);
  const characters = intOption('characters', v.characters);
  return startElevenLabsMock({
    ...commonMockOptions(v),
    ...(v['api-key'] ? { apiKey: v['api-key'] } : {}),
    ...(characters !== undefined ? { characters } : {}),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('elevenlabs', start);
