/**
 * A submit cannot outlive its activity (issue 11 item 3): a provider's requestTimeoutMs must end inside the submit
 * activity's timeout with a margin, checked when the storyboard is planned (against the default 120 s) and when a
 * production is submitted (against the production's own Timeouts.submitS), naming the field.
 */
import { describe, expect, it } from 'vitest';
import { checkRequestTimeouts } from '../../src/client/productions.js';
import { maxRequestTimeoutMs } from '../../src/contracts/provider-settings.js';
import { catalog } from '../../src/providers/catalog.js';
import type { ProductionPlan } from '../../src/storyboard/plan.js';

describe('requestTimeoutMs fits inside the submit activity', () => {
  it('the storyboard schema refuses a request timeout the default 120 s submit cannot hold, naming the field', () => {
    expect(maxRequestTimeoutMs()).toBe(110_000);
    const bad = catalog.parseSettings('openai-videos', { requestTimeoutMs: 115_000 });
    expect(bad.success).toBe(false);
    const issue = bad.error!.issues[0]!;
    expect(issue.path).toEqual(['requestTimeoutMs']);
    expect(issue.message).toMatch(/at most 110000 ms: a request has to end inside the submit's 120 s timeout/);
    expect(catalog.parseSettings('openai-videos', { requestTimeoutMs: 110_000 }).success).toBe(true);
  });

  it("a production's shorter submit timeout is checked when it is submitted", () => {
    const plan = {
      productionId: 'p',
      scenes: [{ provider: 'openai-videos', settings: { requestTimeoutMs: 90_000 } }],
    } as unknown as ProductionPlan;
    expect(() => checkRequestTimeouts(plan)).not.toThrow();
    expect(() => checkRequestTimeouts(plan, 60)).toThrow(
      /providers\.openai-videos\.requestTimeoutMs: 90000 ms does not end inside the submit's 60 s timeout with 10 s to spare; at most 50000 ms/,
    );
  });
});
