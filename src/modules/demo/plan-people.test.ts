import { describe, expect, it } from 'vitest';
import { contractorDomains, departments } from './org-catalog.js';
import { emailLocalPart, managersByDepartment, planPeople } from './plan-people.js';
import { createRandom } from './random.js';

describe('planPeople', () => {
  const people = planPeople(createRandom(42), 2000, 'acme.example');

  it('is deterministic for a seed', () => {
    const again = planPeople(createRandom(42), 2000, 'acme.example');
    expect(again).toEqual(people);
    expect(planPeople(createRandom(43), 2000, 'acme.example')).not.toEqual(people);
  });

  it('gives everyone a unique lower-case email, employees on the tenant domain', () => {
    const emails = people.map((p) => p.email);
    expect(new Set(emails).size).toBe(people.length);
    for (const p of people) {
      expect(p.email).toBe(p.email.toLowerCase());
      expect(p.email).toMatch(/^[a-z]+\.[a-z]+\d*@[a-z.-]+$/);
      if (p.isExternal) expect(contractorDomains).toContain(p.email.split('@')[1]);
      else expect(p.email.endsWith('@acme.example')).toBe(true);
    }
  });

  it('builds one org chart: a CEO, department heads under it, managers in the same department', () => {
    expect(people[0]).toMatchObject({
      title: 'Chief Executive Officer',
      managerIndex: null,
      status: 'active',
    });
    expect(people.slice(1).every((p) => p.managerIndex !== null)).toBe(true);
    for (const p of people.slice(1)) {
      const manager = people[p.managerIndex ?? -1];
      expect(manager?.isManager).toBe(true);
      if (manager && p.managerIndex !== 0) expect(manager.department).toBe(p.department);
    }
    const heads = people.filter((p, i) => i > 0 && p.managerIndex === 0);
    expect(new Set(heads.map((h) => h.department)).size).toBe(heads.length);
    expect(managersByDepartment(people).every((m) => m.length > 0)).toBe(true);
  });

  it('spreads people over every department and includes a few contractors and leavers', () => {
    expect(new Set(people.map((p) => p.department)).size).toBe(departments.length);
    const share = (pred: (p: (typeof people)[number]) => boolean) =>
      people.filter(pred).length / people.length;
    expect(share((p) => p.isExternal)).toBeGreaterThan(0.01);
    expect(share((p) => p.isExternal)).toBeLessThan(0.06);
    expect(share((p) => p.status === 'inactive')).toBeGreaterThan(0.01);
    expect(share((p) => p.status === 'suspended')).toBeGreaterThan(0.005);
    for (const p of people) expect(p.deactivatedDaysAgo === null).toBe(p.status === 'active');
    expect(people.filter((p) => p.isExternal).every((p) => p.employeeNumber === null)).toBe(true);
  });
});

describe('emailLocalPart', () => {
  it('strips accents and punctuation', () => {
    expect(emailLocalPart('Tomás', "O'Brien")).toBe('tomas.obrien');
    expect(emailLocalPart('Anya', 'Müller')).toBe('anya.muller');
  });
});
