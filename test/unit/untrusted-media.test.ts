/**
 * Untrusted media never reaches the network: ffmpeg and ffprobe open every input with `-protocol_whitelist file`.
 * A local HTTP server counts requests. Controls show each input really would fetch when the protocol is allowed
 * (so a zero count means a whitelist stopped it, not that nothing tried); then probe, a raw ffmpeg job and a whole
 * assembly are pointed at the same inputs: zero requests, and an error that says what was refused.
 * Note: ffmpeg 5.1 already gives resources that a local file opens a default whitelist of `file,crypto,data`, so the
 * disguised playlist is stopped even without our flag; a path that is itself a URL is stopped only by it (the second
 * test fails when the flag is removed).
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assemble, AssemblyInputError } from '../../src/media/assemble.js';
import { FfmpegError, runFfmpeg } from '../../src/media/ffmpeg.js';
import { probe, ProbeError } from '../../src/media/probe.js';
import { genClip } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

const run = promisify(execFile);
let server: Server;
let base: string;
let dir: string;
let requests: string[] = [];

beforeAll(async () => {
  dir = await tempDir('storyreel-untrusted-');
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests = [];
});

/** An HLS playlist saved as .mp3 whose one segment is on the test server. */
async function disguisedPlaylist(name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${base}/${name}-segment.ts\n#EXT-X-ENDLIST\n`);
  return path;
}

const ffprobeAllowing = (protocols: string, input: string) =>
  run('ffprobe', ['-v', 'error', '-protocol_whitelist', protocols, input]).catch(() => undefined);

describe('inputs are opened with -protocol_whitelist file', () => {
  it('a playlist saved as .mp3: ffprobe would fetch its segment if http were allowed; probe() fetches nothing and says why', async () => {
    const mp3 = await disguisedPlaylist('narration.mp3');
    await ffprobeAllowing('file,http,tcp', mp3);
    expect(requests).toEqual(['GET /narration.mp3-segment.ts']);
    requests = [];
    const err = await probe(mp3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as Error).message).toBe(
      `ffprobe could not read ${mp3}: refused to fetch ${base}/narration.mp3-segment.ts (protocol http is not allowed): ` +
        'storyreel reads local media files only (is this a playlist or a link saved under a media file name?)',
    );
    expect(requests).toEqual([]);
  });

  it('a URL passed as a path: plain ffprobe fetches it, probe() and runFfmpeg() do not', async () => {
    const url = `${base}/clip.mp4`;
    await run('ffprobe', ['-v', 'error', url]).catch(() => undefined);
    expect(requests.length).toBeGreaterThan(0);
    requests = [];
    await expect(probe(url)).rejects.toThrow(`refused to fetch ${url} (protocol http is not allowed)`);
    const err = await runFfmpeg({
      inputs: [{ source: url }],
      output: join(dir, 'x.mp4'),
      expectedDurationS: 1,
      outputOptions: ['-f', 'mp4'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).reason).toMatch(/^refused to fetch http:\/\/127\.0\.0\.1:\d+\/clip\.mp4 \(protocol http is not allowed\)/);
    expect(requests).toEqual([]);
  });

  it('an assembly with a disguised narration file fails on the scene that names it, without a request', async () => {
    const clip = join(dir, 'clip.mp4');
    await genClip(clip, { width: 160, height: 90, fps: 24, seconds: 1, color: 0x2040e0 });
    const mp3 = await disguisedPlaylist('voice.mp3');
    const err = await assemble({
      clips: [{ sceneId: 'intro', title: 'Intro', path: clip, transition: { type: 'cut', seconds: 0 }, narrationAudio: mp3 }],
      house: { width: 160, height: 90, fps: 24, sampleRate: 48000, channels: 2 },
      fit: 'pad',
      title: 'x',
      chapters: false,
      captions: false,
      output: join(dir, 'out', 'final.mp4'),
      workDir: join(dir, 'work'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssemblyInputError);
    expect((err as AssemblyInputError).sceneId).toBe('intro');
    expect((err as Error).message).toMatch(/^scene intro narrationAudio: ffprobe could not read .*voice\.mp3: refused to fetch http:/);
    expect(requests).toEqual([]);
  });
});
