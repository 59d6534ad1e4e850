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
}

export interface CaptionStyle {
  /** Text height in output pixels. */
  fontSize: number;
  /** RRGGBB. */
  color: string;
  /** Outline width in output pixels. */
  outline: number;
  position: 'bottom' | 'top';
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
  const margin = Math.round(size.height * 0.05);
  const text = (t: string) => t.replaceAll('\\', '\u29f5').replaceAll('{', '\u2983').replaceAll('}', '\u2984').replaceAll('\n', '\\N');
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
    `Style: Default,Sans,${style.fontSize},${assColor(style.color)},&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,${style.outline},0,${alignment},${margin},${margin},${margin},1`,
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...cues.map((c) => `Dialogue: 0,${assTime(c.startS)},${assTime(c.endS)},Default,,0,0,0,,${text(c.text)}`),
    '',
  ].join('\n');
}
