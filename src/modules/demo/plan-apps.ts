import {
  type CatalogApp,
  catalogApps,
  coreAppCount,
  longTailPlans,
  longTailPrefixes,
  longTailSuffixes,
} from './app-catalog.js';
import { departments } from './org-catalog.js';
import type { Random } from './random.js';

export type AppState = 'managed' | 'discovered' | 'closed';

/** One app of the demo organization, before ids are assigned. */
export interface PlannedApp {
  name: string;
  category: string;
  vendor: string;
  url: string;
  description: string;
  plan: string;
  /** Price per seat per month in minor units of `currency`; 0 for free tools. */
  priceMinor: number;
  currency: 'USD' | 'EUR';
  state: AppState;
  reach: number;
  /** Target department indices; empty means everyone. */
  departments: number[];
  /** Planned index of the owning person. */
  ownerIndex: number;
  closedDaysAgo: number | null;
}

const DISCOVERED_SHARE = 0.18;
const EUR_SHARE = 0.15;
const USD_TO_EUR = 0.92;

/** The long tail's names: every prefix/suffix pair in a seeded order, then product-line variants. */
function longTailNames(random: Random): (index: number) => string {
  const combos = longTailPrefixes.flatMap((p) => longTailSuffixes.map((s) => `${p}${s}`));
  for (let i = combos.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const swap = combos[i] ?? '';
    combos[i] = combos[j] ?? '';
    combos[j] = swap;
  }
  const variants = ['', ' Cloud', ' Pro', ' Enterprise'];
  return (index) => {
    const base = combos[index % combos.length] ?? 'App';
    const round = Math.floor(index / combos.length);
    return `${base}${variants[round] ?? ` ${round + 1}`}`;
  };
}

function longTailApp(random: Random, name: string, categories: readonly string[]): CatalogApp {
  const { plan, priceMinor } = random.pick(longTailPlans);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '');
  const targets = random.chance(0.2)
    ? []
    : [random.pick(departments).name, ...(random.chance(0.3) ? [random.pick(departments).name] : [])];
  return {
    name,
    category: random.pick(categories),
    vendor: `${name.split(' ')[0]} Inc.`,
    site: `${slug}.example`,
    plan,
    priceMinor,
    reach: 0.005 + random.next() * 0.03,
    departments: [...new Set(targets)],
  };
}

/** Distinct indices in [from, to) chosen at random, `count` of them (fewer if the range is short). */
function chooseIndices(random: Random, from: number, to: number, count: number): Set<number> {
  const chosen = new Set<number>();
  const wanted = Math.min(count, Math.max(0, to - from));
  while (chosen.size < wanted) chosen.add(random.int(from, to - 1));
  return chosen;
}

/**
 * Plans `count` apps: the catalog first (most important apps first), then a long tail of invented
 * ones. Core apps are always managed; of the rest most are managed, some discovered (shadow IT)
 * and a couple closed. Owners are drawn from the managers of the app's main department.
 */
export function planApps(
  random: Random,
  count: number,
  managers: readonly (readonly number[])[],
): PlannedApp[] {
  const categories = [...new Set(catalogApps.map((a) => a.category))];
  const nameAt = longTailNames(random.fork('long-tail-names'));
  const closed =
    count >= 10
      ? chooseIndices(random, coreAppCount, count, Math.max(2, Math.round(count * 0.02)))
      : new Set();
  const itIndex = departments.findIndex((d) => d.name === 'IT');
  const fallbackOwners = managers.flat();
  const used = new Set(catalogApps.map((a) => a.name.toLowerCase()));
  const apps: PlannedApp[] = [];
  for (let i = 0; i < count; i++) {
    let source = catalogApps[i];
    if (!source) {
      let name = nameAt(i - catalogApps.length);
      // A long-tail name can only clash with a catalog name by accident; keep names unique anyway.
      while (used.has(name.toLowerCase())) name = `${name} Suite`;
      used.add(name.toLowerCase());
      source = longTailApp(random, name, categories);
    }
    const targetDepartments = source.departments
      .map((name) => departments.findIndex((d) => d.name === name))
      .filter((d) => d >= 0);
    const ownerPool = managers[targetDepartments[0] ?? itIndex] ?? [];
    const state: AppState = closed.has(i)
      ? 'closed'
      : i >= coreAppCount && random.chance(DISCOVERED_SHARE)
        ? 'discovered'
        : 'managed';
    const isEur = random.chance(EUR_SHARE);
    apps.push({
      name: source.name,
      category: source.category,
      vendor: source.vendor,
      url: `https://${source.site}`,
      description: `${source.category} software by ${source.vendor}`,
      plan: source.plan,
      priceMinor: isEur ? Math.round(source.priceMinor * USD_TO_EUR) : source.priceMinor,
      currency: isEur ? 'EUR' : 'USD',
      state,
      reach: source.reach,
      departments: targetDepartments,
      ownerIndex: random.pick(
        ownerPool.length > 0 ? ownerPool : fallbackOwners.length > 0 ? fallbackOwners : [0],
      ),
      closedDaysAgo: state === 'closed' ? random.int(30, 300) : null,
    });
  }
  return apps;
}
