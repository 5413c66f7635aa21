import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';

/** An active contract's cost for a year, from its billing period (minor units). */
export const annualizedContractCost: RawBuilder<number> = sql`(case c.billing_period
  when 'monthly' then c.cost_minor * 12 when 'quarterly' then c.cost_minor * 4 else c.cost_minor end)`;

function scope(column: string, appIds: string[] | undefined): RawBuilder<unknown> {
  return appIds ? sql`and ${sql.ref(column)} in (${sql.join(appIds)})` : sql``;
}

async function refreshChunk(db: Executor, tenantId: string, appIds: string[] | undefined): Promise<void> {
  const since = new Date();
  since.setUTCFullYear(since.getUTCFullYear() - 1);
  const sinceDay = since.toISOString().slice(0, 10);
  await sql`delete from app_figures where tenant_id = ${tenantId} ${scope('app_id', appIds)}`.execute(db);
  // Users are counted once per app across its instances: by person, else by email, else by
  // account. One grouping by (app, person) gives both counts (count(distinct …) sorts once per count).
  await sql`insert into app_figures
      (tenant_id, app_id, active_users, total_users, total_licenses, annual_cost_minor, updated_at)
    select a.tenant_id, a.id, coalesce(u.active_users, 0), coalesce(u.total_users, 0),
      coalesce(l.total, 0), coalesce(c.annual, t.spend, 0), ${nowIso()}
    from apps a
    left join (
      select app_id, sum(is_active) as active_users, count(*) as total_users
      from (select app_id, max(case when status = 'active' then 1 else 0 end) as is_active
            from app_accounts where tenant_id = ${tenantId} ${scope('app_id', appIds)}
            group by app_id, coalesce(person_id, email_lc, id)) p
      group by app_id
    ) u on u.app_id = a.id
    left join (
      select app_id, sum(total) as total from licenses
      where tenant_id = ${tenantId} ${scope('app_id', appIds)} group by app_id
    ) l on l.app_id = a.id
    left join (
      select c.app_id, sum(${annualizedContractCost}) as annual from contracts c
      where c.tenant_id = ${tenantId} and c.status = 'active' and c.cost_minor is not null
        ${scope('c.app_id', appIds)}
      group by c.app_id
    ) c on c.app_id = a.id
    left join (
      select app_id, sum(amount_minor) as spend from transactions
      where tenant_id = ${tenantId} and occurred_on >= ${sinceDay} ${scope('app_id', appIds)}
      group by app_id
    ) t on t.app_id = a.id
    where a.tenant_id = ${tenantId} ${scope('a.id', appIds)}`.execute(db);
}

/**
 * Recomputes the derived figures of a tenant's apps (all of them, or `appIds`) in SQL:
 * active and total users across every instance, total licenses, and the annual cost (active
 * contracts annualized, else the last 12 months of transactions). Call it with the transaction
 * of the change that moved the figures; without one it opens its own.
 */
export async function refreshAppFigures(db: Executor, tenantId: string, appIds?: string[]): Promise<void> {
  const ids = appIds ? [...new Set(appIds.filter(Boolean))] : undefined;
  if (ids && ids.length === 0) return;
  const run = async (trx: Executor) => {
    if (!ids) return refreshChunk(trx, tenantId, undefined);
    for (let i = 0; i < ids.length; i += 500) await refreshChunk(trx, tenantId, ids.slice(i, i + 500));
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}
