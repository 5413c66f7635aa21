import { describe, expect, it } from 'vitest';
import { type ContractTerms, contractProblems } from './contract-rules.js';
import { fitsCurrency, isCurrencyCode, minorPerMajor, toMinorUnits } from './currencies.js';

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

  it('refuses amounts finer than the currency, naming its precision', () => {
    const problem = (terms: Partial<ContractTerms>) => contractProblems({ ...ok, ...terms })[0];
    expect(problem({ currency: 'USD', annualCost: 1.005 })).toEqual({
      field: 'annualCost',
      problem: 'USD amounts have at most 2 decimal places',
    });
    expect(problem({ currency: 'USD', annualCost: 0.001 })?.field).toBe('annualCost');
    expect(problem({ currency: 'USD', annualCost: 1e-7 })?.field).toBe('annualCost');
    expect(problem({ currency: 'JPY', annualCost: 1234.56 })).toEqual({
      field: 'annualCost',
      problem: 'JPY amounts have no decimal places (whole units only)',
    });
    expect(problem({ currency: 'KWD', annualCost: 1.0005 })?.problem).toBe(
      'KWD amounts have at most 3 decimal places',
    );
    expect(problem({ currency: null, annualCost: 1.005 })?.problem).toBe(
      'amounts have at most 2 decimal places',
    );
    for (const [currency, annualCost] of [
      ['USD', 1.15],
      ['USD', 0.01],
      ['USD', 0],
      ['JPY', 1234],
      ['KWD', 1.005],
    ] as const) {
      expect(contractProblems({ ...ok, currency, annualCost }), `${annualCost} ${currency}`).toEqual([]);
    }
  });

  it('converts amounts to minor units exactly, from their decimal digits', () => {
    expect(toMinorUnits(1.15, 'USD')).toBe(115);
    expect(toMinorUnits(4.35, 'USD')).toBe(435);
    expect(toMinorUnits(1.005, 'KWD')).toBe(1005);
    expect(toMinorUnits(0.1, 'USD')).toBe(10);
    expect(toMinorUnits(19.99, 'EUR')).toBe(1999);
    expect(toMinorUnits(1234, 'JPY')).toBe(1234);
    expect(toMinorUnits(0, 'USD')).toBe(0);
    expect(toMinorUnits(1e12, 'KWD')).toBe(1e15);
    // Every cent from 0.00 to 99.99: no float error (Math.round(x * 100) is off for some).
    for (let cents = 0; cents < 10000; cents++) {
      expect(toMinorUnits(Number((cents / 100).toFixed(2)), 'USD')).toBe(cents);
    }
    expect(() => toMinorUnits(1.005, 'USD')).toThrow();
    expect(fitsCurrency(1.5, 'JPY')).toBe(false);
  });
});
