import { describe, expect, it } from 'vitest';
import { catalogApps, coreAppCount } from './app-catalog.js';
import { planApps } from './plan-apps.js';
import { managersByDepartment, planPeople } from './plan-people.js';
import { createRandom } from './random.js';

const people = planPeople(createRandom(1), 1000, 'acme.example');
const managers = managersByDepartment(people);

describe('app catalog', () => {
  it('holds about 60 distinct, well-formed apps', () => {
    expect(catalogApps.length).toBeGreaterThanOrEqual(60);
    expect(new Set(catalogApps.map((a) => a.name.toLowerCase())).size).toBe(catalogApps.length);
    for (const app of catalogApps) {
      expect(Number.isInteger(app.priceMinor) && app.priceMinor >= 0, app.name).toBe(true);
      expect(app.reach > 0 && app.reach <= 1, app.name).toBe(true);
    }
    expect(catalogApps.find((a) => a.name === 'Slack')?.category).toBe('Collaboration');
  });
});

describe('planApps', () => {
  it('starts with the catalog and is deterministic', () => {
    const apps = planApps(createRandom(42), 60, managers);
    expect(apps.map((a) => a.name)).toEqual(catalogApps.slice(0, 60).map((a) => a.name));
    expect(planApps(createRandom(42), 60, managers)).toEqual(apps);
  });

  it('keeps names unique well past the catalog', () => {
    const apps = planApps(createRandom(42), 5000, managers);
    expect(new Set(apps.map((a) => a.name.toLowerCase())).size).toBe(5000);
  });

  it('keeps core apps managed, with some discovered and a couple closed', () => {
    const apps = planApps(createRandom(42), 60, managers);
    expect(apps.slice(0, coreAppCount).every((a) => a.state === 'managed')).toBe(true);
    const count = (state: string) => apps.filter((a) => a.state === state).length;
    expect(count('closed')).toBe(2);
    expect(count('discovered')).toBeGreaterThan(0);
    expect(count('managed')).toBeGreaterThan(apps.length / 2);
    for (const a of apps) expect(a.closedDaysAgo === null).toBe(a.state !== 'closed');
  });

  it('lets managers own apps and prices them in USD or EUR', () => {
    const apps = planApps(createRandom(42), 200, managers);
    const managerIndices = new Set(managers.flat());
    expect(apps.every((a) => managerIndices.has(a.ownerIndex))).toBe(true);
    expect(new Set(apps.map((a) => a.currency))).toEqual(new Set(['USD', 'EUR']));
  });
});
