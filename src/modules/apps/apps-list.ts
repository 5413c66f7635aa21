import { sql } from 'kysely';
import type { ListDefinition } from '../listing/list.types.js';

export const appStates = ['discovered', 'managed', 'closed'] as const;
export type AppState = (typeof appStates)[number];

/** A stored URL as the contract's `uri`: as is when absolute, https:// before a bare host, else left out. */
export function presentUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  const text = value.trim();
  if (URL.canParse(text) && /^[a-z][a-z0-9+.-]*:/i.test(text)) return text;
  return URL.canParse(`https://${text}`) ? `https://${text}` : undefined;
}

/** Minor units to the contract's number (two decimals). */
export function presentMoney(value: unknown): number {
  return Math.round(Number(value ?? 0)) / 100;
}

/**
 * The apps list: the app row, its owner, and its derived figures (app_figures, kept by
 * refreshAppFigures) so every figure is sortable and filterable in SQL. Every app has its figures
 * row (a trigger adds it with the app: migration 011), so they join as an inner join, and a page
 * sorted by annual cost follows the (tenant_id, annual_cost_minor, app_id) index.
 */
export const appsList: ListDefinition = {
  from: sql`apps a
    join app_figures f on f.tenant_id = a.tenant_id and f.app_id = a.id
    left join people o on o.tenant_id = a.tenant_id and o.id = a.owner_id`,
  tenantColumn: 'a.tenant_id',
  idColumn: 'a.id',
  customColumn: 'a.custom',
  defaultSort: 'name',
  fields: {
    id: { select: sql.ref('a.id'), sort: true },
    name: {
      select: sql.ref('a.name'),
      sort: sql.ref('a.name_lc'),
      filter: 'text_ci',
      filterExpr: sql.ref('a.name_lc'),
    },
    category: { select: sql.ref('a.category'), sort: sql`coalesce(a.category, '')`, filter: 'text' },
    state: { select: sql.ref('a.state'), sort: true, filter: 'enum', values: appStates },
    url: { select: sql.ref('a.url'), present: presentUrl },
    owner: {
      select: sql`coalesce(o.email, a.owner_id)`,
      filter: 'text_ci',
      filterExpr: sql.ref('o.email_lc'),
    },
    activeUsers: {
      select: sql.ref('f.active_users'),
      sort: true,
      sortType: 'number',
      filter: 'number',
      present: Number,
    },
    totalUsers: {
      select: sql.ref('f.total_users'),
      sort: true,
      sortType: 'number',
      filter: 'number',
      present: Number,
    },
    totalLicenses: {
      select: sql.ref('f.total_licenses'),
      sort: true,
      sortType: 'number',
      filter: 'number',
      present: Number,
    },
    annualCost: {
      select: sql.ref('f.annual_cost_minor'),
      sort: true,
      sortType: 'number',
      present: presentMoney,
    },
    createdAt: { select: sql.ref('a.created_at'), sort: true },
  },
};
