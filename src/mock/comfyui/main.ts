/**
 * The ComfyUI mock from the command line: `storyreel mock comfyui …` (through ../index.ts), or run on its own until
 * SIGINT/SIGTERM:
 *
 *   npx tsx src/mock/comfyui/main.ts --port 8188 [--api-key K] [--ms-per-step 15] [--ms-per-node 10] [--load-ms 40]
 *       [--model-files a.safetensors,b.safetensors] [--work-dir DIR] [--host 127.0.0.1]
 *
 * Prints `comfyui mock listening on http://127.0.0.1:N` once it accepts requests.
 */
import { pathToFileURL } from 'node:url';
import { commonMockOptions, intOption, parseMockArgs, runStandalone } from '../kit/index.js';
import { startComfyMock, type ComfyMock, type ComfyMockOptions } from './server.js';

export const usage = '--port N --api-key K --ms-per-step N --ms-per-node N --load-ms N --model-files A,B --work-dir DIR --host H';

export function parseComfyMockArgs(argv: string[]): ComfyMockOptions {
  const values = parseMockArgs(argv, ['api-key', 'ms-per-step', 'ms-per-node', 'load-ms', 'model-files']);
  const msPerStep = intOption('ms-per-step', values['ms-per-step']);
  const msPerNode = intOption('ms-per-node', values['ms-per-node']);
  const loadMs = intOption('load-ms', values['load-ms']);
  return {
    ...commonMockOptions(values),
    timing: {
      ...(msPerStep !== undefined ? { msPerStep } : {}),
      ...(msPerNode !== undefined ? { msPerNode } : {}),
      ...(loadMs !== undefined ? { loadMs } : {}),
    },
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values['model-files'] ? { modelFiles: values['model-files'].split(',').filter(Boolean) } : {}),
  };
}

export function start(argv: string[]): Promise<ComfyMock> {
  return startComfyMock(parseComfyMockArgs(argv));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone('comfyui', start);
