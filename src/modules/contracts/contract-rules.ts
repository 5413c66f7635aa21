import type { FieldProblem } from '../../platform/errors/app-error.js';
import { isIsoDate } from '../fields/custom-values.js';
import { currencyDecimals, fitsCurrency, isCurrencyCode } from './currencies.js';

export const contractStatuses = ['active', 'expired', 'cancelled'] as const;

/** The dated, priced state of a contract after a write, as the rules check it. */
export interface ContractTerms {
  status: string;
  startDate: string | null;
  endDate: string | null;
  renewalDate: string | null;
  currency: string | null;
  annualCost: number | null;
}

/** Renewals later than this after the end (or start) of a contract are typos, not plans. */
const MAX_RENEWAL_YEARS_AFTER = 5;
const MIN_YEAR = 1970;
const MAX_YEAR = 2100;
export const MAX_ANNUAL_COST = 1e12;

function addYears(day: string, years: number): string {
  return `${String(Number(day.slice(0, 4)) + years).padStart(4, '0')}${day.slice(4)}`;
}

function checkDate(problems: FieldProblem[], field: string, value: string | null): boolean {
  if (value === null) return false;
  if (!isIsoDate(value)) {
    problems.push({ field, problem: 'must be a date (YYYY-MM-DD)' });
    return false;
  }
  const year = Number(value.slice(0, 4));
  if (year < MIN_YEAR || year > MAX_YEAR) {
    problems.push({ field, problem: `must be between ${MIN_YEAR} and ${MAX_YEAR}` });
    return false;
  }
  return true;
}

function precisionProblem(currency: string | null): string {
  const decimals = currencyDecimals(currency);
  const amounts = currency ? `${currency} amounts` : 'amounts';
  return decimals === 0
    ? `${amounts} have no decimal places (whole units only)`
    : `${amounts} have at most ${decimals} decimal places`;
}

/**
 * Every rule a contract's terms must meet, as problems naming the field: known status, dates that
 * exist, end not before start, renewal not before start nor more than 5 years after the end,
 * an ISO 4217 currency, a non-negative cost with no more decimal places than the currency has
 * (2 without a currency).
 */
export function contractProblems(
  terms: ContractTerms,
  today = new Date().toISOString().slice(0, 10),
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!(contractStatuses as readonly string[]).includes(terms.status)) {
    problems.push({ field: 'status', problem: `must be one of ${contractStatuses.join(', ')}` });
  }
  const start = checkDate(problems, 'startDate', terms.startDate) ? terms.startDate : null;
  const end = checkDate(problems, 'endDate', terms.endDate) ? terms.endDate : null;
  const renewal = checkDate(problems, 'renewalDate', terms.renewalDate) ? terms.renewalDate : null;
  if (start && end && end < start)
    problems.push({ field: 'endDate', problem: 'must not be before startDate' });
  if (renewal) {
    const anchor = end ?? start ?? today;
    if (start && renewal < start) {
      problems.push({ field: 'renewalDate', problem: 'must not be before startDate' });
    } else if (renewal > addYears(anchor, MAX_RENEWAL_YEARS_AFTER)) {
      problems.push({
        field: 'renewalDate',
        problem: `must be at most ${MAX_RENEWAL_YEARS_AFTER} years after ${end ? 'endDate' : start ? 'startDate' : 'today'}`,
      });
    }
  }
  if (terms.currency !== null && !isCurrencyCode(terms.currency)) {
    problems.push({ field: 'currency', problem: `'${terms.currency}' is not an ISO 4217 currency code` });
  }
  if (terms.annualCost !== null) {
    if (!Number.isFinite(terms.annualCost) || terms.annualCost < 0) {
      problems.push({ field: 'annualCost', problem: 'must be a non-negative number' });
    } else if (terms.annualCost > MAX_ANNUAL_COST) {
      problems.push({ field: 'annualCost', problem: `must be at most ${MAX_ANNUAL_COST}` });
    } else if (!fitsCurrency(terms.annualCost, terms.currency)) {
      problems.push({ field: 'annualCost', problem: precisionProblem(terms.currency) });
    }
  }
  return problems;
}
