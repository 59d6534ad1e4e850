/**
 * The video models the Runway mock serves, as Runway's API reference (through `@runwayml/sdk` 4.20.1's generated
 * types) describes each one: which endpoints take it, the ratios and durations each accepts, which optional fields it
 * knows (any other field is refused, as the live API refuses `unrecognized_keys`), which image positions it takes,
 * whether it makes sound, and its price in credits per second (1 credit = $0.01).
 *
 * Prices marked `estimated` are not in Runway's published table (docs.dev.runwayml.com/guides/pricing as mirrored by
 * runwayml/skills: gen4.5 12, gen4_turbo 5, veo3.1 20/40 with sound, veo3.1_fast 10/15, seedance2 36).
 */

export type Endpoint = 'text_to_video' | 'image_to_video';
export type OptionalField = 'seed' | 'audio' | 'negativePrompt' | 'contentModeration';

export interface EndpointSpec {
  /** `W:H` pixel ratios accepted here; the first is the default when `ratio` may be omitted. */
  ratios: readonly string[];
  ratioRequired: boolean;
  promptRequired: boolean;
  durationRequired: boolean;
}

export interface MockRunwayModel {
  id: string;
  endpoints: Partial<Record<Endpoint, EndpointSpec>>;
  /** Whole seconds: a range, or a fixed set. */
  durations: { min: number; max: number } | { values: readonly number[] };
  /** Seconds made when `duration` is omitted (not documented: the mock's choice). */
  defaultDuration: number;
  /** Longest `promptText` in UTF-16 code units. */
  promptLimit: number;
  optional: readonly OptionalField[];
  /** `promptImage` positions: `first` only, first and `last` (a last frame needs a first), or keyframes/references. */
  positions: 'first' | 'first-last' | 'keyframes-or-references';
  /** Sound: never, or on unless `audio: false`. */
  audio: 'none' | 'switch';
  creditsPerSecond: number;
  creditsPerSecondWithAudio?: number;
  priceEstimated?: boolean;
}

const GEN45_T2V = ['1280:720', '720:1280'];
const GEN4_I2V = ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'];
const VEO = ['1280:720', '720:1280', '1920:1080', '1080:1920'];
const SEEDANCE_720 = [
  '1280:720',
  '720:1280',
  '960:960',
  '1112:834',
  '834:1112',
  '1470:630',
  '864:496',
  '496:864',
  '640:640',
  '752:560',
  '560:752',
  '992:432',
];
const SEEDANCE = [
  ...SEEDANCE_720,
  '1920:1080',
  '1080:1920',
  '1440:1440',
  '1664:1248',
  '1248:1664',
  '2206:946',
  '3840:2160',
  '2160:3840',
  '3840:3840',
  '3840:2880',
  '2880:3840',
  '3840:1646',
];
const OMNI = ['1280:720', '720:1280'];

const both = (t2v: readonly string[], i2v: readonly string[], t2vRatioRequired: boolean, i2vRatioRequired: boolean) => ({
  text_to_video: { ratios: t2v, ratioRequired: t2vRatioRequired, promptRequired: true, durationRequired: false },
  image_to_video: { ratios: i2v, ratioRequired: i2vRatioRequired, promptRequired: false, durationRequired: false },
});

const seedance = (id: string, ratios: readonly string[], credits: number, estimated: boolean): MockRunwayModel => ({
  id,
  endpoints: both(ratios, ratios, false, false),
  durations: { min: 4, max: 15 },
  defaultDuration: 5,
  promptLimit: 3500,
  optional: ['seed', 'audio'],
  positions: 'keyframes-or-references',
  audio: 'switch',
  creditsPerSecond: credits,
  ...(estimated ? { priceEstimated: true } : {}),
});

export const MOCK_MODELS: readonly MockRunwayModel[] = [
  {
    id: 'gen4.5',
    endpoints: {
      text_to_video: { ratios: GEN45_T2V, ratioRequired: true, promptRequired: true, durationRequired: true },
      image_to_video: { ratios: GEN4_I2V, ratioRequired: true, promptRequired: true, durationRequired: true },
    },
    durations: { min: 2, max: 10 },
    defaultDuration: 5,
    promptLimit: 1000,
    optional: ['seed', 'contentModeration'],
    positions: 'first',
    audio: 'none',
    creditsPerSecond: 12,
  },
  {
    id: 'gen4_turbo',
    endpoints: { image_to_video: { ratios: GEN4_I2V, ratioRequired: true, promptRequired: false, durationRequired: false } },
    durations: { min: 2, max: 10 },
    defaultDuration: 5,
    promptLimit: 1000,
    optional: ['seed', 'contentModeration'],
    positions: 'first',
    audio: 'none',
    creditsPerSecond: 5,
  },
  ...(['veo3.1', 'veo3.1_fast'] as const).map((id): MockRunwayModel => ({
    id,
    endpoints: both(VEO, VEO, true, true),
    durations: { values: [4, 6, 8] },
    defaultDuration: 8,
    promptLimit: 1000,
    optional: ['seed', 'audio', 'negativePrompt'],
    positions: 'first-last',
    audio: 'switch',
    creditsPerSecond: id === 'veo3.1' ? 20 : 10,
    creditsPerSecondWithAudio: id === 'veo3.1' ? 40 : 15,
  })),
  seedance('seedance2', SEEDANCE, 36, false),
  seedance('seedance2_fast', SEEDANCE_720, 24, true),
  seedance('seedance2_mini', SEEDANCE_720, 12, true),
  {
    id: 'gemini_omni_flash',
    endpoints: both(OMNI, OMNI, false, false),
    durations: { min: 3, max: 10 },
    defaultDuration: 5,
    promptLimit: 1000,
    optional: [],
    positions: 'first',
    audio: 'none',
    creditsPerSecond: 13,
    priceEstimated: true,
  },
];

export function durationAllowed(m: MockRunwayModel, seconds: number): boolean {
  const d = m.durations;
  return 'values' in d ? d.values.includes(seconds) : Number.isInteger(seconds) && seconds >= d.min && seconds <= d.max;
}

/** Credits a task of this model costs (what `estimatedCost` shows and the account is charged). */
export function creditsFor(m: MockRunwayModel, seconds: number, withAudio: boolean): number {
  const rate = withAudio && m.creditsPerSecondWithAudio !== undefined ? m.creditsPerSecondWithAudio : m.creditsPerSecond;
  return Math.round(rate * seconds);
}
