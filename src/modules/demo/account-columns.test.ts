import { describe, expect, it } from 'vitest';
import { collectAccounts, orderByApp, readAccount } from './account-columns.js';
import { createAccessPlanner } from './plan-access.js';
import { planApps } from './plan-apps.js';
import { managersByDepartment, planPeople } from './plan-people.js';
import { createRandom } from './random.js';

const people = planPeople(createRandom(1), 500, 'acme.example');
const apps = planApps(createRandom(2), 60, managersByDepartment(people));

describe('access planning', () => {
  const columns = collectAccounts(people, apps, createAccessPlanner(createRandom(3), apps, 10), 16);

  it('gives each person about accessPerPerson distinct apps', () => {
    expect(columns.count).toBeGreaterThan(500 * 8);
    expect(columns.count).toBeLessThan(500 * 11);
    const pairs = new Set<string>();
    for (let i = 0; i < columns.count; i++) pairs.add(`${columns.person[i]}:${columns.app[i]}`);
    expect(pairs.size).toBe(columns.count);
  });

  it('is deterministic and survives growing its columns', () => {
    const again = collectAccounts(people, apps, createAccessPlanner(createRandom(3), apps, 10), 5000);
    expect(again.count).toBe(columns.count);
    expect(readAccount(again, 1234, apps)).toEqual(readAccount(columns, 1234, apps));
  });

  it('closes accounts of closed apps and keeps some access of leavers active', () => {
    const accounts = Array.from({ length: columns.count }, (_, i) => readAccount(columns, i, apps));
    for (const a of accounts) {
      if (apps[a.app]?.state === 'closed') expect(a.status).toBe('inactive');
      expect(a.deactivatedDaysAgo === null).toBe(a.status === 'active');
      if (a.lastUsedDaysAgo !== null) expect(a.lastUsedDaysAgo).toBeLessThanOrEqual(90);
      expect(a.firstSeenDaysAgo).toBeGreaterThan(a.lastUsedDaysAgo ?? 0);
    }
    const leaversActive = accounts.filter(
      (a) => people[a.person]?.status !== 'active' && a.status === 'active',
    );
    expect(leaversActive.length).toBeGreaterThan(0);
  });

  it('orders accounts by app, people in order within an app', () => {
    const order = orderByApp(columns, apps.length);
    expect(new Set(order).size).toBe(columns.count);
    for (let k = 1; k < order.length; k++) {
      const prev = order[k - 1] ?? 0;
      const cur = order[k] ?? 0;
      const [pa, ca] = [columns.app[prev] ?? 0, columns.app[cur] ?? 0];
      expect(ca >= pa && (ca > pa || (columns.person[cur] ?? 0) > (columns.person[prev] ?? 0))).toBe(true);
    }
  });
});
