import { sql } from 'kysely';
import { annualizedContractCost } from '../apps/app-figures.js';
import type { ListDefinition } from '../listing/list.types.js';
import { contractStatuses } from './contract-rules.js';
import { threeDecimalCurrencies, zeroDecimalCurrencies } from './currencies.js';

/** Minor units per major unit of the row's currency, in SQL. */
const divisor = sql`(case when c.currency in (${sql.join(zeroDecimalCurrencies)}) then 1
  when c.currency in (${sql.join(threeDecimalCurrencies)}) then 1000 else 100 end)`;

const nullableDate = (column: string) => ({
  select: sql.ref(column),
  sort: sql`coalesce(${sql.ref(column)}, '')`,
  filter: 'date' as const,
});

/** The contracts list: contract, app name and owner; annualCost is the annualized cost in major units. */
export const contractsList: ListDefinition = {
  from: sql`contracts c
    left join apps a on a.tenant_id = c.tenant_id and a.id = c.app_id
    left join people o on o.tenant_id = c.tenant_id and o.id = c.owner_id`,
  tenantColumn: 'c.tenant_id',
  idColumn: 'c.id',
  customColumn: 'c.custom',
  defaultSort: 'id',
  fields: {
    id: { select: sql.ref('c.id'), sort: true },
    appId: { select: sql.ref('c.app_id'), filter: 'text' },
    appName: { select: sql.ref('a.name'), filter: 'text_ci', filterExpr: sql.ref('a.name_lc') },
    name: { select: sql.ref('c.name'), sort: true, filter: 'text' },
    status: { select: sql.ref('c.status'), sort: true, filter: 'enum', values: contractStatuses },
    startDate: nullableDate('c.start_date'),
    endDate: nullableDate('c.end_date'),
    renewalDate: nullableDate('c.renewal_date'),
    annualCost: {
      select: sql`(${annualizedContractCost} * 1.0 / ${divisor})`,
      sort: sql`coalesce(${annualizedContractCost}, 0)`,
      sortType: 'number',
      present: (v) => (v === null || v === undefined ? undefined : Number(v)),
    },
    currency: { select: sql.ref('c.currency'), filter: 'text' },
    owner: {
      select: sql`coalesce(o.email, c.owner_id)`,
      filter: 'text_ci',
      filterExpr: sql.ref('o.email_lc'),
    },
    createdAt: { select: sql.ref('c.created_at'), sort: true },
  },
};
