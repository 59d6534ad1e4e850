/**
 * Captions from scene narration: cues timed on the assembled timeline, written as SRT (mov_text track, sidecar),
 * WebVTT (sidecar, for browsers) and ASS (burn-in). Pure.
 *
 * Timing: a scene's caption takes over at the middle of its incoming transition (at the cut for a cut) and holds
 * until the next scene's caption takes over, or until the end. Text longer than two lines of 42 characters is
 * split into several cues, each shown for a share of the scene proportional to its length.
 */
import type { SceneTiming } from './timeline.js';
import { switchPoints } from './timeline.js';

export interface Cue {
  startS: number;
  endS: number;
  /** One or two lines, joined with "\n". */
  text: string;
  /** For spoken captions: each word of `text` in order with its time on the output timeline (karaoke). */
  words?: { text: string; startS: number; endS: number }[];
}

export interface CaptionStyle {
  /** Text height in output pixels. */
  fontSize: number;
  /** RRGGBB. */
  color: string;
  /** Outline width in output pixels. */
  outline: number;
  position: 'bottom' | 'top';
  /** Highlight the word being spoken in `highlight` (needs cues with words). */
  karaoke?: boolean;
  highlight?: string;
}

const LINE = 42;

/** Greedy word wrap to `width` characters; a word longer than a line is cut. */
export function wrapWords(text: string, width = LINE): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.replace(/\s+/g, ' ').trim().split(' ')) {
    if (!word) continue;
    for (let w = word; w; w = w.slice(width)) {
      const piece = w.slice(0, width);
      if (!line) line = piece;
      else if (line.length + 1 + piece.length <= width) line += ` ${piece}`;
      else {
        lines.push(line);
        line = piece;
      }
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Cues for every scene with narration. `narration[i]` belongs to `scenes[i]`. */
export function narrationCues(scenes: readonly SceneTiming[], narration: readonly (string | undefined)[], fps: number): Cue[] {
  const points = switchPoints(scenes, fps);
  const end = scenes.at(-1)?.endS ?? 0;
  const cues: Cue[] = [];
  scenes.forEach((_, i) => {
    const text = narration[i]?.trim();
    if (!text) return;
    const from = points[i]!;
    const to = Math.max(from + 1 / fps, points[i + 1] ?? end);
    const lines = wrapWords(text);
    const chunks: string[] = [];
    for (let k = 0; k < lines.length; k += 2) chunks.push(lines.slice(k, k + 2).join('\n'));
    const total = chunks.reduce((n, c) => n + c.length, 0);
    let at = from;
    chunks.forEach((c, k) => {
      const next = k === chunks.length - 1 ? to : at + ((to - from) * c.length) / total;
      cues.push({ startS: at, endS: next, text: c });
      at = next;
    });
  });
  return cues;
}

/** A word as spoken in a scene, seconds from the scene's start. */
export interface SceneWord {
  text: string;
  startS: number;
  endS: number;
  speaker?: string;
}

/** Longest caption line for spoken captions: shorter on vertical video, where the picture is narrow. */
export const lineWidthFor = (size: { width: number; height: number }) => (size.height > size.width ? 24 : LINE);

/**
 * Cues for every scene: timed per word where the scene's speech gave words (a cue starts with its first word and
 * shows until the next cue, or for a breath after its last word), as before from the narration text elsewhere.
 * A cue holds at most two lines of `width` characters and never spans a sentence end or a change of speaker.
 */
export function sceneCues(
  scenes: readonly SceneTiming[],
  narration: readonly (string | undefined)[],
  words: readonly (readonly SceneWord[] | undefined)[],
  fps: number,
  width = LINE,
): Cue[] {
  if (!words.some((w) => w?.length)) return narrationCues(scenes, narration, fps);
  const points = switchPoints(scenes, fps);
  const end = scenes.at(-1)?.endS ?? 0;
  const cues: Cue[] = [];
  scenes.forEach((scene, i) => {
    const spoken = words[i];
    if (!spoken?.length) {
      cues.push(...narrationCues([scene], [narration[i]], fps).map((c) => clampCue(c, points[i]!, points[i + 1] ?? end)));
      return;
    }
    const limit = points[i + 1] ?? end;
    const groups = groupWords(spoken, width);
    groups.forEach((g, k) => {
      const startS = scene.startS + g[0]!.startS;
      const lastEnd = scene.startS + g.at(-1)!.endS;
      const next = groups[k + 1];
      const endS = Math.min(limit, next ? scene.startS + next[0]!.startS : lastEnd + 0.6);
      if (endS <= startS) return;
      cues.push({
        startS: round3(startS),
        endS: round3(endS),
        text: wrapWords(g.map((w) => w.text).join(' '), width).join('\n'),
        words: g.map((w) => ({ text: w.text, startS: round3(scene.startS + w.startS), endS: round3(scene.startS + w.endS) })),
      });
    });
  });
  return cues;
}

function clampCue(c: Cue, from: number, to: number): Cue {
  return { ...c, startS: Math.max(c.startS, from), endS: Math.min(c.endS, to) };
}

/** Words into caption-sized groups: two lines of `width`, broken after a sentence end or at a change of speaker. */
export function groupWords(words: readonly SceneWord[], width: number): SceneWord[][] {
  const groups: SceneWord[][] = [];
  let current: SceneWord[] = [];
  const fits = (g: SceneWord[]) => wrapWords(g.map((w) => w.text).join(' '), width).length <= 2;
  for (const w of words) {
    const last = current.at(-1);
    if (last && (last.speaker !== w.speaker || /[.!?…]["')\]]*$/.test(last.text) || !fits([...current, w]))) {
      groups.push(current);
      current = [];
    }
    current.push(w);
  }
  if (current.length) groups.push(current);
  return groups;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** hh:mm:ss,mmm (SRT) or hh:mm:ss.mmm (WebVTT). */
export function stamp(s: number, sep: ',' | '.'): string {
  const ms = Math.max(0, Math.round(s * 1000));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor((ms % 3_600_000) / 60_000))}:${pad(Math.floor((ms % 60_000) / 1000))}${sep}${pad(ms % 1000, 3)}`;
}

export function toSrt(cues: readonly Cue[]): string {
  return cues.map((c, i) => `${i + 1}\n${stamp(c.startS, ',')} --> ${stamp(c.endS, ',')}\n${c.text}\n`).join('\n');
}

export function toVtt(cues: readonly Cue[]): string {
  const esc = (t: string) => t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `WEBVTT\n\n${cues.map((c) => `${stamp(c.startS, '.')} --> ${stamp(c.endS, '.')}\n${esc(c.text)}\n`).join('\n')}`;
}

/** ASS colour &HAABBGGRR from RRGGBB (alpha 00 = opaque). */
export function assColor(rrggbb: string): string {
  const h = rrggbb.replace(/^#/, '').padStart(6, '0').toUpperCase();
  return `&H00${h.slice(4, 6)}${h.slice(2, 4)}${h.slice(0, 2)}`;
}

const assTime = (s: number) => {
  const cs = Math.max(0, Math.round(s * 100));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(cs / 360_000)}:${pad(Math.floor((cs % 360_000) / 6000))}:${pad(Math.floor((cs % 6000) / 100))}.${pad(cs % 100)}`;
};

/**
 * An ASS script for burn-in. PlayRes is the output size, so the style's font size and outline are output pixels
 * (SRT through `force_style` is laid out on libass's 384x288 default canvas instead). Braces and backslashes in
 * the text are replaced by look-alikes: in ASS they start override tags.
 */
export function toAss(cues: readonly Cue[], style: CaptionStyle, size: { width: number; height: number }): string {
  const alignment = style.position === 'top' ? 8 : 2;
  const { marginV, marginH } = safeMargins(size);
  const text = (t: string) => t.replaceAll('\\', '\u29f5').replaceAll('{', '\u2983').replaceAll('}', '\u2984').replaceAll('\n', '\\N');
  const events = style.karaoke
    ? karaokeEvents(cues, style.highlight ?? 'ffd400', text)
    : cues.map((c) => ({ startS: c.startS, endS: c.endS, text: text(c.text) }));
  return [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${size.width}`,
    `PlayResY: ${size.height}`,
    'ScaledBorderAndShadow: yes',
    'WrapStyle: 0',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    `Style: Default,Sans,${style.fontSize},${assColor(style.color)},&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,${style.outline},0,${alignment},${marginH},${marginH},${marginV},1`,
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...events.map((e) => `Dialogue: 0,${assTime(e.startS)},${assTime(e.endS)},Default,,0,0,0,,${e.text}`),
    '',
  ].join('\n');
}

/**
 * Where captions may sit. Landscape: 5 % of the height from the edge. Vertical (9:16 and other portrait sizes):
 * short-form apps lay their buttons over the bottom fifth and the right edge, so captions keep 20 % of the height
 * from the bottom (or top) and 8 % of the width from each side.
 */
export function safeMargins(size: { width: number; height: number }): { marginV: number; marginH: number } {
  const vertical = size.height > size.width;
  return {
    marginV: Math.round(size.height * (vertical ? 0.2 : 0.05)),
    marginH: Math.round(vertical ? size.width * 0.08 : size.height * 0.05),
  };
}

/**
 * Karaoke captions: while a cue shows, one event per word, the cue's whole text with the word being spoken in the
 * highlight colour (`\\1c`), from that word's start to the next word's start (the last one to the cue's end). Cues
 * without word timings show as they are.
 */
export function karaokeEvents(
  cues: readonly Cue[],
  highlight: string,
  escape: (t: string) => string,
): { startS: number; endS: number; text: string }[] {
  const out: { startS: number; endS: number; text: string }[] = [];
  for (const c of cues) {
    if (!c.words?.length) {
      out.push({ startS: c.startS, endS: c.endS, text: escape(c.text) });
      continue;
    }
    const lines = c.text.split('\n');
    // Which line each word is on: the cue's text was wrapped from the words in order.
    const lineOf: number[] = [];
    let line = 0;
    let used = 0;
    for (const w of c.words) {
      while (line < lines.length - 1 && used + w.text.length > lines[line]!.length) {
        line++;
        used = 0;
      }
      lineOf.push(line);
      used += w.text.length + 1;
    }
    c.words.forEach((w, k) => {
      const from = k === 0 ? c.startS : w.startS;
      const to = k + 1 < c.words!.length ? c.words![k + 1]!.startS : c.endS;
      if (to <= from) return;
      const parts = c.words!.map((x, j) => (j === k ? `{\\1c&H${assColor(highlight).slice(4)}&}${escape(x.text)}{\\r}` : escape(x.text)));
      const text = lines.map((_, li) => parts.filter((__, j) => lineOf[j] === li).join(' ')).join('\\N');
      out.push({ startS: from, endS: to, text });
    });
  }
  return out;
}
