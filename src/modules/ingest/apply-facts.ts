import { sql } from 'kysely';
import type { ApplyContext, EntityCounts } from './apply-context.js';
import { emptyCounts } from './apply-context.js';

/** Currencies without minor units (ISO 4217 exponent 0). */
const zeroDecimal = [
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
];

async function countPageRecords(ctx: ApplyContext, kind: string, entity: string): Promise<number> {
  const r = await sql<{
    n: number;
  }>`select count(*) as n from ${ctx.h.pageRecords(ctx.tenantId, ctx.syncId, kind, entity)} as r`.execute(
    ctx.trx,
  );
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Appends transactions idempotently: a record whose id this instance already sent is not counted
 * twice. Amounts become integer minor units of their currency. `application` names an app (created
 * as discovered when new); without it the instance's app is used.
 */
export async function applyTransactions(ctx: ApplyContext, kind: 'snapshot' | 'fact'): Promise<EntityCounts> {
  const { trx, h, tenantId, instanceId, appId, now } = ctx;
  const received = await countPageRecords(ctx, kind, 'transactions');
  if (received === 0) return { ...emptyCounts() };
  const source = h.pageRecords(tenantId, ctx.syncId, kind, 'transactions');
  const currency = h.text('rec', 'currency');
  const minor = sql`cast(round(case when ${currency} in (${sql.join(zeroDecimal)}) then ${h.number('rec', 'amount')}
                                    else ${h.number('rec', 'amount')} * 100 end) as bigint)`;
  const result =
    await sql`insert into transactions (tenant_id, id, app_id, instance_id, external_id, occurred_on, amount_minor,
        currency, description, vendor, payment_method, created_at)
      select cast(${tenantId} as text), ${h.rowId('txn', sql`x.external_id`)},
        coalesce((select a.id from apps a where a.tenant_id = ${tenantId} and a.name_lc = lower(${h.text('x.rec', 'application')})), cast(${appId} as text)),
        cast(${instanceId} as text), x.external_id, ${h.text('x.rec', 'date')}, x.minor, ${h.text('x.rec', 'currency')},
        ${h.text('x.rec', 'description')}, ${h.text('x.rec', 'vendor')}, ${h.text('x.rec', 'payment_method')}, cast(${now} as text)
      from (select rec, ${h.text('rec', 'id')} as external_id, ${minor} as minor,
              row_number() over (partition by ${h.text('rec', 'id')} order by page desc, pos desc) as rn
            from ${source} as r) x
      where x.rn = 1 and not exists (select 1 from transactions t where t.tenant_id = ${tenantId}
        and t.instance_id = ${instanceId} and t.external_id = x.external_id)`.execute(trx);
  const created = Number(result.numAffectedRows ?? 0);
  return {
    ...emptyCounts(),
    received,
    created,
    unchanged: received - created,
    duplicates: received - created,
  };
}

/**
 * Appends activities idempotently (keyed by the record id, else by user, time and type), linking
 * each to the person through the instance's account id or the email. Unlinked activities are kept
 * and reported.
 */
export async function applyActivities(ctx: ApplyContext, kind: 'snapshot' | 'fact'): Promise<EntityCounts> {
  const { trx, h, tenantId, instanceId, appId, now } = ctx;
  const received = await countPageRecords(ctx, kind, 'activities');
  if (received === 0) return { ...emptyCounts() };
  const source = h.pageRecords(tenantId, ctx.syncId, kind, 'activities');
  const key = sql`coalesce(${h.text('rec', 'id')}, coalesce(${h.text('rec', 'user_id')}, '') || '|' || coalesce(lower(${h.text('rec', 'email')}), '') || '|' || ${h.text('rec', 'timestamp')} || '|' || ${h.text('rec', 'activity_type')})`;
  await ctx.h.createTempAs(
    trx,
    'stage_activities',
    sql`select x.*, coalesce(
          (select a.person_id from app_accounts a where a.tenant_id = ${tenantId} and a.instance_id = ${instanceId} and a.external_id = x.user_id),
          (select p.id from people p where p.tenant_id = ${tenantId} and p.email_lc = x.email_lc order by p.email_lc, p.id limit 1)) as person_id
        from (select ${key} as external_id, ${h.text('rec', 'user_id')} as user_id, lower(${h.text('rec', 'email')}) as email_lc,
                ${h.text('rec', 'timestamp')} as occurred_at, ${h.text('rec', 'activity_type')} as activity_type,
                ${h.json('rec', 'details')} as details,
                row_number() over (partition by ${key} order by page desc, pos desc) as rn
              from ${source} as r) x
        where x.rn = 1`,
  );
  const details =
    h.dialect === 'postgres' ? sql`coalesce(details, '{}'::jsonb)` : sql`coalesce(details, '{}')`;
  const result =
    await sql`insert into activities (tenant_id, id, person_id, app_id, instance_id, external_id, occurred_at,
        activity_type, details, created_at)
      select cast(${tenantId} as text), ${h.rowId('act', sql`external_id`)}, person_id, cast(${appId} as text), cast(${instanceId} as text),
        external_id, occurred_at, activity_type, ${details}, cast(${now} as text)
      from stage_activities s
      where not exists (select 1 from activities a where a.tenant_id = ${tenantId} and a.instance_id = ${instanceId}
        and a.external_id = s.external_id)`.execute(trx);
  const unlinked = await sql<{
    n: number;
  }>`select count(*) as n from stage_activities where person_id is null`.execute(trx);
  const n = Number(unlinked.rows[0]?.n ?? 0);
  if (n > 0)
    ctx.unresolved.push({
      entity: 'activities',
      field: 'user_id/email',
      value: 'no matching user or person',
      count: n,
    });
  const created = Number(result.numAffectedRows ?? 0);
  return {
    ...emptyCounts(),
    received,
    created,
    unchanged: received - created,
    duplicates: received - created,
  };
}
