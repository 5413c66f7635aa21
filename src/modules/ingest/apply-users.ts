import { sql } from 'kysely';
import { type ApplyContext, type EntityCounts, emptyCounts } from './apply-context.js';

export interface GuardFigures {
  activeBefore: number;
  deactivating: number;
}

/** What stageUsers found: the guard's figures and the counts the apply will produce. */
export interface StagedUsers extends GuardFigures, UserFigures {
  missing: number;
}

const t = (name: string) => sql.id(name);

/**
 * Stages the sync's `users` snapshot in a temp table (last page wins for a repeated id), links
 * each record to a directory person by email, and compares it with the instance's accounts.
 * Returns the figures the mass-deactivation guard needs; nothing permanent is written yet except
 * people that did not exist (inside the caller's transaction).
 */
export async function stageUsers(ctx: ApplyContext): Promise<StagedUsers> {
  const { trx, h, tenantId, instanceId, syncId } = ctx;
  const source = h.pageRecords(tenantId, syncId, 'snapshot', 'users');
  const name = sql`coalesce(${h.text('rec', 'name')}, nullif(trim(coalesce(${h.text('rec', 'first_name')}, '') || ' ' || coalesce(${h.text('rec', 'last_name')}, '')), ''))`;
  const attributes = h.jsonObject([
    ['department', h.text('rec', 'department')],
    ['designation', h.text('rec', 'designation')],
    ['custom_fields', h.json('rec', 'custom_fields')],
  ]);
  await h.createTempAs(
    trx,
    'stage_users',
    sql`select external_id, email, lower(email) as email_lc, name, status, role, license, department, designation,
          last_used_at, attributes
        from (select ${h.text('rec', 'id')} as external_id, ${h.text('rec', 'email')} as email, ${name} as name,
                coalesce(${h.text('rec', 'status')}, 'active') as status, ${h.text('rec', 'role')} as role,
                ${h.text('rec', 'license')} as license, ${h.text('rec', 'department')} as department,
                ${h.text('rec', 'designation')} as designation, ${h.text('rec', 'last_used_at')} as last_used_at,
                ${attributes} as attributes,
                row_number() over (partition by ${h.text('rec', 'id')} order by page desc, pos desc) as rn
              from ${source} as r) x
        where rn = 1`,
  );
  await sql`create index stage_users_ext on ${t('stage_users')} (external_id)`.execute(trx);

  // Compare with the instance's accounts first: only records that are new or changed email need
  // a person looked up or created (a small share of a routine snapshot).
  await h.createTempAs(
    trx,
    'user_diff',
    sql`select s.*, a.id as account_id, a.status as old_status, a.role as old_role, a.license as old_license,
          a.name as old_name, a.email_lc as old_email_lc, a.attributes as old_attributes, a.person_id as old_person_id,
          a.last_used_at as old_last_used_at,
          case when a.id is not null and a.email_lc = s.email_lc then a.person_id end as person_id,
          case when a.id is not null and (${changedCondition(h, 's', 'a')}) then 1 else 0 end as is_changed
        from stage_users s
        left join app_accounts a on a.tenant_id = ${tenantId} and a.instance_id = ${instanceId} and a.external_id = s.external_id`,
  );
  if (h.dialect === 'postgres') {
    // Temp tables are never auto-analyzed: unanalyzed, the planner guesses user_diff's size and
    // picks scans of people and app_accounts below (0.3–0.4 s each on a million accounts).
    await sql`analyze user_diff`.execute(trx);
  }
  // New directory people, one per new email. Two NOT EXISTS, not one with OR: each must use its
  // own index.
  await h.createTempAs(
    trx,
    'new_people',
    sql`select ${h.rowUuid(sql`email_lc`)} as id, email, email_lc, name, department, designation
        from (select d.email, d.email_lc, d.name, d.department, d.designation,
                row_number() over (partition by d.email_lc order by d.external_id) as ern
              from user_diff d where d.person_id is null) s
        where ern = 1
          and not exists (select 1 from people p where p.tenant_id = ${tenantId} and p.email_lc = s.email_lc)
          and not exists (select 1 from people p where p.tenant_id = ${tenantId} and p.user_name_lc = s.email_lc)`,
  );
  await sql`insert into people (tenant_id, id, user_name, user_name_lc, email, email_lc, display_name, status, department,
              title, is_external, source, attributes, custom, version, created_at, updated_at)
            select cast(${tenantId} as text), id, email, email_lc, email, email_lc, name, 'active', department, designation, 0, 'sync',
              '{}', '{}', 1, cast(${ctx.now} as text), cast(${ctx.now} as text)
            from new_people order by id`.execute(trx);
  if (h.dialect === 'postgres') {
    // The people just created are linked from new_people directly (one hash join), so the lookup
    // below only sees emails of people who existed before.
    await sql`analyze new_people`.execute(trx);
    await sql`update user_diff u set person_id = n.id from new_people n
              where u.person_id is null and u.email_lc = n.email_lc`.execute(trx);
  }
  // Link the rest by email through a small grouped table (a correlated lookup on people lets
  // SQLite pick the primary key and walk it: quadratic on large snapshots).
  await h.createTempAs(
    trx,
    'people_by_email',
    sql`select p.email_lc, min(p.id) as person_id from people p
        where p.tenant_id = ${tenantId} and p.email_lc in (select email_lc from user_diff where person_id is null)
        group by p.email_lc`,
  );
  await sql`create index people_by_email_ix on ${t('people_by_email')} (email_lc)`.execute(trx);
  if (h.dialect === 'postgres') {
    // A hash join: the correlated form costs one index probe per row (0.45 s for 100k new people).
    await sql`analyze people_by_email`.execute(trx);
    await sql`update user_diff u set person_id = b.person_id from people_by_email b
              where u.person_id is null and b.email_lc = u.email_lc`.execute(trx);
  } else {
    await sql`update user_diff set person_id = (select b.person_id from people_by_email b where b.email_lc = user_diff.email_lc)
              where person_id is null`.execute(trx);
  }
  // The instance's accounts absent from this snapshot, found once and reused (guard, events, apply).
  await h.createTempAs(
    trx,
    'missing_accounts',
    sql`select a.id, a.external_id, a.email, a.person_id, a.status from app_accounts a
        where a.tenant_id = ${tenantId} and a.instance_id = ${instanceId} and a.status <> 'inactive'
          and not exists (select 1 from stage_users s where s.external_id = a.external_id)`,
  );
  if (h.dialect === 'postgres') {
    // Temp tables are never auto-analyzed: without statistics the planner guesses their size badly.
    await sql`analyze missing_accounts`.execute(trx);
  }
  const figures = await sql<UserFigures & { active_before: number; missing_active: number; missing: number }>`
    select d.*,
      (select count(*) from app_accounts where tenant_id = ${tenantId} and instance_id = ${instanceId} and status = 'active') as active_before,
      (select count(*) from missing_accounts where status = 'active') as missing_active,
      (select count(*) from missing_accounts) as missing
    from (select count(*) as received,
            coalesce(sum(case when account_id is null then 1 else 0 end), 0) as created,
            coalesce(sum(is_changed), 0) as updated,
            coalesce(sum(case when old_status = 'active' and status <> 'active' then 1 else 0 end), 0) as turning_inactive,
            coalesce(sum(case when old_status <> 'active' and status = 'active' then 1 else 0 end), 0) as reactivated
          from user_diff) d`.execute(trx);
  const row = figures.rows[0];
  const n = (v: unknown) => Number(v ?? 0);
  return {
    received: n(row?.received),
    created: n(row?.created),
    updated: n(row?.updated),
    turning_inactive: n(row?.turning_inactive),
    reactivated: n(row?.reactivated),
    missing: n(row?.missing),
    activeBefore: n(row?.active_before),
    deactivating: n(row?.missing_active) + n(row?.turning_inactive),
  };
}

interface UserFigures {
  received: number;
  created: number;
  updated: number;
  turning_inactive: number;
  reactivated: number;
}

/** Significant fields differ between the staged record and the account (aliases `s`, `a`). */
function changedCondition(h: ApplyContext['h'], s: string, a: string) {
  return sql.join(
    [
      ...significant.map((c) => h.differs(sql.ref(`${s}.${c}`), sql.ref(`${a}.${c}`))),
      h.differs(sql.ref(`${s}.attributes`), sql.ref(`${a}.attributes`)),
    ],
    sql` or `,
  );
}

const significant = ['status', 'role', 'license', 'name', 'email_lc'] as const;

/** Applies the staged users (after stageUsers): inserts, updates, deactivates missing; emits events. */
export async function applyUsers(ctx: ApplyContext, staged: StagedUsers): Promise<EntityCounts> {
  const { trx, h, tenantId, instanceId, appId, now } = ctx;
  if (!ctx.baseline) await collectUserEvents(ctx);

  await sql`insert into app_accounts (tenant_id, id, app_id, instance_id, person_id, external_id, email, email_lc, name,
              status, role, license, last_used_at, first_seen_at, attributes, created_at, updated_at, deactivated_at)
            select cast(${tenantId} as text), ${h.rowId('acc', sql`external_id`)}, cast(${appId} as text), cast(${instanceId} as text), person_id,
              external_id, email, email_lc, name, status, role, license, last_used_at, cast(${now} as text), attributes,
              cast(${now} as text), cast(${now} as text), case when status = 'active' then null else cast(${now} as text) end
            from user_diff where account_id is null order by external_id`.execute(trx);

  // Only rows that differ at all are written: significant changes, a new person link, a newer last use.
  await sql`update app_accounts set
              person_id = d.person_id, email = d.email, email_lc = d.email_lc, name = d.name, status = d.status,
              role = d.role, license = d.license, attributes = d.attributes,
              last_used_at = coalesce(d.last_used_at, app_accounts.last_used_at), updated_at = ${now},
              deactivated_at = case when d.status = 'active' then null
                                    when app_accounts.status = 'active' then cast(${now} as text)
                                    else app_accounts.deactivated_at end
            from (select * from user_diff u where u.account_id is not null and (u.is_changed = 1
                    or ${h.differs(sql`u.person_id`, sql`u.old_person_id`)}
                    or ${h.differs(sql`coalesce(u.last_used_at, u.old_last_used_at)`, sql`u.old_last_used_at`)})) d
            where app_accounts.tenant_id = ${tenantId} and app_accounts.id = d.account_id`.execute(trx);

  await sql`update app_accounts set status = 'inactive', deactivated_at = ${now}, updated_at = ${now}
            where tenant_id = ${tenantId} and instance_id = ${instanceId}
              and id in (select id from missing_accounts)`.execute(trx);
  return {
    ...emptyCounts(),
    received: staged.received,
    created: staged.created,
    updated: staged.updated,
    reactivated: staged.reactivated,
    deactivated: staged.turning_inactive + staged.missing,
    unchanged: staged.received - staged.created - staged.updated,
  };
}

interface DiffRow {
  account_id: string | null;
  external_id: string;
  email: string;
  person_id: string | null;
  status: string;
  old_status: string | null;
  role: string | null;
  old_role: string | null;
  license: string | null;
  old_license: string | null;
  name: string | null;
  old_name: string | null;
}

/** Per-record events, read before the change is applied (only for non-baseline snapshots). */
async function collectUserEvents(ctx: ApplyContext): Promise<void> {
  const { trx, instanceId, appId } = ctx;
  const base = { app_id: appId, instance_id: instanceId };
  const people = await sql<{
    id: string;
    email: string;
    name: string | null;
  }>`select id, email, name from new_people`.execute(trx);
  for (const p of people.rows) {
    ctx.events.push({
      type: 'user.created',
      subjectType: 'user',
      subjectId: p.id,
      payload: { user_id: p.id, email: p.email, name: p.name, source: 'sync', ...base },
    });
  }
  const diff =
    await sql<DiffRow>`select account_id, external_id, email, person_id, status, old_status, role, old_role,
      license, old_license, name, old_name from user_diff d where account_id is null or is_changed = 1`.execute(
      trx,
    );
  for (const d of diff.rows) {
    const subject = { account_external_id: d.external_id, email: d.email, user_id: d.person_id, ...base };
    if (!d.account_id) {
      ctx.events.push({
        type: 'app_user.added',
        subjectType: 'app_user',
        subjectId: d.external_id,
        payload: { ...subject, status: d.status, role: d.role, license: d.license },
      });
      continue;
    }
    if (d.old_status === 'active' && d.status !== 'active') {
      ctx.events.push({
        type: 'user.deactivated',
        subjectType: 'app_user',
        subjectId: d.account_id,
        payload: { ...subject, account_id: d.account_id, from: d.old_status, to: d.status },
      });
    } else if (d.old_status !== 'active' && d.status === 'active') {
      ctx.events.push({
        type: 'user.reactivated',
        subjectType: 'app_user',
        subjectId: d.account_id,
        payload: { ...subject, account_id: d.account_id, from: d.old_status, to: d.status },
      });
    }
    if (d.role !== d.old_role) {
      ctx.events.push({
        type: 'app_user.role_changed',
        subjectType: 'app_user',
        subjectId: d.account_id,
        payload: { ...subject, account_id: d.account_id, from: d.old_role, to: d.role },
      });
    }
    if (d.license !== d.old_license) {
      ctx.events.push({
        type: 'app_user.license_changed',
        subjectType: 'app_user',
        subjectId: d.account_id,
        payload: { ...subject, account_id: d.account_id, from: d.old_license, to: d.license },
      });
    }
  }
  const missing = await sql<{
    id: string;
    external_id: string;
    email: string | null;
    person_id: string | null;
  }>`
    select id, external_id, email, person_id from missing_accounts`.execute(trx);
  for (const m of missing.rows) {
    ctx.events.push({
      type: 'app_user.removed',
      subjectType: 'app_user',
      subjectId: m.id,
      payload: {
        account_external_id: m.external_id,
        account_id: m.id,
        email: m.email,
        user_id: m.person_id,
        reason: 'missing_from_snapshot',
        ...base,
      },
    });
  }
}
