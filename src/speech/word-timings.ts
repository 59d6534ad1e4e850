/**
 * Word timings: from a provider's character alignment (ElevenLabs), or estimated from the text and where the audio
 * is voiced (espeak-ng and OpenAI-compatible servers give none). Pure.
 *
 * The estimate: the text is split into phrases at punctuation; when the audio has as many voiced stretches as there
 * are phrases, each phrase gets its stretch, otherwise the words share all voiced time. Inside a stretch each word
 * takes a share proportional to its letters plus one (a rough syllable weight). The first word therefore starts
 * exactly where the voice starts, which is what a caption must meet.
 */
import type { WordTiming } from '../contracts/speech.js';

export interface Alignment {
  characters: readonly string[];
  character_start_times_seconds: readonly number[];
  character_end_times_seconds: readonly number[];
}

/** Words (runs of non-space characters) with the start of their first and the end of their last character. */
export function wordsFromAlignment(a: Alignment): WordTiming[] {
  const words: WordTiming[] = [];
  let current: WordTiming | undefined;
  a.characters.forEach((ch, i) => {
    const start = a.character_start_times_seconds[i] ?? 0;
    const end = a.character_end_times_seconds[i] ?? start;
    if (/\s/.test(ch)) {
      if (current) words.push(current);
      current = undefined;
      return;
    }
    if (!current) current = { text: ch, startS: start, endS: end };
    else {
      current.text += ch;
      current.endS = end;
    }
  });
  if (current) words.push(current);
  return words.map((w) => ({ text: w.text, startS: round3(w.startS), endS: round3(w.endS) }));
}

export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

const weight = (word: string) => word.replace(/[^\p{L}\p{N}]/gu, '').length + 1;

/** Spread `words` over [from, to] by weight. */
function spread(words: readonly string[], from: number, to: number): WordTiming[] {
  const total = words.reduce((t, w) => t + weight(w), 0);
  let at = from;
  return words.map((w) => {
    const end = at + ((to - from) * weight(w)) / total;
    const timing = { text: w, startS: round3(at), endS: round3(end) };
    at = end;
    return timing;
  });
}

export function estimateWordTimings(text: string, spans: readonly { startS: number; endS: number }[], totalS: number): WordTiming[] {
  const words = splitWords(text);
  if (!words.length) return [];
  const voiced = spans.length ? spans : [{ startS: 0, endS: totalS }];
  const phrases: string[][] = [[]];
  for (const w of words) {
    phrases.at(-1)!.push(w);
    if (/[,.;:!?…]["')\]]*$/.test(w)) phrases.push([]);
  }
  const nonEmpty = phrases.filter((p) => p.length);
  if (nonEmpty.length === voiced.length) return nonEmpty.flatMap((p, i) => spread(p, voiced[i]!.startS, voiced[i]!.endS));
  // Map cumulative voiced time back to the timeline: words never land in a pause.
  const lengths = voiced.map((s) => s.endS - s.startS);
  const totalVoiced = lengths.reduce((t, l) => t + l, 0);
  // A start on a boundary belongs to the next stretch, an end to the one before.
  const toTime = (v: number, start: boolean): number => {
    let rest = v;
    for (let i = 0; i < voiced.length; i++) {
      const inside = start ? rest < lengths[i]! - 1e-9 : rest <= lengths[i]! + 1e-9;
      if (inside || i === voiced.length - 1) return voiced[i]!.startS + Math.min(rest, lengths[i]!);
      rest -= lengths[i]!;
    }
    return totalS;
  };
  return spread(words, 0, totalVoiced).map((w) => ({
    text: w.text,
    startS: round3(toTime(w.startS, true)),
    endS: round3(toTime(w.endS, false)),
  }));
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
