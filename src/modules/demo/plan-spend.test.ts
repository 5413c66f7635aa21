import { describe, expect, it } from 'vitest';
import { addMonths, DAY_MS, isoDate } from './dates.js';
import type { PlannedApp } from './plan-apps.js';
import { planSpend } from './plan-spend.js';
import { createRandom } from './random.js';

const reference = Date.parse('2026-03-31T15:00:00Z');
const app: PlannedApp = {
  name: 'Slack',
  category: 'Collaboration',
  vendor: 'Salesforce',
  url: 'https://slack.com',
  description: 'Collaboration software by Salesforce',
  plan: 'Business+',
  priceMinor: 1250,
  currency: 'USD',
  state: 'managed',
  reach: 0.95,
  departments: [],
  ownerIndex: 0,
  closedDaysAgo: null,
};

describe('addMonths', () => {
  it('clamps to the end of shorter months', () => {
    expect(isoDate(addMonths(Date.UTC(2026, 0, 31), 1))).toBe('2026-02-28');
    expect(isoDate(addMonths(Date.UTC(2026, 2, 15), -12))).toBe('2025-03-15');
  });
});

describe('planSpend', () => {
  it('plans a license, a current contract and twelve past monthly charges for a managed paid app', () => {
    const spend = planSpend(createRandom(3), app, 120, reference);
    expect(spend.license).toMatchObject({ name: 'Slack Business+', used: 120, priceMinor: 1250 });
    expect(spend.transactions).toHaveLength(12);
    for (const t of spend.transactions) {
      expect(t.occurredOn < '2026-03-01').toBe(true);
      expect(t.occurredOn >= '2025-03-01').toBe(true);
      expect(Number.isInteger(t.amountMinor) && t.amountMinor > 0).toBe(true);
    }
    const current = spend.contracts.find((c) => c.status === 'active');
    expect(current).toBeDefined();
    expect(current?.startDate && current.startDate <= '2026-03-31').toBe(true);
    expect(current?.endDate && current.endDate >= '2026-03-31').toBe(true);
    expect(current?.renewalDate).toBe(current?.endDate);
  });

  it('renews some contracts within 90 days', () => {
    const random = createRandom(9);
    const soon = isoDate(reference + 90 * DAY_MS);
    const renewals = Array.from({ length: 200 }, () => planSpend(random, app, 50, reference).contracts[0])
      .filter((c) => c !== undefined)
      .filter((c) => c.renewalDate <= soon);
    expect(renewals.length).toBeGreaterThan(20);
    expect(renewals.length).toBeLessThan(100);
  });

  it('plans no spend for free apps, no contract for discovered ones, no charges after closing', () => {
    expect(planSpend(createRandom(1), { ...app, priceMinor: 0 }, 10, reference)).toEqual({
      license: null,
      contracts: [],
      transactions: [],
    });
    const discovered = planSpend(createRandom(1), { ...app, state: 'discovered' }, 3, reference);
    expect(discovered.contracts).toEqual([]);
    expect(discovered.transactions.every((t) => t.paymentMethod === 'Corporate card')).toBe(true);
    const closed = planSpend(createRandom(1), { ...app, state: 'closed', closedDaysAgo: 100 }, 0, reference);
    expect(closed.license).toBeNull();
    expect(closed.transactions.length).toBeLessThan(12);
    expect(closed.transactions.every((t) => t.occurredOn <= isoDate(reference - 100 * DAY_MS))).toBe(true);
  });
});
