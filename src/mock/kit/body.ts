/**
 * Request bodies: JSON, `multipart/form-data` and urlencoded forms, all turned into one nested object. Multipart
 * bracketed keys become nesting the way SDKs (openai-node, Stainless clients) write them:
 * `input_reference[image_url]` → `{input_reference:{image_url}}`, `video[id]` → `{video:{id}}`,
 * `characters[][id]` → `{characters:[{id}]}`. File parts become `UploadedFile`.
 *
 * Multipart is parsed by the WHATWG `Request#formData()` built into Node (undici). It reports a part without a
 * Content-Type header as `text/plain`, so the raw part headers are scanned once more to tell "no Content-Type" apart
 * (a live API may treat such a part as `application/octet-stream`).
 *
 * Errors are `MockHttpError`s with the codes `request_too_large` (413), `invalid_json`, `unsupported_content_type`
 * and `invalid_multipart` (400) and neutral texts; a provider with known texts replaces them (see
 * openai-videos/server.ts).
 */
import type { IncomingMessage } from 'node:http';
import { MockHttpError } from './errors.js';

export interface UploadedFile {
  kind: 'file';
  filename: string;
  /** The part's Content-Type; undefined when the part had no Content-Type header. */
  contentType: string | undefined;
  data: Buffer;
}

export type BodyFormat = 'json' | 'multipart' | 'form' | 'empty';

export interface ParsedBody {
  format: BodyFormat;
  fields: Record<string, unknown>;
}

/** Largest accepted request body, bytes (the real limit is unknown; 20 MB image data URLs must fit). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function isUploadedFile(v: unknown): v is UploadedFile {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'file';
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new MockHttpError(413, `Request body too large: more than ${limit} bytes.`, { code: 'request_too_large' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Parses by Content-Type. An empty non-multipart body is `{format:'empty', fields:{}}`; a body without a
 * Content-Type is read as JSON; a JSON body must be an object.
 */
export async function parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (raw.length === 0 && mime !== 'multipart/form-data') return { format: 'empty', fields: {} };
  if (mime === 'application/json' || (mime === '' && raw.length > 0)) return { format: 'json', fields: parseJson(raw) };
  if (mime === 'multipart/form-data') return { format: 'multipart', fields: await parseMultipart(raw, contentType!) };
  if (mime === 'application/x-www-form-urlencoded') return { format: 'form', fields: await parseMultipart(raw, contentType!) };
  throw new MockHttpError(400, `Unsupported content type: '${mime}'. Send application/json, multipart/form-data or a urlencoded form.`, {
    code: 'unsupported_content_type',
  });
}

function parseJson(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new MockHttpError(400, `The body is not valid JSON: ${(err as Error).message}`, { code: 'invalid_json' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MockHttpError(400, 'The JSON body must be an object.', { code: 'invalid_json' });
  return value as Record<string, unknown>;
}

async function parseMultipart(raw: Buffer, contentType: string): Promise<Record<string, unknown>> {
  let form: FormData;
  try {
    form = await new Request('http://mock.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
  } catch (err) {
    throw new MockHttpError(400, `Could not parse the multipart form body: ${(err as Error).message}`, { code: 'invalid_multipart' });
  }
  const untyped = fileFieldsWithoutContentType(raw, contentType);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    const leaf =
      typeof value === 'string'
        ? value
        : ({
            kind: 'file',
            filename: value.name,
            contentType: untyped.has(key) ? undefined : value.type,
            data: Buffer.from(await value.arrayBuffer()),
          } satisfies UploadedFile);
    setBracketed(fields, key, leaf);
  }
  return fields;
}

/** Names of multipart file parts (parts with a filename) whose headers carry no Content-Type. */
export function fileFieldsWithoutContentType(raw: Buffer, contentType: string): Set<string> {
  const names = new Set<string>();
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return names;
  const delimiter = Buffer.from(`--${b}`);
  let at = raw.indexOf(delimiter);
  while (at !== -1) {
    const headStart = at + delimiter.length + 2; // skip CRLF after the delimiter
    if (raw.toString('latin1', at + delimiter.length, at + delimiter.length + 2) === '--') break;
    const headEnd = raw.indexOf('\r\n\r\n', headStart);
    if (headEnd === -1) break;
    const head = raw.toString('utf8', headStart, headEnd);
    const name = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(head)?.[1];
    if (name !== undefined && /content-disposition:[^\r\n]*\bfilename\*?=/i.test(head) && !/^content-type:/im.test(head)) names.add(name);
    at = raw.indexOf(delimiter, headEnd + 4);
  }
  return names;
}

/** Stores `value` at the bracketed path `key` (`a[b][c]`, `a[][id]`) inside `target`. */
export function setBracketed(target: Record<string, unknown>, key: string, value: unknown): void {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) {
    target[key] = value;
    return;
  }
  const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
  let node: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    const next = path[i + 1];
    if (Array.isArray(node)) {
      // `[]`: append, unless the last element is an object still missing the next key (`a[][id]`, `a[][name]`).
      const tail: unknown = node[node.length - 1];
      if (last) {
        node.push(value);
        return;
      }
      if (next !== undefined && isPlainObject(tail) && !(next in tail)) {
        node = tail;
      } else {
        const fresh: Record<string, unknown> | unknown[] = next === '' ? [] : {};
        node.push(fresh);
        node = fresh;
      }
      continue;
    }
    if (last) {
      node[seg] = value;
      return;
    }
    const existing = node[seg];
    const wantArray = next === '';
    if (wantArray ? !Array.isArray(existing) : !isPlainObject(existing)) node[seg] = wantArray ? [] : {};
    node = node[seg] as Record<string, unknown> | unknown[];
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isUploadedFile(v);
}
