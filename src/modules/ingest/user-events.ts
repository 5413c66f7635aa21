import { type RawBuilder, sql } from 'kysely';
import type { ApplyContext } from './apply-context.js';

type Pairs = [string, RawBuilder<unknown>][];

const text = (value: string) => sql`cast(${value} as text)`;

/**
 * Inserts one event per row of `from` (a FROM clause over the apply's temp tables) straight into
 * the outbox, ids made in SQL in `orderBy` order: a finish can emit tens of thousands of events,
 * and reading them into JavaScript to write them back cost more than the rest of the apply.
 * Returns how many were recorded.
 */
async function insertEvents(
  ctx: ApplyContext,
  event: { type: string; subjectType: string; subjectId: RawBuilder<unknown>; payload: Pairs },
  from: RawBuilder<unknown>,
  orderBy: RawBuilder<unknown>,
): Promise<number> {
  const { trx, h, tenantId, now } = ctx;
  const result =
    await sql`insert into events (tenant_id, id, type, subject_type, subject_id, payload, created_at)
    select ${text(tenantId)}, ${h.rowId('evt', orderBy)}, ${text(event.type)}, ${text(event.subjectType)},
      ${event.subjectId}, ${h.jsonObject(event.payload)}, ${text(now)}
    ${from}`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * The per-record events of a users snapshot (not of a baseline), from the apply's temp tables
 * before the change is written: `user.created` for new people, `app_user.added`, status changes
 * (`user.deactivated`, `user.reactivated`), `app_user.role_changed`, `app_user.license_changed`,
 * and `app_user.removed` for accounts absent from the snapshot. Returns how many were recorded.
 */
export async function recordUserEvents(ctx: ApplyContext): Promise<number> {
  const base: Pairs = [
    ['app_id', text(ctx.appId)],
    ['instance_id', text(ctx.instanceId)],
  ];
  const subject: Pairs = [
    ['account_external_id', sql.ref('d.external_id')],
    ['email', sql.ref('d.email')],
    ['user_id', sql.ref('d.person_id')],
    ...base,
  ];
  const change = (from: string, to: string): Pairs => [
    ...subject,
    ['account_id', sql.ref('d.account_id')],
    ['from', sql.ref(`d.${from}`)],
    ['to', sql.ref(`d.${to}`)],
  ];
  const changed = (condition: RawBuilder<unknown>) =>
    sql`from user_diff d where d.account_id is not null and d.is_changed = 1 and ${condition}`;
  const byAccount = sql`d.account_id`;
  const { h } = ctx;
  let count = await insertEvents(
    ctx,
    {
      type: 'user.created',
      subjectType: 'user',
      subjectId: sql`p.id`,
      payload: [
        ['user_id', sql.ref('p.id')],
        ['email', sql.ref('p.email')],
        ['name', sql.ref('p.name')],
        ['source', sql.lit('sync')],
        ...base,
      ],
    },
    sql`from new_people p`,
    sql`p.id`,
  );
  count += await insertEvents(
    ctx,
    {
      type: 'app_user.added',
      subjectType: 'app_user',
      subjectId: sql`d.external_id`,
      payload: [
        ...subject,
        ['status', sql.ref('d.status')],
        ['role', sql.ref('d.role')],
        ['license', sql.ref('d.license')],
      ],
    },
    sql`from user_diff d where d.account_id is null`,
    sql`d.external_id`,
  );
  for (const [type, condition] of [
    ['user.deactivated', sql`d.old_status = 'active' and d.status <> 'active'`],
    ['user.reactivated', sql`d.old_status <> 'active' and d.status = 'active'`],
  ] as const) {
    count += await insertEvents(
      ctx,
      { type, subjectType: 'app_user', subjectId: byAccount, payload: change('old_status', 'status') },
      changed(condition),
      byAccount,
    );
  }
  for (const [type, field] of [
    ['app_user.role_changed', 'role'],
    ['app_user.license_changed', 'license'],
  ] as const) {
    count += await insertEvents(
      ctx,
      { type, subjectType: 'app_user', subjectId: byAccount, payload: change(`old_${field}`, field) },
      changed(h.differs(sql.ref(`d.${field}`), sql.ref(`d.old_${field}`))),
      byAccount,
    );
  }
  count += await insertEvents(
    ctx,
    {
      type: 'app_user.removed',
      subjectType: 'app_user',
      subjectId: sql`m.id`,
      payload: [
        ['account_external_id', sql.ref('m.external_id')],
        ['account_id', sql.ref('m.id')],
        ['email', sql.ref('m.email')],
        ['user_id', sql.ref('m.person_id')],
        ['reason', sql.lit('missing_from_snapshot')],
        ...base,
      ],
    },
    sql`from missing_accounts m`,
    sql`m.id`,
  );
  return count;
}
