/**
 * The OpenAI-compatible speech mock from the command line: `storyreel mock openai-speech --port 4040 [--api-key K]
 * [--work-dir DIR] [--host H]`. Point a voice at it with `baseURL: http://127.0.0.1:4040/v1`.
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, parseMockArgs, runStandalone } from '../kit/index.js';
import { startOpenAISpeechMock, type OpenAISpeechMock } from './server.js';

export const usage = '--port N --api-key K --work-dir DIR --host H';

export function start(argv: string[]): Promise<OpenAISpeechMock> {
  const v = parseMockArgs(argv, ['api-key']);
  return startOpenAISpeechMock({ ...commonMockOptions(v), ...(v['api-key'] ? { apiKey: v['api-key'] } : {}) });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('openai-speech', start);
