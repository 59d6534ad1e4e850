/**
 * The models the mock serves, per surface, with the limits it enforces (from Google's model cards and the Gemini API
 * video guide, as collected in /work/shared/reference/providers-2026.md §A.1). A model listed as shut down on a
 * surface answers 404 "is no longer available", as the live APIs do after a shutdown. The mock stands alone, so it
 * keeps its own table rather than reading storyreel's catalog.
 */
import type { Surface } from './routes.js';

export type Resolution = '360p' | '720p' | '1080p' | '4k';

export interface MockModel {
  api: 'veo' | 'interactions';
  serves: readonly Surface[];
  shutDown?: readonly Surface[];
  resolutions: readonly Resolution[];
  /** Veo: the allowed lengths; Omni: whole seconds from 3 to `max`. */
  seconds: readonly number[] | { max: number };
  lastFrame: boolean;
  maxReferenceImages: number;
  extend: boolean;
}

const veo = (tier: 'standard' | 'fast' | 'lite', serves: readonly Surface[], shutDown: readonly Surface[] = []): MockModel => ({
  api: 'veo',
  serves,
  shutDown,
  resolutions: tier === 'lite' ? ['720p', '1080p'] : ['720p', '1080p', '4k'],
  seconds: [4, 6, 8],
  lastFrame: tier !== 'lite',
  maxReferenceImages: tier === 'lite' ? 0 : 3,
  extend: tier !== 'lite',
});

const omni = (
  max: number,
  resolutions: readonly Resolution[],
  serves: readonly Surface[],
  shutDown: readonly Surface[] = [],
): MockModel => ({
  api: 'interactions',
  serves,
  shutDown,
  resolutions,
  seconds: { max },
  lastFrame: false,
  maxReferenceImages: 3,
  extend: false,
});

const ALL: Resolution[] = ['360p', '720p', '1080p', '4k'];

export const MOCK_MODELS: Readonly<Record<string, MockModel>> = {
  'veo-3.1-generate-001': veo('standard', ['gemini', 'vertex']),
  'veo-3.1-fast-generate-001': veo('fast', ['gemini', 'vertex']),
  'veo-3.1-lite-generate-001': veo('lite', ['gemini', 'vertex']),
  'veo-3.1-generate-preview': veo('standard', [], ['gemini']),
  'veo-3.1-fast-generate-preview': veo('fast', [], ['gemini']),
  'veo-3.1-lite-generate-preview': veo('lite', [], ['gemini']),
  'veo-3.0-generate-001': veo('standard', [], ['gemini', 'vertex']),
  'veo-3.0-fast-generate-001': veo('fast', [], ['gemini', 'vertex']),
  'gemini-omni-1.1-flash': omni(10, ALL, ['gemini']),
  'gemini-omni-1.2-flash': omni(15, ALL, ['gemini', 'vertex']),
  'gemini-omni-1.1-flash-preview': omni(10, ALL, ['vertex']),
  'gemini-omni-flash-preview': omni(10, ['720p'], ['vertex'], ['gemini']),
};

export const HEIGHT: Record<Resolution, number> = { '360p': 360, '720p': 720, '1080p': 1080, '4k': 2160 };

/** Pixel size of a resolution (the short side) at an aspect. */
export function pixels(resolution: Resolution, aspect: '16:9' | '9:16'): { width: number; height: number } {
  const short = HEIGHT[resolution];
  const long = Math.round((short * 16) / 9);
  return aspect === '16:9' ? { width: long, height: short } : { width: short, height: long };
}
