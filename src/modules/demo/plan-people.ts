import { contractorDomains, departments, firstNames, lastNames } from './org-catalog.js';
import type { Random } from './random.js';

export type PersonStatus = 'active' | 'inactive' | 'suspended';

/** One person of the demo organization, before ids are assigned. */
export interface PlannedPerson {
  firstName: string;
  lastName: string;
  /** Lower-case and unique within the tenant: it is also the user name. */
  email: string;
  employeeNumber: string | null;
  /** Index into `departments`. */
  department: number;
  title: string;
  status: PersonStatus;
  isExternal: boolean;
  /** Index of the manager in the planned list; null only for the CEO. */
  managerIndex: number | null;
  /** Department heads and managers: the people who plausibly own apps. */
  isManager: boolean;
  deactivatedDaysAgo: number | null;
}

/** Roughly one manager per this many people in a department. */
const SPAN_OF_CONTROL = 8;
const EXTERNAL_SHARE = 0.03;
const INACTIVE_SHARE = 0.03;
const SUSPENDED_SHARE = 0.02;

/** Mail local parts are plain ASCII: "Tomás O'Brien" becomes tomas.obrien. */
export function emailLocalPart(first: string, last: string): string {
  const ascii = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z]/g, '');
  return `${ascii(first)}.${ascii(last)}`;
}

interface Roster {
  head: number | undefined;
  managers: number[];
  size: number;
}

/**
 * Plans `count` people: the first is the CEO, each department gets a head reporting to the CEO,
 * about one manager per eight people reporting to the head, and everyone else reports to one of
 * the department's managers. A few are external contractors (on other domains), a few have left.
 */
export function planPeople(random: Random, count: number, domain: string): PlannedPerson[] {
  const people: PlannedPerson[] = [];
  const rosters: Roster[] = departments.map(() => ({ head: undefined, managers: [], size: 0 }));
  const taken = new Map<string, number>();
  const weights = departments.map((d) => d.weight);
  const operations = Math.max(
    0,
    departments.findIndex((d) => d.name === 'Operations'),
  );

  const uniqueEmail = (first: string, last: string, at: string) => {
    const base = `${emailLocalPart(first, last)}@${at}`;
    const seen = taken.get(base) ?? 0;
    taken.set(base, seen + 1);
    // Bases hold no digits, so `jane.doe2@` can never collide with another person's base.
    return seen === 0 ? base : base.replace('@', `${seen + 1}@`);
  };

  for (let i = 0; i < count; i++) {
    const firstName = random.pick(firstNames);
    const lastName = random.pick(lastNames);
    const isCeo = i === 0;
    const department = isCeo ? operations : random.weighted(weights);
    const dept = departments[department];
    const roster = rosters[department];
    if (!dept || !roster) throw new Error('department index out of range');
    const isExternal = !isCeo && random.chance(EXTERNAL_SHARE);
    const roll = random.next();
    let status: PersonStatus =
      roll < INACTIVE_SHARE ? 'inactive' : roll < INACTIVE_SHARE + SUSPENDED_SHARE ? 'suspended' : 'active';

    let title: string;
    let managerIndex: number | null;
    let isManager = false;
    if (isCeo) {
      title = 'Chief Executive Officer';
      managerIndex = null;
      isManager = true;
    } else if (roster.head === undefined && !isExternal) {
      roster.head = i;
      title = dept.headTitle;
      managerIndex = 0;
      isManager = true;
    } else if (!isExternal && roster.managers.length * SPAN_OF_CONTROL < roster.size) {
      roster.managers.push(i);
      title = dept.managerTitle;
      managerIndex = roster.head ?? 0;
      isManager = true;
    } else {
      title = isExternal ? 'Contractor' : random.pick(dept.titles);
      managerIndex = roster.managers.length > 0 ? random.pick(roster.managers) : (roster.head ?? 0);
    }
    // Leaders stay on board: an org chart whose managers have all left reads as a bug.
    if (isManager) status = 'active';
    roster.size++;
    people.push({
      firstName,
      lastName,
      email: uniqueEmail(firstName, lastName, isExternal ? random.pick(contractorDomains) : domain),
      employeeNumber: isExternal ? null : `E${String(i + 1).padStart(6, '0')}`,
      department,
      title,
      status,
      isExternal,
      managerIndex,
      isManager,
      deactivatedDaysAgo: status === 'active' ? null : random.int(1, 180),
    });
  }
  return people;
}

/** Per department, the planned indices of its active head and managers (app owner candidates). */
export function managersByDepartment(people: readonly PlannedPerson[]): number[][] {
  const result: number[][] = departments.map(() => []);
  people.forEach((p, i) => {
    if (p.isManager && p.status === 'active') result[p.department]?.push(i);
  });
  return result;
}
