/**
 * `storyreel mock <api> --port N …`: a faithful local mock of a provider API (src/mock), so users can try a provider
 * and their storyboards offline, with fault injection (POST /__mock/faults) and a request log (GET /__mock/requests).
 * Runs until SIGINT/SIGTERM; an unknown mock or a bad option is a usage error (exit 2).
 */
import { MockArgsError, startMock, UnknownMockError } from '../mock/index.js';
import { EXIT, UsageError, type Io } from './common.js';

export async function mockCommand(api: string, argv: string[], io: Io): Promise<number> {
  let mock;
  try {
    mock = await startMock(api, argv);
  } catch (err) {
    if (err instanceof UnknownMockError) throw new UsageError(err.message);
    if (err instanceof MockArgsError) throw new UsageError(`mock ${api}: ${err.message}`);
    throw err;
  }
  io.out(`${api} mock listening on ${mock.baseURL}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await mock.close();
  return EXIT.ok;
}
