import type { FieldProblem } from '../../platform/errors/app-error.js';
import { unstorableText } from '../../platform/text/storable.js';

/** What a mapped row becomes: a record of one push-sync entity (the same ingestion path). */
export interface ImportTarget {
  /** `licenses` are not a push-sync entity: they are set on the app's custom instance directly. */
  entity: 'users' | 'transactions' | 'contracts' | 'licenses' | 'people';
  kind: 'snapshot' | 'fact' | 'direct';
  fields: Record<
    string,
    {
      required?: boolean;
      type: 'text' | 'email' | 'status' | 'date' | 'datetime' | 'number' | 'count' | 'currency';
    }
  >;
  /** Builds the record from mapped values (already checked), or explains why the row is refused. */
  toRecord(values: Record<string, string>, row: number): Record<string, unknown>;
}

/**
 * A date cell as a Date: ISO-like text, or an Excel serial day number (what a streamed XLSX date
 * cell holds). Undefined when it is neither.
 */
export function parseDateCell(value: string): Date | undefined {
  // A row's date is read twice (checkRow, then toRecord): the second time is answered from here.
  if (lastDateCell?.value === value) return lastDateCell.date;
  const date = readDateCell(value);
  lastDateCell = { value, date };
  return date;
}

let lastDateCell: { value: string; date: Date | undefined } | undefined;

function readDateCell(value: string): Date | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const days = Number(value);
    if (days < 1 || days > 2_958_465) return undefined;
    return new Date(Date.UTC(1899, 11, 30) + days * 86_400_000);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const STATUSES = ['active', 'inactive', 'suspended'];

const put = (out: Record<string, unknown>, key: string, value: string | undefined) => {
  if (value !== undefined && value !== '') out[key] = value;
};

export const importTargets: Record<string, ImportTarget> = {
  /** Directory people (by email), without an app: the organization's users. */
  users: {
    entity: 'people',
    kind: 'direct',
    fields: {
      email: { required: true, type: 'email' },
      name: { type: 'text' },
      firstName: { type: 'text' },
      lastName: { type: 'text' },
      department: { type: 'text' },
      title: { type: 'text' },
      employeeNumber: { type: 'text' },
      status: { type: 'status' },
    },
    toRecord: (v) => {
      const out: Record<string, unknown> = { email: v.email };
      for (const key of ['name', 'firstName', 'lastName', 'department', 'title', 'employeeNumber'] as const)
        put(out, key, v[key]);
      if (v.status) out.status = v.status.toLowerCase() === 'active' ? 'active' : 'inactive';
      return out;
    },
  },
  /** App accounts (users of the app) with role, license and last use. */
  accounts: {
    entity: 'users',
    kind: 'snapshot',
    fields: {
      email: { required: true, type: 'email' },
      name: { type: 'text' },
      externalId: { type: 'text' },
      status: { type: 'status' },
      role: { type: 'text' },
      license: { type: 'text' },
      department: { type: 'text' },
      lastUsedDate: { type: 'datetime' },
    },
    toRecord: (v) => {
      const out: Record<string, unknown> = { id: v.externalId || v.email?.toLowerCase(), email: v.email };
      put(out, 'name', v.name);
      put(out, 'status', v.status?.toLowerCase());
      put(out, 'role', v.role);
      put(out, 'license', v.license);
      put(out, 'department', v.department);
      if (v.lastUsedDate) out.last_used_at = parseDateCell(v.lastUsedDate)?.toISOString();
      return out;
    },
  },
  transactions: {
    entity: 'transactions',
    kind: 'fact',
    fields: {
      id: { type: 'text' },
      date: { required: true, type: 'date' },
      amount: { required: true, type: 'number' },
      currency: { required: true, type: 'currency' },
      description: { type: 'text' },
      vendor: { type: 'text' },
    },
    toRecord: (v, row) => {
      const out: Record<string, unknown> = {
        id: v.id || `row-${row}-${v.date}-${v.amount}`,
        date: parseDateCell(v.date ?? '')
          ?.toISOString()
          .slice(0, 10),
        amount: Number(v.amount),
        currency: v.currency?.toUpperCase(),
      };
      put(out, 'description', v.description);
      put(out, 'vendor', v.vendor);
      return out;
    },
  },
  /** License totals, used counts and price per user of the app. */
  licenses: {
    entity: 'licenses',
    kind: 'direct',
    fields: {
      name: { required: true, type: 'text' },
      total: { type: 'count' },
      used: { type: 'count' },
      pricePerUser: { type: 'number' },
    },
    toRecord: (v) => ({
      name: v.name,
      total: v.total ? Number(v.total) : null,
      used: v.used ? Number(v.used) : null,
      pricePerUserMinor: v.pricePerUser ? Math.round(Number(v.pricePerUser) * 100) : null,
    }),
  },
  contracts: {
    entity: 'contracts',
    kind: 'snapshot',
    fields: {
      id: { type: 'text' },
      name: { required: true, type: 'text' },
      startDate: { type: 'date' },
      endDate: { type: 'date' },
      renewalDate: { type: 'date' },
      amount: { type: 'number' },
      currency: { type: 'currency' },
    },
    toRecord: (v) => {
      const out: Record<string, unknown> = { id: v.id || v.name, name: v.name };
      const day = (s: string | undefined) => (s ? parseDateCell(s)?.toISOString().slice(0, 10) : undefined);
      put(out, 'start_date', day(v.startDate));
      put(out, 'end_date', day(v.endDate));
      put(out, 'renewal_date', day(v.renewalDate));
      if (v.amount) out.amount = Number(v.amount);
      put(out, 'currency', v.currency?.toUpperCase());
      return out;
    },
  },
};

/** Checks one row's mapped values against the target's fields; problems name the row and field. */
export function checkRow(target: ImportTarget, values: Record<string, string>, row: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const field in target.fields) {
    const spec = target.fields[field] as ImportTarget['fields'][string];
    const value = values[field] ?? '';
    if (value === '') {
      if (spec.required) problems.push({ field, problem: 'is required', index: row });
      continue;
    }
    const bad = (problem: string) => problems.push({ field, problem, index: row });
    // Not quoted in the problem: the problem is stored, and the value cannot be.
    const unstorable = unstorableText(value);
    if (unstorable) {
      bad(unstorable);
      continue;
    }
    if (spec.type === 'email' && !EMAIL.test(value)) bad(`'${value}' is not an email address`);
    if (spec.type === 'status' && !STATUSES.includes(value.toLowerCase()))
      bad(`'${value}' is not one of ${STATUSES.join(', ')}`);
    // The same reading `toRecord` uses: a row that passes here must not lose its date there.
    if ((spec.type === 'date' || spec.type === 'datetime') && !parseDateCell(value))
      bad(`'${value}' is not a date`);
    if (spec.type === 'number' && (value.trim() === '' || !Number.isFinite(Number(value))))
      bad(`'${value}' is not a number`);
    if (spec.type === 'count' && !/^\d+$/.test(value.trim())) bad(`'${value}' is not a whole number`);
    if (spec.type === 'number' && Number(value) < 0) bad(`'${value}' must not be negative`);
    if (spec.type === 'currency' && !/^[A-Za-z]{3}$/.test(value)) bad(`'${value}' is not an ISO 4217 code`);
  }
  return problems;
}
