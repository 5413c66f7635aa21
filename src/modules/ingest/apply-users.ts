import { sql } from 'kysely';
import { type ApplyContext, type EntityCounts, emptyCounts } from './apply-context.js';
import { compareKeys } from './compare-keys.js';
import { dropSupersededKeys, keysTable } from './staged-keys.js';
import { recordUserEvents } from './user-events.js';

/** What stageUsers found: the counts the apply will produce, and how many active accounts it ends. */
export interface StagedUsers extends UserFigures {
  missing: number;
  /** Active accounts this snapshot deactivates (missing, or sent as no longer active). */
  deactivating: number;
  /** Records compared field by field with an existing account (each is written). */
  compared: number;
}

const t = (name: string) => sql.id(name);

/**
 * Finds what the sync's `users` snapshot changes, without writing anything permanent but people
 * that did not exist (inside the caller's transaction). Records are compared with the instance's
 * accounts by key and digest (the sync's keys table against `app_accounts.digest`), so only records that
 * are new or differ are read from the page JSON and compared field by field (`user_diff`); each
 * is linked to a directory person by email. Accounts absent from the snapshot are
 * `missing_accounts`. Returns the counts and what the mass-deactivation guard needs.
 */
export async function stageUsers(
  ctx: ApplyContext,
  options: { stagedKeys: number; repeatedIds: boolean },
): Promise<StagedUsers> {
  const { trx, h, tenantId, syncId } = ctx;
  // Records received: distinct ids. The upload counted the keys; only a sync where an id came in
  // more than one page needs them deduplicated (the last version wins) and counted again.
  let received = options.stagedKeys;
  if (options.repeatedIds) {
    await dropSupersededKeys(trx, tenantId, syncId);
    const counted = await sql<{ n: number | string }>`select count(*) as n from ${keysTable(syncId)}
      where tenant_id = ${tenantId}`.execute(trx);
    received = Number(counted.rows[0]?.n ?? 0);
  }
  await compareKeys(ctx);
  // Read by position from each page as it is expanded. On PostgreSQL the index also keeps the plan
  // sane when sync_pages has no statistics yet (a fresh table looks like one row: the planner then
  // scanned every candidate once per page).
  await sql`create index user_candidates_ix on ${t('user_candidates')} (page, pos)`.execute(trx);
  if (h.dialect === 'postgres') await sql`analyze user_candidates (page, pos)`.execute(trx);
  const name = sql`coalesce(${h.text('rec', 'name')}, nullif(trim(coalesce(${h.text('rec', 'first_name')}, '') || ' ' || coalesce(${h.text('rec', 'last_name')}, '')), ''))`;
  const attributes = h.jsonObject([
    ['department', h.text('rec', 'department')],
    ['designation', h.text('rec', 'designation')],
    ['custom_fields', h.json('rec', 'custom_fields')],
  ]);
  await h.createTempAs(
    trx,
    'stage_users',
    sql`select c.external_id, c.account_id, c.digest, ${h.text('rec', 'email')} as email,
          lower(${h.text('rec', 'email')}) as email_lc, ${name} as name,
          coalesce(${h.text('rec', 'status')}, 'active') as status, ${h.text('rec', 'role')} as role,
          ${h.text('rec', 'license')} as license, ${h.text('rec', 'department')} as department,
          ${h.text('rec', 'designation')} as designation, ${h.text('rec', 'last_used_at')} as last_used_at,
          ${attributes} as attributes
        from ${h.pageRecordsAt(tenantId, syncId, 'users', 'user_candidates')} as c`,
  );
  // Unanalyzed, PostgreSQL hash-joined it with every account of the tenant (1.7 s), not by key.
  if (h.dialect === 'postgres') await sql`analyze stage_users (account_id)`.execute(trx);

  // Each record with its account (if any): the person is the account's while the email is the same.
  await h.createTempAs(
    trx,
    'user_matched',
    sql`select s.*, a.status as old_status, a.role as old_role, a.license as old_license,
          a.name as old_name, a.email_lc as old_email_lc, a.attributes as old_attributes, a.person_id as old_person_id,
          a.last_used_at as old_last_used_at,
          case when a.id is not null and a.email_lc = s.email_lc then a.person_id end as account_person_id,
          case when a.id is not null and (${changedCondition(h, 's', 'a')}) then 1 else 0 end as is_changed
        from stage_users s
        ${
          h.dialect === 'postgres'
            ? // A lookup by key per row that has an account (the limit keeps the planner from
              // turning it back into a join: it hashed every account of the tenant, a second even
              // after a baseline, where no row has one).
              sql`left join lateral (select * from app_accounts x
                  where s.account_id is not null and x.tenant_id = ${tenantId} and x.id = s.account_id
                  limit 1) a on true`
            : sql`left join app_accounts a on a.tenant_id = ${tenantId} and a.id = s.account_id`
        }`,
  );
  if (h.dialect === 'postgres') {
    // Temp tables are never auto-analyzed: without statistics the planner guesses their size.
    // Only the columns joins and filters use: every column of a wide table costs 0.5 s here.
    await sql`analyze user_matched (account_person_id, email_lc)`.execute(trx);
  }
  // The others are linked by email: to the person who has it (through a small grouped table: a
  // correlated lookup on people let SQLite pick the primary key and walk it, quadratic on large
  // snapshots), else to a person created for it.
  await h.createTempAs(
    trx,
    'people_by_email',
    sql`select p.email_lc, min(p.id) as person_id from people p
        where p.tenant_id = ${tenantId}
          and p.email_lc in (select email_lc from user_matched where account_person_id is null)
        group by p.email_lc`,
  );
  // Covering: the links below read the index alone (its table is one more random read per row).
  await sql`create index people_by_email_ix on ${t('people_by_email')} (email_lc, person_id)`.execute(trx);
  // New directory people, one per new email. Two NOT EXISTS, not one with OR: each must use its
  // own index.
  await h.createTempAs(
    trx,
    'new_people',
    sql`select ${h.rowUuid(sql`email_lc`)} as id, email, email_lc, name, department, designation
        from (select d.email, d.email_lc, d.name, d.department, d.designation,
                row_number() over (partition by d.email_lc order by d.external_id) as ern
              from user_matched d where d.account_person_id is null) s
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
    // Hash joins (a correlated lookup costs one index probe per row).
    await sql`analyze people_by_email (email_lc)`.execute(trx);
    await sql`analyze new_people (email_lc)`.execute(trx);
  } else {
    await sql`create index new_people_email_ix on ${t('new_people')} (email_lc, id)`.execute(trx);
  }
  // The records with their person, in a new table: updating the person of 100k rows in place
  // rewrote each row (SQLite: 0.6 s; PostgreSQL: two updates, 0.7 s).
  await h.createTempAs(
    trx,
    'user_diff',
    sql`select m.*, coalesce(m.account_person_id, b.person_id, n.id) as person_id
        from user_matched m
        left join people_by_email b on m.account_person_id is null and b.email_lc = m.email_lc
        left join new_people n on m.account_person_id is null and n.email_lc = m.email_lc`,
  );
  if (h.dialect === 'postgres') await sql`analyze user_diff (account_id, person_id)`.execute(trx);
  const figures = await sql<UserFigures & { missing_active: number; missing: number; compared: number }>`
    select d.*,
      (select count(*) from missing_accounts where status = 'active') as missing_active,
      (select count(*) from missing_accounts) as missing
    from (select coalesce(sum(case when account_id is null then 1 else 0 end), 0) as created,
            count(account_id) as compared,
            coalesce(sum(is_changed), 0) as updated,
            coalesce(sum(case when old_status = 'active' and status <> 'active' then 1 else 0 end), 0) as turning_inactive,
            coalesce(sum(case when old_status <> 'active' and status = 'active' then 1 else 0 end), 0) as reactivated
          from user_diff) d`.execute(trx);
  const row = figures.rows[0];
  const n = (v: unknown) => Number(v ?? 0);
  return {
    received,
    created: n(row?.created),
    updated: n(row?.updated),
    turning_inactive: n(row?.turning_inactive),
    reactivated: n(row?.reactivated),
    missing: n(row?.missing),
    deactivating: n(row?.missing_active) + n(row?.turning_inactive),
    compared: n(row?.compared),
  };
}

/**
 * The instance's active accounts, counted up to `limit` (the guard only needs to know whether
 * there are fewer than that: past it, the share deactivated is below the threshold).
 */
export async function countActiveAccounts(ctx: ApplyContext, limit: number): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from (select 1 from app_accounts
    where tenant_id = ${ctx.tenantId} and instance_id = ${ctx.instanceId} and status = 'active'
    limit ${limit}) x`.execute(ctx.trx);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Writes every compared record with an account: it differs from the account's last record (a
 * significant change, a newer last use, a new person link) or its digest was unknown. The indexed
 * columns (status, person) are written only where they change: writing one, even to the value it
 * has, rewrites its index entries (three times the cost of the row alone).
 */
async function updateCompared(ctx: ApplyContext): Promise<void> {
  const { trx, h, tenantId, now } = ctx;
  const fields = sql`email = d.email, email_lc = d.email_lc, name = d.name, role = d.role, license = d.license,
    attributes = d.attributes, digest = d.digest, updated_at = ${now},
    last_used_at = coalesce(d.last_used_at, app_accounts.last_used_at)`;
  const links = sql`person_id = d.person_id, status = d.status,
    deactivated_at = case when d.status = 'active' then null
                          when app_accounts.status = 'active' then cast(${now} as text)
                          else app_accounts.deactivated_at end`;
  const relinked = sql`(${h.differs(sql`d.person_id`, sql`d.old_person_id`)} or ${h.differs(sql`d.status`, sql`d.old_status`)})`;
  if (h.dialect === 'postgres') {
    await sql`update app_accounts set ${fields}, ${links} from user_diff d
              where app_accounts.tenant_id = ${tenantId} and app_accounts.id = d.account_id
                and d.account_id is not null`.execute(trx);
  } else {
    // SQLite plans UPDATE … FROM as a scan of app_accounts unless the rows are named by key.
    await sql`create index user_diff_account_ix on ${t('user_diff')} (account_id)`.execute(trx);
    await sql`update app_accounts set ${fields} from user_diff d
              where app_accounts.tenant_id = ${tenantId}
                and app_accounts.id in (select account_id from user_diff where account_id is not null)
                and app_accounts.id = d.account_id`.execute(trx);
    await sql`update app_accounts set ${links} from user_diff d
              where app_accounts.tenant_id = ${tenantId}
                and app_accounts.id in (select account_id from user_diff d where d.account_id is not null and ${relinked})
                and app_accounts.id = d.account_id`.execute(trx);
  }
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
  if (!ctx.baseline) ctx.tally.events += await recordUserEvents(ctx);

  // In person order: the accounts' index by person (every account of the tenant) then takes the new
  // entries leaf by leaf instead of one random leaf each. 100k new accounts of existing people,
  // among 1M accounts: SQLite 4.3 s in external id order, 1.5 s so; PostgreSQL 3.2 s, 2.8 s.
  await sql`insert into app_accounts (tenant_id, id, app_id, instance_id, person_id, external_id, email, email_lc, name,
              status, role, license, last_used_at, first_seen_at, attributes, created_at, updated_at, deactivated_at, digest)
            select cast(${tenantId} as text), ${h.rowId('acc', sql`person_id, external_id`)}, cast(${appId} as text), cast(${instanceId} as text), person_id,
              external_id, email, email_lc, name, status, role, license, last_used_at, cast(${now} as text), attributes,
              cast(${now} as text), cast(${now} as text), case when status = 'active' then null else cast(${now} as text) end, digest
            from user_diff where account_id is null order by person_id, external_id`.execute(trx);

  // Nothing to update (a baseline, say): skipped, or PostgreSQL scans the accounts to plan a join.
  if (staged.compared > 0) await updateCompared(ctx);

  // Deactivated for being absent: the digest is cleared, so the record is compared again when it
  // comes back (its account no longer matches it).
  await sql`update app_accounts set status = 'inactive', deactivated_at = ${now}, updated_at = ${now}, digest = null
            where tenant_id = ${tenantId} and id in (select id from missing_accounts)`.execute(trx);
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
