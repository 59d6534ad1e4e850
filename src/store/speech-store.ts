/**
 * The speech store: synthesized lines and scene speech tracks, content-addressed by their speech key (sha256 over
 * the text and every voice setting, see src/storyboard/speech.ts), shared by every run in a work dir. A line that is
 * here is never synthesized (or paid for) again.
 *
 * Layout under `root`: speech/<k0k1>/<key>.wav and <key>.json (the record). Keys are 64 hex characters, checked on
 * every call, so no path is built from user text. Audio first, record last: a record always names a whole file.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertCacheKey } from './clip-store.js';
import { writeJsonAtomic } from './files.js';

export interface SpeechRecord {
  key: string;
  /** Absolute path of the WAV (48 kHz stereo). */
  path: string;
  bytes: number;
  durationS: number;
  words: { text: string; startS: number; endS: number; speaker?: string }[];
  wordTimings: 'provider' | 'estimated';
  provider: string;
  costUsd: number;
  createdAt: string;
}

export class SpeechStore {
  constructor(readonly root: string) {}

  /** Where the audio for `key` lives (write it through a temp file and rename). */
  audioPath(key: string): string {
    assertCacheKey(key);
    return join(this.root, 'speech', key.slice(0, 2), `${key}.wav`);
  }

  private recordPath(key: string): string {
    return this.audioPath(key).replace(/\.wav$/, '.json');
  }

  async prepare(key: string): Promise<string> {
    const path = this.audioPath(key);
    await mkdir(dirname(path), { recursive: true });
    return path;
  }

  /** The record when its audio is present and whole; undefined otherwise. */
  async get(key: string): Promise<SpeechRecord | undefined> {
    let record: SpeechRecord;
    try {
      record = JSON.parse(await readFile(this.recordPath(key), 'utf8')) as SpeechRecord;
    } catch {
      return undefined;
    }
    try {
      if ((await stat(record.path)).size !== record.bytes) return undefined;
    } catch {
      return undefined;
    }
    return record;
  }

  /** Records audio already renamed into `audioPath(key)`. */
  async put(record: Omit<SpeechRecord, 'path' | 'bytes' | 'createdAt'>): Promise<SpeechRecord> {
    const path = this.audioPath(record.key);
    const full: SpeechRecord = { ...record, path, bytes: (await stat(path)).size, createdAt: new Date().toISOString() };
    await writeJsonAtomic(this.recordPath(record.key), full);
    return full;
  }
}
