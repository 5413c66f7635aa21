import { addMonths, DAY_MS, dayOfMonthBefore, isoDate, startOfDay } from './dates.js';
import type { PlannedApp } from './plan-apps.js';
import type { Random } from './random.js';

export interface PlannedLicense {
  name: string;
  total: number;
  used: number;
  priceMinor: number;
}

export interface PlannedContract {
  name: string;
  status: 'active' | 'expired';
  startDate: string;
  endDate: string;
  /** The day the contract renews (or would have): its end date. */
  renewalDate: string;
  autoRenew: boolean;
  /** Cost of one billing period (a year for annual, a month for monthly) in minor units. */
  costMinor: number;
  billingPeriod: 'annual' | 'monthly';
}

export interface PlannedTransaction {
  occurredOn: string;
  amountMinor: number;
  description: string;
  paymentMethod: string;
}

/** What one app costs: its license pool, its contracts and a year of monthly charges. */
export interface PlannedSpend {
  license: PlannedLicense | null;
  contracts: PlannedContract[];
  transactions: PlannedTransaction[];
}

/**
 * Plans the spend of one app given how many active accounts hold its paid plan. Free and closed
 * apps have no license pool; only managed paid apps have contracts (discovered ones are expensed
 * on cards); every paid app is charged monthly over the last twelve months, until it was closed.
 */
export function planSpend(
  random: Random,
  app: PlannedApp,
  seatsUsed: number,
  reference: number,
): PlannedSpend {
  if (app.priceMinor <= 0) return { license: null, contracts: [], transactions: [] };
  const today = startOfDay(reference);
  const seats =
    app.state === 'discovered'
      ? Math.max(1, seatsUsed)
      : random.chance(0.1)
        ? Math.max(1, Math.floor(seatsUsed * 0.95)) // over-used: more users than seats bought
        : Math.max(5, Math.ceil(seatsUsed * (1 + random.next() * 0.4)));
  const discount = app.state === 'managed' ? 0.75 + random.next() * 0.25 : 1;
  const monthlyCost = seats * app.priceMinor * discount;

  const license =
    app.state === 'closed'
      ? null
      : { name: `${app.name} ${app.plan}`, total: seats, used: seatsUsed, priceMinor: app.priceMinor };

  const contracts: PlannedContract[] = [];
  if (app.state === 'managed') {
    const termMonths = random.chance(0.15) ? 24 : 12;
    const billingPeriod = random.chance(0.7) ? 'annual' : 'monthly';
    // Starts spread over the current term, so about a quarter of annual contracts renew within 90 days.
    const start = today - random.int(0, termMonths * 30 - 1) * DAY_MS;
    const end = addMonths(start, termMonths) - DAY_MS;
    const periodCost = billingPeriod === 'annual' ? monthlyCost * 12 : monthlyCost;
    const autoRenew = random.chance(0.6);
    contracts.push(contract(app, 'active', start, end, periodCost, billingPeriod, autoRenew));
    if (random.chance(0.4)) {
      const previousStart = addMonths(start, -termMonths);
      contracts.push(
        contract(app, 'expired', previousStart, start - DAY_MS, periodCost * 0.9, billingPeriod, autoRenew),
      );
    }
  }

  const transactions: PlannedTransaction[] = [];
  const billingDay = random.int(1, 28);
  const closedOn = app.closedDaysAgo === null ? Number.POSITIVE_INFINITY : today - app.closedDaysAgo * DAY_MS;
  for (let monthsBack = 12; monthsBack >= 1; monthsBack--) {
    const day = dayOfMonthBefore(today, monthsBack, billingDay);
    if (day > closedOn) continue;
    const variance = 0.97 + random.next() * 0.06;
    transactions.push({
      occurredOn: isoDate(day),
      amountMinor: Math.round(monthlyCost * variance),
      description: `${app.name} ${app.plan} subscription`,
      paymentMethod: app.state === 'managed' ? 'Invoice' : 'Corporate card',
    });
  }
  return { license, contracts, transactions };
}

function contract(
  app: PlannedApp,
  status: PlannedContract['status'],
  start: number,
  end: number,
  cost: number,
  billingPeriod: PlannedContract['billingPeriod'],
  autoRenew: boolean,
): PlannedContract {
  return {
    name: `${app.name} ${app.plan} ${isoDate(start).slice(0, 4)}`,
    status,
    startDate: isoDate(start),
    endDate: isoDate(end),
    renewalDate: isoDate(end),
    autoRenew,
    costMinor: Math.round(cost),
    billingPeriod,
  };
}
