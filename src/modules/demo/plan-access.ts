import { departments } from './org-catalog.js';
import type { PlannedApp } from './plan-apps.js';
import type { PlannedPerson } from './plan-people.js';
import type { Random } from './random.js';

export type AccountStatus = 'active' | 'inactive' | 'suspended';

/** One person's account in one app, before ids are assigned. Times count days back from the reference. */
export interface PlannedAccount {
  app: number;
  status: AccountStatus;
  role: 'admin' | 'member' | 'viewer';
  license: string;
  lastUsedDaysAgo: number | null;
  firstSeenDaysAgo: number;
  deactivatedDaysAgo: number | null;
  /** A login event is recorded at lastUsed (only for recent use). */
  hasLogin: boolean;
}

/** Share of a leaver's accounts still active: the forgotten access a SaaS audit should surface. */
const ORPHANED_SHARE = 0.3;
/** People use apps outside their department's usual set, just much less often. */
const CROSS_DEPARTMENT_FACTOR = 0.02;
const LOGIN_WINDOW_DAYS = 30;
const LOGIN_SHARE = 0.3;

/**
 * Cumulative usage weights per department: sampling by binary search stays O(log apps) per draw,
 * which matters at a million accounts over thousands of apps.
 */
function cumulativeWeights(apps: readonly PlannedApp[]): Float64Array[] {
  return departments.map((_, d) => {
    const cumulative = new Float64Array(apps.length);
    let total = 0;
    apps.forEach((app, a) => {
      const fits = app.departments.length === 0 || app.departments.includes(d);
      const state = app.state === 'closed' ? 0.3 : app.state === 'discovered' ? 0.5 : 1;
      total += app.reach * state * (fits ? 1 : CROSS_DEPARTMENT_FACTOR);
      cumulative[a] = total;
    });
    return cumulative;
  });
}

function search(cumulative: Float64Array, target: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((cumulative[mid] ?? 0) <= target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Returns a function that plans one person's accounts: about `accessPerPerson` apps per employee
 * (a third of that for contractors), drawn by department-specific popularity without repeats.
 * Call it for people in order; the draws are deterministic for a given generator.
 */
export function createAccessPlanner(
  random: Random,
  apps: readonly PlannedApp[],
  accessPerPerson: number,
): (person: PlannedPerson) => PlannedAccount[] {
  const weights = cumulativeWeights(apps);
  return (person) => {
    const cumulative = weights[person.department];
    const total = cumulative?.[cumulative.length - 1] ?? 0;
    if (!cumulative || total <= 0) return [];
    const mean = person.isExternal ? accessPerPerson / 3 : accessPerPerson;
    const wanted = Math.min(apps.length, Math.round(mean * (0.5 + random.next())));
    const chosen = new Set<number>();
    // Popular apps are drawn again and again; bounded retries keep a skewed catalog from looping.
    for (let attempt = 0; chosen.size < wanted && attempt < wanted * 30; attempt++) {
      chosen.add(search(cumulative, random.next() * total));
    }
    return [...chosen].map((a) => planAccount(random, person, a, apps[a]));
  };
}

function planAccount(
  random: Random,
  person: PlannedPerson,
  app: number,
  planned: PlannedApp | undefined,
): PlannedAccount {
  let status: AccountStatus = 'active';
  let deactivatedDaysAgo: number | null = null;
  if (planned?.closedDaysAgo != null) {
    status = 'inactive';
    deactivatedDaysAgo = planned.closedDaysAgo;
  } else if (person.deactivatedDaysAgo !== null && !random.chance(ORPHANED_SHARE)) {
    status = person.status === 'suspended' ? 'suspended' : 'inactive';
    deactivatedDaysAgo = Math.max(0, person.deactivatedDaysAgo - random.int(0, 10));
  } else if (random.chance(0.07)) {
    status = random.chance(0.7) ? 'inactive' : 'suspended';
    deactivatedDaysAgo = random.int(1, 120);
  }

  let lastUsedDaysAgo: number | null = null;
  if (status === 'active') {
    // Squaring skews use toward recent days, as in real login data.
    if (random.chance(0.88)) lastUsedDaysAgo = 90 * random.next() ** 2;
  } else if (deactivatedDaysAgo !== null && random.chance(0.6)) {
    const days = deactivatedDaysAgo + random.next() * 30;
    if (days <= 90) lastUsedDaysAgo = days;
  }
  const firstSeenDaysAgo = Math.max(lastUsedDaysAgo ?? 0, deactivatedDaysAgo ?? 0) + 1 + random.next() * 700;

  const roll = random.next();
  const role = roll < 0.04 ? 'admin' : roll < 0.2 ? 'viewer' : 'member';
  const isPaid = (planned?.priceMinor ?? 0) > 0;
  return {
    app,
    status,
    role,
    // Viewers of paid tools usually sit on the vendor's free seat type.
    license: isPaid && role !== 'viewer' ? (planned?.plan ?? 'Free') : 'Free',
    lastUsedDaysAgo,
    firstSeenDaysAgo,
    deactivatedDaysAgo,
    hasLogin:
      status === 'active' &&
      lastUsedDaysAgo !== null &&
      lastUsedDaysAgo < LOGIN_WINDOW_DAYS &&
      random.chance(LOGIN_SHARE),
  };
}
