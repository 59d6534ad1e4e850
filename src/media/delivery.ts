/**
 * Delivery: everything beside the verified video goes into place first, the video last, each by temp file + rename
 * (nothing half-written is ever visible under a final name). Poster and contact sheet are cut from the verified
 * temp file; caption sidecars (.srt, .vtt) sit beside the video. A failure removes every temp this step made.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PlannedTimeline } from './assembly-plan.js';
import { toSrt, toVtt, type Cue } from './captions.js';
import type { OnProgress } from './ffmpeg.js';
import type { HouseFormat } from './fingerprint.js';
import { sheetLayout, writeContactSheet, writePoster } from './stills.js';
import { tempPathFor } from '../store/files.js';

export interface Delivered {
  sidecars: string[];
  poster?: string;
  contactSheet?: string;
}

/** Puts the verified `tmp` video at `output` with its stills and sidecars (see the module comment). */
export async function deliver(args: {
  tmp: string;
  output: string;
  scratch: string;
  plan: PlannedTimeline;
  house: HouseFormat;
  poster: boolean;
  contactSheet: boolean;
  /** Caption cues for the sidecars; none written when empty. */
  sidecarCues: Cue[];
  signal?: AbortSignal;
  /** 0..1 while the stills are cut. */
  onProgress?: OnProgress;
  /** Called when the stills are cut (assembly times its steps by it). */
  stillsDone?: () => void;
}): Promise<Delivered> {
  const outDir = dirname(args.output);
  const staged: { tmp: string; dest: string }[] = [];
  const stage = (dest: string) => {
    const tmp = `${tempPathFor(dest)}${dest.slice(dest.lastIndexOf('.'))}`;
    staged.push({ tmp, dest });
    return tmp;
  };
  try {
    const poster = args.poster ? join(outDir, 'poster.jpg') : undefined;
    const contactSheet = args.contactSheet ? join(outDir, 'contact-sheet.jpg') : undefined;
    const { windows, scenes } = args.plan;
    let done = 0;
    const stillDone = () => args.onProgress?.(++done / ((poster ? 1 : 0) + (contactSheet ? 1 : 0)));
    const opts = args.signal ? { signal: args.signal } : {};
    await Promise.all([
      poster ? writePoster(args.tmp, windows[0]!.midS, stage(poster), opts).then(stillDone) : undefined,
      contactSheet
        ? writeContactSheet(
            args.tmp,
            windows.map((w) => w.midS),
            args.house.fps,
            sheetLayout(scenes.length, args.house),
            stage(contactSheet),
            join(args.scratch, 'tiles.ffconcat'),
            opts,
          ).then(stillDone)
        : undefined,
    ]);
    args.stillsDone?.();
    const sidecars: string[] = [];
    if (args.sidecarCues.length) {
      const base = args.output.replace(/\.mp4$/, '');
      for (const [ext, text] of [
        ['srt', toSrt(args.sidecarCues)],
        ['vtt', toVtt(args.sidecarCues)],
      ] as const) {
        const dest = `${base}.${ext}`;
        await writeFile(stage(dest), text);
        sidecars.push(dest);
      }
    }
    for (const s of staged) await rename(s.tmp, s.dest);
    await rename(args.tmp, args.output);
    return { sidecars, ...(poster ? { poster } : {}), ...(contactSheet ? { contactSheet } : {}) };
  } finally {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
  }
}
