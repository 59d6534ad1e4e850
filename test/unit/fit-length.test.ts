/**
 * Clips fitted to the planned length (issue 12): a model's 4n+1 frames (81 at 16 fps for 5 s) are trimmed to the
 * scene, a clip generated shorter than the scene holds its last frame, audio follows the picture. Probed with ffprobe.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitLength } from '../../src/media/trim.js';
import { genClip } from '../helpers/av.js';
import { tempDir } from '../helpers/files.js';
import { frameByIndex, lastFrame, meanAbsDiff, streamsOf } from '../helpers/media.js';

describe('fitLength', () => {
  it('trims a 4n+1-frame clip (81 frames at 16 fps) to exactly 5 s at the scene fps', async () => {
    const dir = await tempDir();
    const src = join(dir, 'wan.mp4');
    await genClip(src, { width: 320, height: 180, fps: 16, seconds: 81 / 16, color: 0x2040a0 });
    expect((await streamsOf(src)).frames).toBe(81);
    const out = join(dir, 'fit.mp4');
    await fitLength(src, out, 5, 16);
    const s = await streamsOf(out);
    console.log(`4n+1 trim: ${81} frames in, ${s.frames} out, audio ${s.audio.length}`);
    expect([s.frames, s.width, s.height, s.audio.length]).toEqual([80, 320, 180, 1]);
    expect(Number(s.audio[0]!.duration)).toBeCloseTo(5, 1);
  });

  it('holds the last frame when the model made a shorter clip (5 s made, 6 s in the edit)', async () => {
    const dir = await tempDir();
    const src = join(dir, 'short.mp4');
    await genClip(src, { width: 320, height: 180, fps: 24, seconds: 5, color: 0xa02040 });
    const out = join(dir, 'held.mp4');
    await fitLength(src, out, 6, 24);
    const s = await streamsOf(out);
    console.log(`pad: 120 frames in, ${s.frames} out`);
    expect(s.frames).toBe(144);
    expect(Number(s.audio[0]!.duration)).toBeCloseTo(6, 1);
    // the held second shows the source's last frame
    const held = await lastFrame(out);
    const sourceLast = await lastFrame(src);
    expect(meanAbsDiff(held.data, sourceLast.data)).toBeLessThan(4);
    const first = await frameByIndex(out, 0);
    expect(meanAbsDiff(first.data, (await frameByIndex(src, 0)).data)).toBeLessThan(4);
  });
});
