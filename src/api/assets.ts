/**
 * Uploaded assets (reference images, soundtracks, narration audio): content-addressed by sha256 under
 * <workDir>/api/assets/, streamed to a temp file while hashed and counted (the size limit holds without trusting
 * Content-Length), then checked for what they claim to be: the declared type must match the file's magic bytes
 * and ffprobe must read it as that kind. Only then is it renamed into place.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { audioStream, probe, probeImage, ProbeError } from '../media/probe.js';
import { tempPathFor, writeJsonAtomic } from '../store/files.js';
import { MIN_REFERENCE_PIXELS } from '../load/load-storyboard.js';
import type { AssetView } from './schemas/assets.js';
import { ApiProblem } from './problem.js';

/** The media types accepted, with the magic bytes that must open the file and the extension it gets on disk. */
export const ASSET_TYPES: Record<string, { kind: 'image' | 'audio'; ext: string; magic: (head: Buffer) => boolean }> = {
  'image/png': { kind: 'image', ext: 'png', magic: (h) => h.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')) },
  'image/jpeg': { kind: 'image', ext: 'jpg', magic: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  'image/webp': { kind: 'image', ext: 'webp', magic: (h) => ascii(h, 0, 4) === 'RIFF' && ascii(h, 8, 12) === 'WEBP' },
  'audio/wav': { kind: 'audio', ext: 'wav', magic: (h) => ascii(h, 0, 4) === 'RIFF' && ascii(h, 8, 12) === 'WAVE' },
  'audio/mpeg': { kind: 'audio', ext: 'mp3', magic: (h) => ascii(h, 0, 3) === 'ID3' || (h[0] === 0xff && ((h[1] ?? 0) & 0xe0) === 0xe0) },
  'audio/mp4': { kind: 'audio', ext: 'm4a', magic: (h) => ascii(h, 4, 8) === 'ftyp' },
  'audio/ogg': { kind: 'audio', ext: 'ogg', magic: (h) => ascii(h, 0, 4) === 'OggS' },
  'audio/flac': { kind: 'audio', ext: 'flac', magic: (h) => ascii(h, 0, 4) === 'fLaC' },
};

function ascii(b: Buffer, from: number, to: number): string {
  return b.subarray(from, to).toString('latin1');
}

export const ASSET_REF = /^asset:([0-9a-f]{64})$/;

export class AssetStore {
  constructor(
    readonly root: string,
    readonly maxBytes: number,
  ) {}

  private dataPath(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ApiProblem(400, 'bad_request', 'not an asset id', 'sha256');
    return join(this.root, sha256);
  }

  async get(sha256: string): Promise<(AssetView & { path: string }) | undefined> {
    try {
      const view = JSON.parse(await readFile(`${this.dataPath(sha256)}.json`, 'utf8')) as AssetView;
      return { ...view, path: this.dataPath(sha256) };
    } catch {
      return undefined;
    }
  }

  /** Stores the upload; the same bytes again answer the existing asset (`created: false`). */
  async put(body: Readable, contentType: string, declaredLength: number | undefined): Promise<{ asset: AssetView; created: boolean }> {
    const type = ASSET_TYPES[contentType];
    if (!type)
      throw new ApiProblem(
        415,
        'unsupported_media_type',
        `Content-Type must be one of ${Object.keys(ASSET_TYPES).join(', ')}`,
        'content-type',
      );
    if (declaredLength !== undefined && declaredLength > this.maxBytes) throw this.tooLarge();
    await mkdir(this.root, { recursive: true });
    const tmp = tempPathFor(join(this.root, 'upload'));
    try {
      const hash = createHash('sha256');
      let bytes = 0;
      const counter = async function* (this: AssetStore, source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          if (bytes > this.maxBytes) throw this.tooLarge();
          hash.update(chunk);
          yield chunk;
        }
      }.bind(this);
      await pipeline(body, counter, createWriteStream(tmp));
      if (bytes === 0) throw new ApiProblem(400, 'bad_request', 'the body is empty; send the file bytes', 'body');
      const sha256 = hash.digest('hex');
      const existing = await this.get(sha256);
      if (existing) return { asset: publicView(existing), created: false };
      const head = Buffer.alloc(16);
      const fh = await open(tmp, 'r');
      await fh.read(head, 0, 16, 0).finally(() => fh.close());
      if (!type.magic(head)) throw new ApiProblem(415, 'unsupported_media_type', `the bytes are not ${contentType}`, 'body');
      const facts = await checkMedia(tmp, type.kind, contentType);
      const asset: AssetView = {
        id: `asset:${sha256}`,
        sha256,
        bytes,
        mime: contentType,
        kind: type.kind,
        createdAt: new Date().toISOString(),
        ...facts,
      };
      await rename(tmp, this.dataPath(sha256));
      await writeJsonAtomic(`${this.dataPath(sha256)}.json`, asset);
      return { asset, created: true };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Places the asset at `dest` (a hard link when possible: no copy of large audio), named with its extension. */
  async placeAt(sha256: string, dir: string): Promise<string> {
    const asset = await this.get(sha256);
    if (!asset) throw new ApiProblem(400, 'bad_request', `asset:${sha256} was not uploaded here; POST it to /v1/assets first`);
    const name = `${sha256}.${ASSET_TYPES[asset.mime]?.ext ?? 'bin'}`;
    const dest = join(dir, name);
    await mkdir(dir, { recursive: true });
    if (!(await stat(dest).catch(() => undefined))) {
      await link(asset.path, dest).catch(async () => {
        const { copyFile } = await import('node:fs/promises');
        await copyFile(asset.path, dest);
      });
    }
    return name;
  }

  private tooLarge(): ApiProblem {
    return new ApiProblem(413, 'payload_too_large', `an asset may be at most ${this.maxBytes} bytes`, 'body');
  }
}

function publicView(a: AssetView & { path?: string }): AssetView {
  const { path: _path, ...view } = a;
  return view;
}

async function checkMedia(path: string, kind: 'image' | 'audio', mime: string): Promise<Partial<AssetView>> {
  if (kind === 'image') {
    try {
      const info = await probeImage(path);
      if (info.mime !== mime) throw new ApiProblem(415, 'unsupported_media_type', `the image is ${info.mime}, not ${mime}`, 'content-type');
      if (info.width < MIN_REFERENCE_PIXELS || info.height < MIN_REFERENCE_PIXELS)
        throw new ApiProblem(
          400,
          'bad_request',
          `the image is ${info.width}x${info.height}; use at least ${MIN_REFERENCE_PIXELS} pixels a side`,
          'body',
        );
      return { width: info.width, height: info.height };
    } catch (err) {
      if (err instanceof ProbeError) throw new ApiProblem(415, 'unsupported_media_type', 'not a readable PNG, JPEG or WebP image', 'body');
      throw err;
    }
  }
  const a = await probe(path).then(audioStream, () => undefined);
  const durationS = Number(a?.duration ?? 0);
  if (!a || !(durationS > 0)) throw new ApiProblem(415, 'unsupported_media_type', 'no readable audio in the file', 'body');
  return { durationS };
}
