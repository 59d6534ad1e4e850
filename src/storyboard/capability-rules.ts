/**
 * Pure rules over declared provider capabilities (the data lives in src/providers/catalog.ts).
 */
import type { PixelSize, ProviderCapabilities, SecondsSpec } from '../providers/types.js';

export function secondsAllowed(spec: SecondsSpec, seconds: number): boolean {
  if (spec.kind === 'enum') return spec.values.includes(seconds);
  if (seconds < spec.min || seconds > spec.max) return false;
  const steps = (seconds - spec.min) / spec.step;
  return Math.abs(steps - Math.round(steps)) < 1e-9;
}

export function describeSeconds(spec: SecondsSpec): string {
  return spec.kind === 'enum' ? spec.values.join(', ') : `${spec.min} to ${spec.max} in steps of ${spec.step}`;
}

export function sizeText(size: PixelSize): string {
  return `${size.width}x${size.height}`;
}

export function priceFor(caps: ProviderCapabilities, size: PixelSize, seconds: number): number {
  const key = sizeText(size);
  const rule = caps.pricing.find((r) => !r.sizes || r.sizes.includes(key));
  return Math.round((rule?.usdPerSecond ?? 0) * seconds * 10_000) / 10_000;
}

/** Seconds a job may stay queued or running before it counts as stuck. */
export function defaultJobDeadlineSeconds(caps: ProviderCapabilities, seconds: number): number {
  return Math.ceil(300 + caps.renderSecondsPerSecond * seconds * 4);
}
