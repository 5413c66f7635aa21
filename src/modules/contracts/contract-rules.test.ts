import { describe, expect, it } from 'vitest';
import { type ContractTerms, contractProblems } from './contract-rules.js';
import { isCurrencyCode, minorPerMajor } from './currencies.js';

const ok: ContractTerms = {
  status: 'active',
  startDate: '2025-01-01',
  endDate: '2025-12-31',
  renewalDate: '2025-12-01',
  currency: 'EUR',
  annualCost: 1200.5,
};

const fields = (terms: Partial<ContractTerms>) => contractProblems({ ...ok, ...terms }).map((p) => p.field);

describe('contract rules', () => {
  it('accepts sensible terms', () => {
    expect(contractProblems(ok)).toEqual([]);
    expect(
      contractProblems({
        ...ok,
        startDate: null,
        endDate: null,
        renewalDate: null,
        currency: null,
        annualCost: null,
      }),
    ).toEqual([]);
  });

  it('names the field of each broken rule', () => {
    expect(fields({ endDate: '2024-12-31' })).toEqual(['endDate']);
    expect(fields({ renewalDate: '2024-06-01' })).toEqual(['renewalDate']);
    expect(fields({ renewalDate: '2031-01-01' })).toEqual(['renewalDate']);
    expect(fields({ renewalDate: '2025-02-30' })).toEqual(['renewalDate']);
    expect(fields({ startDate: '1900-01-01', endDate: null, renewalDate: null })).toEqual(['startDate']);
    expect(fields({ currency: 'XYZ' })).toEqual(['currency']);
    expect(fields({ currency: 'usd' })).toEqual(['currency']);
    expect(fields({ annualCost: -1 })).toEqual(['annualCost']);
    expect(fields({ status: 'bogus' })).toEqual(['status']);
  });

  it('knows currency codes and their minor units', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('ABC')).toBe(false);
    expect(minorPerMajor('USD')).toBe(100);
    expect(minorPerMajor('JPY')).toBe(1);
    expect(minorPerMajor('KWD')).toBe(1000);
  });
});
