/**
 * The circuit breaker's rules, pure (no Temporal): a provider whose requests fail as an outage does, from any worker,
 * `failures` times within `windowMs`, is left alone for `coolDownMs`; then one request (the probe) tests it again —
 * a success closes the breaker, a failure opens it for another cool-down. The provider-breaker workflow holds the
 * state and applies these rules to the signals and updates it receives.
 */
import { DEFAULT_BREAKER, type BreakerConfig, type BreakerView } from './definitions.js';
const KEEP_OPENINGS = 20;

export interface BreakerState {
  config: BreakerConfig;
  /** Times of failures within the window while closed. */
  failures: number[];
  /** Set while open and half-open: no request before this time. */
  openUntil?: number;
  /** Half-open: the probe that is out, and until when its lease runs. */
  probe?: { id: string; until: number };
  openings: BreakerView['openings'];
}

export const closedBreaker = (config: BreakerConfig = DEFAULT_BREAKER): BreakerState => ({ config, failures: [], openings: [] });

export function viewOf(s: BreakerState, now: number): BreakerView {
  const recent = s.failures.filter((t) => now - t < s.config.windowMs).length;
  const base = { failures: recent, openings: s.openings };
  if (s.openUntil === undefined) return { state: 'closed', ...base };
  if (now < s.openUntil) return { state: 'open', openUntil: s.openUntil, ...base };
  return { state: 'half_open', openUntil: s.openUntil, ...(s.probe && s.probe.until > now ? { probeUntil: s.probe.until } : {}), ...base };
}

/** A failed request. Failures of requests sent before the breaker opened (still arriving) do not extend it. */
export function recordFailure(s: BreakerState, now: number, reason: string, config: BreakerConfig, probeId?: string): BreakerState {
  const next: BreakerState = { ...s, config };
  if (s.openUntil !== undefined) {
    const probeFailed = probeId !== undefined && s.probe?.id === probeId;
    return probeFailed ? open(next, now, `probe failed: ${reason}`) : next;
  }
  const failures = [...s.failures.filter((t) => now - t < config.windowMs), now];
  return failures.length >= config.failures ? open({ ...next, failures: [] }, now, reason) : { ...next, failures };
}

/** A request that worked: closes a half-open breaker (the probe came back) and forgets failures while closed. */
export function recordSuccess(s: BreakerState, now: number, probeId?: string): BreakerState {
  if (s.openUntil === undefined) return { ...s, failures: [] };
  if (now >= s.openUntil && (probeId === undefined || s.probe?.id === probeId)) {
    const { openUntil: _o, probe: _p, ...rest } = s;
    return { ...rest, failures: [] };
  }
  return s;
}

/** Half-open with no live probe: this caller's request is the probe. Otherwise refused. */
export function claimProbe(s: BreakerState, now: number, probeId: string, leaseMs: number): { state: BreakerState; granted: boolean } {
  const view = viewOf(s, now);
  if (view.state !== 'half_open') return { state: s, granted: view.state === 'closed' };
  if (s.probe && s.probe.until > now && s.probe.id !== probeId) return { state: s, granted: false };
  return { state: { ...s, probe: { id: probeId, until: now + leaseMs } }, granted: true };
}

function open(s: BreakerState, now: number, reason: string): BreakerState {
  const until = now + s.config.coolDownMs;
  const { probe: _p, ...rest } = s;
  return { ...rest, openUntil: until, openings: [...s.openings, { at: now, until, reason: reason.slice(0, 300) }].slice(-KEEP_OPENINGS) };
}
