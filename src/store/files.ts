/**
 * File primitives: nothing is ever half-written. Every write goes to a unique temp file beside the target and is
 * renamed into place (atomic on one filesystem).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A temp path beside `target` (same directory, so the final rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomUUID().slice(0, 8)}.tmp`);
}

/** `mode`: the file's permissions (0o600 for files that hold hashes of secrets). */
export async function writeFileAtomic(target: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, data, opts.mode !== undefined ? { mode: opts.mode } : {});
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(target: string, value: unknown, opts: { mode?: number } = {}): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, opts);
}

export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

export class StreamIdleError extends Error {
  override readonly name = 'StreamIdleError';
}

/**
 * Streams `source` into `dest` (created or truncated), hashing as it goes. Fails with StreamIdleError when no byte
 * arrives for `idleTimeoutMs`. `onProgress` gets bytes written and, when known, the fraction of `expectedBytes`.
 */
export async function streamToFile(
  source: Readable,
  dest: string,
  opts: { idleTimeoutMs: number; expectedBytes?: number; signal?: AbortSignal; onProgress?: (fraction: number, bytes: number) => void },
): Promise<{ sha256: string; bytes: number }> {
  await mkdir(dirname(dest), { recursive: true });
  const hash = createHash('sha256');
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const idle = new AbortController();
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new StreamIdleError(`no data for ${opts.idleTimeoutMs} ms`)), opts.idleTimeoutMs);
  };
  const signal = opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal;
  arm();
  try {
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          arm();
          hash.update(chunk);
          bytes += chunk.length;
          opts.onProgress?.(opts.expectedBytes ? Math.min(1, bytes / opts.expectedBytes) : 0, bytes);
          yield chunk;
        }
      },
      createWriteStream(dest),
      { signal },
    );
  } catch (err) {
    if (idle.signal.aborted) throw idle.signal.reason as Error;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Whether a process id (from a pid or job file) belongs to a running process. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
