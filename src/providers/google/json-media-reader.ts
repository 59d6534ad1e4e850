/**
 * Reads a JSON response that may carry a whole video as a base64 string (a Vertex Veo operation's
 * `bytesBase64Encoded`, a Gemini API operation's `encodedVideo`, an interaction's inline `data`) without ever
 * holding that string: the body is parsed as a token stream (stream-json), every media string is decoded as it
 * arrives and either written to its own file (`captureTo`) or only counted, and the rest of the document is built as
 * usual with each media string replaced by `{ $media: n }`. Memory stays at a few chunks whatever the clip's size.
 *
 * The caller learns which media string is the video from the document itself (its `type`, `mimeType`), which may
 * come after the data in the JSON; hence every media string is captured and the caller keeps the one it wants.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import parser from 'stream-json/parser.js';
import { StreamIdleError } from '../../store/files.js';

/** Keys whose string values are media bytes in Google's video APIs. */
const MEDIA_KEYS = new Set(['data', 'bytesBase64Encoded', 'encodedVideo']);
/** Other strings beyond this length are cut (no field storyreel reads is anywhere near it). */
const MAX_TEXT = 1 << 20;

export interface MediaPart {
  index: number;
  /** Decoded bytes. */
  bytes: number;
  /** The file it was written to (with `captureTo`). */
  path?: string;
}

export interface JsonMediaRead {
  /** The document, each media string replaced by `{ $media: index }`. */
  value: unknown;
  media: MediaPart[];
  /** Bytes of the body as received. */
  bodyBytes: number;
}

export interface JsonMediaReadOptions {
  /** Write media strings, decoded, to `${captureTo}.media<n>`; without it they are only counted. */
  captureTo?: string;
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** The body's announced length: a shorter body is an error even when it happens to end on valid JSON. */
  expectedBytes?: number;
  onBytes?: (bodyBytes: number) => void;
}

export class TruncatedBodyError extends Error {
  override readonly name = 'TruncatedBodyError';
}

export function isMediaRef(v: unknown): v is { $media: number } {
  return !!v && typeof v === 'object' && typeof (v as { $media?: unknown }).$media === 'number';
}

type Container = { kind: 'object'; value: Record<string, unknown>; key: string | undefined } | { kind: 'array'; value: unknown[] };

export async function readJsonWithMedia(body: ReadableStream<Uint8Array>, opts: JsonMediaReadOptions): Promise<JsonMediaRead> {
  let bodyBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const idle = new AbortController();
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new StreamIdleError(`no data for ${opts.idleTimeoutMs} ms`)), opts.idleTimeoutMs);
  };
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      arm();
      bodyBytes += chunk.length;
      opts.onBytes?.(bodyBytes);
      done(null, chunk);
    },
  });
  const builder = new DocumentBuilder(opts.captureTo);
  const signal = opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal;
  arm();
  try {
    await pipeline(
      Readable.from(body as unknown as AsyncIterable<Uint8Array>),
      counter,
      parser.asStream({ packKeys: true, packStrings: false, packNumbers: true, streamKeys: false, streamNumbers: false }),
      async (tokens: AsyncIterable<Token>) => {
        for await (const t of tokens) await builder.take(t);
      },
      { signal },
    );
  } catch (err) {
    await builder.discard();
    if (idle.signal.aborted) throw idle.signal.reason as Error;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  if (opts.expectedBytes !== undefined && bodyBytes !== opts.expectedBytes) {
    await builder.discard();
    throw new TruncatedBodyError(`the body ended at ${bodyBytes} of ${opts.expectedBytes} bytes`);
  }
  return { value: builder.root, media: builder.media, bodyBytes };
}

type Token = { name: string; value?: unknown };

/** Builds the document from tokens; media strings go to files (or nowhere) through a streaming base64 decoder. */
class DocumentBuilder {
  root: unknown = undefined;
  readonly media: MediaPart[] = [];
  private readonly stack: Container[] = [];
  private text: string | undefined;
  private current: { part: MediaPart; carry: string; out: WriteStream | undefined } | undefined;
  /** The first error of the media file being written (see startString). */
  private writeError: Error | undefined;

  constructor(private readonly captureTo: string | undefined) {}

  async take(t: Token): Promise<void> {
    switch (t.name) {
      case 'startObject':
        return this.open({ kind: 'object', value: {}, key: undefined });
      case 'startArray':
        return this.open({ kind: 'array', value: [] });
      case 'endObject':
      case 'endArray':
        return this.close();
      case 'keyValue': {
        const top = this.stack.at(-1);
        if (top?.kind === 'object') top.key = t.value as string;
        return;
      }
      case 'startString':
        return this.startString();
      case 'stringChunk':
        return this.chunk(t.value as string);
      case 'endString':
        return this.endString();
      case 'numberValue':
        return this.put(Number(t.value));
      case 'trueValue':
        return this.put(true);
      case 'falseValue':
        return this.put(false);
      case 'nullValue':
        return this.put(null);
    }
  }

  /** Removes every file written so far (a read that failed leaves nothing behind). */
  async discard(): Promise<void> {
    this.current?.out?.destroy();
    await Promise.all(this.media.filter((m) => m.path).map((m) => rm(m.path!, { force: true })));
  }

  private open(c: Container): void {
    this.stack.push(c);
  }

  private close(): void {
    const c = this.stack.pop()!;
    this.put(c.value);
  }

  private put(v: unknown): void {
    const top = this.stack.at(-1);
    if (!top) this.root = v;
    else if (top.kind === 'array') top.value.push(v);
    else if (top.key !== undefined) top.value[top.key] = v;
  }

  private startString(): void {
    const top = this.stack.at(-1);
    if (top?.kind === 'object' && top.key !== undefined && MEDIA_KEYS.has(top.key)) {
      const part: MediaPart = {
        index: this.media.length,
        bytes: 0,
        ...(this.captureTo ? { path: `${this.captureTo}.media${this.media.length}` } : {}),
      };
      this.media.push(part);
      const out = part.path ? createWriteStream(part.path) : undefined;
      // A write error (disk full) is raised at the next write or at the end; after discard() destroyed the stream, a
      // write still in flight fails with ERR_STREAM_DESTROYED, which nobody needs, and an unheard 'error' would crash
      // the worker.
      out?.on('error', (err) => void (this.writeError ??= err));
      this.current = { part, carry: '', out };
    } else {
      this.text = '';
    }
  }

  private async chunk(s: string): Promise<void> {
    if (!this.current) {
      if (this.text !== undefined && this.text.length < MAX_TEXT) this.text += s.slice(0, MAX_TEXT - this.text.length);
      return;
    }
    const all = this.current.carry + s;
    const whole = all.length - (all.length % 4);
    this.current.carry = all.slice(whole);
    await this.emit(Buffer.from(all.slice(0, whole), 'base64'));
  }

  private async emit(buf: Buffer): Promise<void> {
    const cur = this.current!;
    if (this.writeError) throw this.writeError;
    cur.part.bytes += buf.length;
    if (cur.out && buf.length && !cur.out.write(buf)) await once(cur.out, 'drain');
  }

  private async endString(): Promise<void> {
    if (!this.current) {
      this.put(this.text ?? '');
      this.text = undefined;
      return;
    }
    const cur = this.current;
    if (cur.carry) await this.emit(Buffer.from(cur.carry, 'base64'));
    if (cur.out) {
      cur.out.end();
      await once(cur.out, 'finish');
      if (this.writeError) throw this.writeError;
    }
    this.current = undefined;
    this.put({ $media: cur.part.index });
  }
}
