/**
 * A scene whose budget wait timed out asks again (issue 11 item 7): the ledger answers the same and reserves once.
 */
import { describe, expect, it } from 'vitest';
import { BudgetLedger } from '../../src/production/ledger.js';

describe('a repeated budget request', () => {
  it('gets the same answer and reserves the job once', () => {
    const ledger = new BudgetLedger(1);
    const ask = { sceneId: 's1', take: 1, jobAttempt: 1, estimatedUsd: 0.6 };
    expect(ledger.request(ask, 't0')).toBe(true);
    expect(ledger.request(ask, 't1')).toBe(true);
    expect(ledger.lines).toHaveLength(1);
    expect(ledger.spentUsd()).toBe(0.6);
    // a second job that does not fit is denied; asked again, it is denied again, once
    const second = { sceneId: 's2', take: 1, jobAttempt: 1, estimatedUsd: 0.6 };
    expect(ledger.request(second, 't2')).toBe(false);
    expect(ledger.request(second, 't3')).toBe(false);
    expect(ledger.lines.map((l) => l.outcome)).toEqual(['reserved', 'denied']);
  });
});
