/** The circuit breaker's rules (workflows/breaker-rules.ts), pure: threshold within a window, cool-down, one probe. */
import { describe, expect, it } from 'vitest';
import { claimProbe, closedBreaker, recordFailure, recordSuccess, viewOf } from '../../workflows/breaker-rules.js';

const config = { failures: 3, windowMs: 10_000, coolDownMs: 5_000 };

describe('circuit breaker rules', () => {
  it('opens after `failures` failures within the window, for the cool-down', () => {
    let s = closedBreaker(config);
    s = recordFailure(s, 1_000, '503', config);
    s = recordFailure(s, 2_000, '503', config);
    expect(viewOf(s, 2_000)).toMatchObject({ state: 'closed', failures: 2 });
    s = recordFailure(s, 3_000, '503', config);
    expect(viewOf(s, 3_000)).toMatchObject({ state: 'open', openUntil: 8_000 });
    expect(s.openings).toEqual([{ at: 3_000, until: 8_000, reason: '503' }]);
    // late failures of requests sent before it opened do not extend it
    s = recordFailure(s, 4_000, '503', config);
    expect(viewOf(s, 7_999).openUntil).toBe(8_000);
  });

  it('forgets failures older than the window, and a success while closed', () => {
    let s = closedBreaker(config);
    s = recordFailure(s, 0, 'x', config);
    s = recordFailure(s, 1_000, 'x', config);
    s = recordFailure(s, 11_500, 'x', config); // the first two are out of the window
    expect(viewOf(s, 11_500).state).toBe('closed');
    s = recordSuccess(s, 12_000);
    s = recordFailure(s, 12_100, 'x', config);
    s = recordFailure(s, 12_200, 'x', config);
    expect(viewOf(s, 12_200).state).toBe('closed');
  });

  it('after the cool-down lets exactly one probe through; its success closes, its failure reopens', () => {
    let s = closedBreaker(config);
    for (const t of [0, 1, 2]) s = recordFailure(s, t, 'x', config);
    expect(claimProbe(s, 4_000, 'p1', 1_000).granted).toBe(false); // still open
    expect(viewOf(s, 5_002).state).toBe('half_open');
    const first = claimProbe(s, 5_002, 'p1', 1_000);
    expect(first.granted).toBe(true);
    expect(claimProbe(first.state, 5_100, 'p2', 1_000).granted).toBe(false);
    // a probe whose lease ran out (its worker died) lets the next one go
    expect(claimProbe(first.state, 6_100, 'p2', 1_000).granted).toBe(true);
    const reopened = recordFailure(first.state, 5_500, 'still down', config, 'p1');
    expect(viewOf(reopened, 5_500)).toMatchObject({ state: 'open', openUntil: 10_500 });
    const closed = recordSuccess(first.state, 5_500, 'p1');
    expect(viewOf(closed, 5_500)).toMatchObject({ state: 'closed', failures: 0 });
  });
});
