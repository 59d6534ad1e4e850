/**
 * `storyreel mock openai-videos --port N`: the faithful OpenAI Videos API mock (src/mock), so users can
 * try the openai-videos provider and their storyboards offline, with fault injection (POST /__mock/faults).
 */
import { EXIT, UsageError, type Io } from './common.js';

export async function mockCommand(api: string, argv: string[], io: Io): Promise<number> {
  if (api !== 'openai-videos') throw new UsageError(`unknown mock "${api}"; available: openai-videos`);
  const { runOpenAIMockCli } = await import('../mock/openai-videos/main.js');
  const mock = await runOpenAIMockCli(argv, io.out);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await mock.close();
  return EXIT.ok;
}
