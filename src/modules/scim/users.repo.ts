import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Executor } from '../../platform/db/db.js';
import type { ContactValue, PersonRow, UserRelations } from './users.mapper.js';

const personColumns = [
  'p.id',
  'p.external_id',
  'p.user_name',
  'p.first_name',
  'p.last_name',
  'p.display_name',
  'p.title',
  'p.status',
  'p.department',
  'p.employee_number',
  'p.cost_center',
  'p.organization',
  'p.division',
  'p.manager_id',
  'p.attributes',
  'p.version',
  'p.created_at',
  'p.updated_at',
] as const;

export interface ListQuery {
  where: Expression<SqlBool> | undefined;
  sortColumn: string;
  descending: boolean;
  offset: number;
  limit: number;
}

async function rowsOf<T>(query: RawBuilder<T>, db: Executor): Promise<T[]> {
  return (await query.execute(db)).rows;
}

/** Queries over people as SCIM sees them: every person of the tenant not deleted through SCIM. */
export const usersRepo = {
  /** A page of people (stable order: the sort column, then id) and the total matching. */
  async list(db: Executor, tenantId: string, q: ListQuery): Promise<{ rows: PersonRow[]; total: number }> {
    // A plain SQL template: the hot path of every IdP lookup (`userName eq "…"`).
    const where = sql`p.tenant_id = ${tenantId} and p.deleted_at is null${q.where ? sql` and (${q.where})` : sql``}`;
    const direction = sql.raw(q.descending ? 'desc' : 'asc');
    const tieBreak = q.sortColumn === 'p.id' ? sql`` : sql`, p.id ${direction}`;
    const rows =
      q.limit === 0
        ? []
        : await rowsOf<PersonRow>(
            sql`select ${sql.join(personColumns.map((c) => sql.ref(c)))} from people p where ${where}
              order by ${sql.ref(q.sortColumn)} ${direction}${tieBreak} limit ${q.limit} offset ${q.offset}`,
            db,
          );
    // A first page shorter than asked for is the whole result: no count needed.
    if (q.offset === 0 && rows.length < q.limit) return { rows, total: rows.length };
    const count = await rowsOf<{ n: number | string }>(
      sql`select count(*) as n from people p where ${where}`,
      db,
    );
    return { rows, total: Number(count[0]?.n ?? 0) };
  },

  async find(db: Executor, tenantId: string, id: string): Promise<PersonRow | undefined> {
    return db
      .selectFrom('people as p')
      .select(personColumns)
      .where('p.tenant_id', '=', tenantId)
      .where('p.id', '=', id)
      .where('p.deleted_at', 'is', null)
      .executeTakeFirst();
  },

  /** The person holding this userName (case-insensitive), deleted ones included. */
  async findByUserName(db: Executor, tenantId: string, userName: string) {
    return db
      .selectFrom('people')
      .select(['id', 'deleted_at', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('user_name_lc', '=', userName.toLowerCase())
      .executeTakeFirst();
  },

  /** Contacts, groups, role and manager of each person, in four queries for any number of people. */
  async relations(
    db: Executor,
    tenantId: string,
    ids: string[],
    options: { hasManagers?: boolean } = {},
  ): Promise<Map<string, UserRelations>> {
    const out = new Map<string, UserRelations>();
    for (const id of ids) out.set(id, { contacts: [], groups: [], role: null, manager: null });
    if (ids.length === 0) return out;
    // Every SCIM answer runs these: plain SQL templates (the query builder costs ~20 µs a query).
    const inIds = sql.join(ids);
    const [contacts, groups, roles, managers] = await Promise.all([
      rowsOf<{
        person_id: string;
        attr: string;
        type: string | null;
        value: string;
        display: string | null;
        is_primary: number;
      }>(
        sql`select person_id, attr, type, value, display, is_primary from person_values
          where tenant_id = ${tenantId} and person_id in (${inIds}) order by person_id, attr, position`,
        db,
      ),
      rowsOf<{ person_id: string; id: string; display_name: string }>(
        sql`select m.person_id, g.id, g.display_name from group_members m
          join groups g on g.tenant_id = m.tenant_id and g.id = m.group_id
          where m.tenant_id = ${tenantId} and m.person_id in (${inIds}) order by g.display_name_lc`,
        db,
      ),
      rowsOf<{ principal_id: string; name: string }>(
        sql`select a.principal_id, r.name from iam_role_assignments a
          join iam_roles r on r.tenant_id = a.tenant_id and r.id = a.role_id
          where a.tenant_id = ${tenantId} and a.principal_type = 'person' and a.principal_id in (${inIds})
          order by r.name`,
        db,
      ),
      options.hasManagers === false
        ? []
        : rowsOf<{ id: string; manager_id: string; display_name: string | null; user_name: string }>(
            sql`select p.id, m.id as manager_id, m.display_name, m.user_name from people p
              join people m on m.tenant_id = p.tenant_id and m.id = p.manager_id
              where p.tenant_id = ${tenantId} and p.id in (${inIds})`,
            db,
          ),
    ]);
    for (const c of contacts) {
      out.get(c.person_id)?.contacts.push({
        attr: c.attr === 'phoneNumbers' ? 'phoneNumbers' : 'emails',
        type: c.type,
        value: c.value,
        display: c.display,
        primary: c.is_primary === 1,
      });
    }
    for (const g of groups) out.get(g.person_id)?.groups.push({ id: g.id, displayName: g.display_name });
    for (const r of roles) {
      const rel = out.get(r.principal_id);
      if (rel && !rel.role) rel.role = r.name;
    }
    for (const m of managers) {
      const rel = out.get(m.id);
      if (rel) rel.manager = { id: m.manager_id, displayName: m.display_name ?? m.user_name };
    }
    return out;
  },

  /** Replaces a person's contact rows. */
  async replaceContacts(
    db: Executor,
    tenantId: string,
    personId: string,
    contacts: ContactValue[],
  ): Promise<void> {
    await db
      .deleteFrom('person_values')
      .where('tenant_id', '=', tenantId)
      .where('person_id', '=', personId)
      .execute();
    if (contacts.length === 0) return;
    await db
      .insertInto('person_values')
      .values(
        contacts.map((c, position) => ({
          tenant_id: tenantId,
          person_id: personId,
          attr: c.attr,
          position,
          type: c.type,
          value: c.value,
          value_lc: c.value.toLowerCase(),
          display: c.display,
          is_primary: c.primary ? 1 : 0,
        })),
      )
      .execute();
  },

  /** Makes `roleId` the person's only directly assigned role (null: none). */
  async setRole(
    db: Executor,
    tenantId: string,
    personId: string,
    roleId: string | null,
    now: string,
  ): Promise<void> {
    await db
      .deleteFrom('iam_role_assignments')
      .where('tenant_id', '=', tenantId)
      .where('principal_type', '=', 'person')
      .where('principal_id', '=', personId)
      .execute();
    if (!roleId) return;
    await db
      .insertInto('iam_role_assignments')
      .values({
        tenant_id: tenantId,
        role_id: roleId,
        principal_type: 'person',
        principal_id: personId,
        created_at: now,
      })
      .execute();
  },
};
