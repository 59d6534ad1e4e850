/**
 * Every long media call reports progress (0..1) so an activity can heartbeat from it: trimming an extension, the
 * continuity stills, the poster and contact sheet. Each is run on a real clip; its last report is 1, reports only
 * grow, and the file it promised is there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractLastFrame, fitImage } from '../../src/media/frames.js';
import { probe } from '../../src/media/probe.js';
import { writeContactSheet, writePoster } from '../../src/media/stills.js';
import { trimHead } from '../../src/media/trim.js';
import { genClip } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';

let dir: string;
let clip: string;
beforeAll(async () => {
  dir = await tempDir('storyreel-progress-');
  clip = join(dir, 'clip.mp4');
  await genClip(clip, { width: 320, height: 180, fps: 24, seconds: 4, color: 0x20c040 });
});

function recorder() {
  const seen: number[] = [];
  return {
    seen,
    onProgress: (f: number) => seen.push(f),
    check() {
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBe(1);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    },
  };
}

describe('onProgress on every long media call', () => {
  it('trimHead', async () => {
    const r = recorder();
    const dest = join(dir, 'trimmed.mp4');
    await trimHead(clip, dest, 1, 24, { onProgress: r.onProgress });
    r.check();
    expect(Number((await probe(dest, { countPackets: true })).streams[0]!.nb_read_packets)).toBe(72);
  });

  it('extractLastFrame and fitImage', async () => {
    const last = recorder();
    await extractLastFrame(clip, join(dir, 'last.png'), { width: 160, height: 90 }, { onProgress: last.onProgress });
    last.check();
    const fitted = recorder();
    await fitImage(join(dir, 'last.png'), join(dir, 'fit.png'), { width: 64, height: 64 }, { onProgress: fitted.onProgress });
    fitted.check();
    expect(existsSync(join(dir, 'fit.png'))).toBe(true);
  });

  it('poster and contact sheet', async () => {
    const poster = recorder();
    await writePoster(clip, 2, join(dir, 'poster.jpg'), { onProgress: poster.onProgress });
    poster.check();
    const sheet = recorder();
    await writeContactSheet(
      clip,
      [0.5, 2.5],
      24,
      { cols: 2, rows: 1, tileWidth: 160, tileHeight: 90 },
      join(dir, 'sheet.jpg'),
      join(dir, 'tiles.ffconcat'),
      {
        onProgress: sheet.onProgress,
      },
    );
    sheet.check();
    expect(existsSync(join(dir, 'sheet.jpg'))).toBe(true);
  });
});
