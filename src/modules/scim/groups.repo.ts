import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';
import { sortDirection } from './list-params.js';
import type { ListQuery } from './users.repo.js';

export interface GroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface MemberRow {
  group_id: string;
  person_id: string;
  display: string | null;
}

const groupColumns = [
  'g0.id',
  'g0.display_name',
  'g0.external_id',
  'g0.version',
  'g0.created_at',
  'g0.updated_at',
] as const;

/** The ids in a JSON array parameter as rows `(id)`: one bound value for any number of ids. */
function idsFrom(dialect: Dialect, ids: string[]): RawBuilder<unknown> {
  const json = JSON.stringify(ids);
  return dialect === 'postgres'
    ? sql`(select distinct x.id from jsonb_array_elements_text(cast(${json} as jsonb)) as x(id))`
    : sql`(select distinct j.value as id from json_each(${json}) j)`;
}

/** Queries over groups and memberships. Membership changes are set operations in SQL. */
export const groupsRepo = {
  async list(db: Executor, tenantId: string, q: ListQuery): Promise<{ rows: GroupRow[]; total: number }> {
    const base = db
      .selectFrom('groups as g0')
      .where('g0.tenant_id', '=', tenantId)
      .$if(q.where !== undefined, (b) => b.where(q.where as Expression<SqlBool>));
    const rows =
      q.limit === 0
        ? []
        : await base
            .select(groupColumns)
            .orderBy(sql`${sql.ref(q.sortColumn)} ${sortDirection(q)}`)
            .$if(q.sortColumn !== 'g0.id', (b) => b.orderBy('g0.id', q.descending ? 'desc' : 'asc'))
            .limit(q.limit)
            .offset(q.offset)
            .execute();
    if (q.offset === 0 && rows.length < q.limit) return { rows, total: rows.length };
    const count = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    return { rows, total: Number(count?.n ?? 0) };
  },

  async find(db: Executor, tenantId: string, id: string): Promise<GroupRow | undefined> {
    return db
      .selectFrom('groups as g0')
      .select(groupColumns)
      .where('g0.tenant_id', '=', tenantId)
      .where('g0.id', '=', id)
      .executeTakeFirst();
  },

  async findByName(db: Executor, tenantId: string, displayName: string) {
    return db
      .selectFrom('groups')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('display_name_lc', '=', displayName.toLowerCase())
      .executeTakeFirst();
  },

  /** Members of the groups, with each person's display name. */
  async members(db: Executor, tenantId: string, groupIds: string[]): Promise<MemberRow[]> {
    if (groupIds.length === 0) return [];
    return db
      .selectFrom('group_members as m')
      .innerJoin('people as p', (j) =>
        j.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.id', '=', 'm.person_id'),
      )
      .select([
        'm.group_id',
        'm.person_id',
        sql<string | null>`coalesce(p.display_name, p.user_name)`.as('display'),
      ])
      .where('m.tenant_id', '=', tenantId)
      .where('m.group_id', 'in', groupIds)
      .orderBy('m.group_id')
      .orderBy('m.person_id')
      .execute();
  },

  /** The ids among `ids` that are not people of the tenant (deleted ones count as absent). */
  async unknownPeople(db: Executor, dialect: Dialect, tenantId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    // One primary-key probe per id, as a correlated subquery no planner turns into a join: with
    // stale statistics (people loaded in bulk) PostgreSQL rescanned the tenant's people per id.
    const rows = await sql<{ id: string }>`select x.id from ${idsFrom(dialect, ids)} x
      where (select 1 from people p where p.tenant_id = ${tenantId} and p.id = x.id and p.deleted_at is null
        limit 1) is null
      limit 20`.execute(db);
    return rows.rows.map((r) => r.id);
  },

  /** Adds members (already-present ones are left alone). Returns how many were added. */
  async addMembers(
    db: Executor,
    dialect: Dialect,
    tenantId: string,
    groupId: string,
    ids: string[],
    now: string,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    // ON CONFLICT on the primary key, not NOT EXISTS: no per-row probe the planner could turn into scans.
    const result = await sql`insert into group_members (tenant_id, group_id, person_id, created_at)
      select ${tenantId}, ${groupId}, x.id, ${now} from ${idsFrom(dialect, ids)} x where true
      on conflict (tenant_id, group_id, person_id) do nothing`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  },

  /**
   * Bumps the version of the people among `ids` who are not yet members (a user's `groups` shows
   * their groups, so joining changes the user's representation). Run before `addMembers`.
   */
  async touchJoining(
    db: Executor,
    dialect: Dialect,
    tenantId: string,
    groupId: string,
    ids: string[],
    now: string,
  ): Promise<void> {
    if (ids.length === 0) return;
    await sql`update people set version = version + 1, updated_at = ${now}
      where tenant_id = ${tenantId} and id in (select id from ${idsFrom(dialect, ids)} x)
        and not exists (select 1 from group_members m where m.tenant_id = people.tenant_id
          and m.group_id = ${groupId} and m.person_id = people.id)`.execute(db);
  },

  /**
   * Bumps the version of the members matching a compiled filter over `group_members m` (all when
   * undefined): run before removing them, or when the group's name (their `groups[].display`) changes.
   */
  async touchMembersWhere(
    db: Executor,
    tenantId: string,
    groupId: string,
    where: Expression<SqlBool> | undefined,
    now: string,
  ): Promise<void> {
    await sql`update people set version = version + 1, updated_at = ${now}
      where tenant_id = ${tenantId} and id in (select m.person_id from group_members m
        where m.tenant_id = ${tenantId} and m.group_id = ${groupId}${where ? sql` and (${where})` : sql``})`.execute(
      db,
    );
  },

  /** The members among `ids` as a filter over `group_members m`. */
  memberIn(dialect: Dialect, ids: string[]): Expression<SqlBool> {
    return sql<SqlBool>`m.person_id in (select id from ${idsFrom(dialect, ids)} x)`;
  },

  /** Removes the members matching a compiled filter over `group_members m` (all when undefined). */
  async removeMembersWhere(
    db: Executor,
    tenantId: string,
    groupId: string,
    where: Expression<SqlBool> | undefined,
  ): Promise<number> {
    const result =
      await sql`delete from group_members as m where m.tenant_id = ${tenantId} and m.group_id = ${groupId}
      ${where ? sql`and (${where})` : sql``}`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  },
};
