import { type Expression, type SqlBool, sql } from 'kysely';
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

/** Queries over people as SCIM sees them: every person of the tenant not deleted through SCIM. */
export const usersRepo = {
  /** A page of people (stable order: the sort column, then id) and the total matching. */
  async list(db: Executor, tenantId: string, q: ListQuery): Promise<{ rows: PersonRow[]; total: number }> {
    const base = db
      .selectFrom('people as p')
      .where('p.tenant_id', '=', tenantId)
      .where('p.deleted_at', 'is', null)
      .$if(q.where !== undefined, (b) => b.where(q.where as Expression<SqlBool>));
    const direction = q.descending ? sql`desc` : sql`asc`;
    const rows =
      q.limit === 0
        ? []
        : await base
            .select(personColumns)
            .orderBy(sql`${sql.ref(q.sortColumn)} ${direction}`)
            .$if(q.sortColumn !== 'p.id', (b) => b.orderBy('p.id', q.descending ? 'desc' : 'asc'))
            .limit(q.limit)
            .offset(q.offset)
            .execute();
    // A first page shorter than asked for is the whole result: no count needed.
    if (q.offset === 0 && rows.length < q.limit) return { rows, total: rows.length };
    const count = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    return { rows, total: Number(count?.n ?? 0) };
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
    const [contacts, groups, roles, managers] = await Promise.all([
      db
        .selectFrom('person_values')
        .select(['person_id', 'attr', 'type', 'value', 'display', 'is_primary'])
        .where('tenant_id', '=', tenantId)
        .where('person_id', 'in', ids)
        .orderBy('person_id')
        .orderBy('attr')
        .orderBy('position')
        .execute(),
      db
        .selectFrom('group_members as m')
        .innerJoin('groups as g', (j) =>
          j.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.group_id'),
        )
        .select(['m.person_id', 'g.id', 'g.display_name'])
        .where('m.tenant_id', '=', tenantId)
        .where('m.person_id', 'in', ids)
        .orderBy('g.display_name_lc')
        .execute(),
      db
        .selectFrom('iam_role_assignments as a')
        .innerJoin('iam_roles as r', (j) =>
          j.onRef('r.tenant_id', '=', 'a.tenant_id').onRef('r.id', '=', 'a.role_id'),
        )
        .select(['a.principal_id', 'r.name'])
        .where('a.tenant_id', '=', tenantId)
        .where('a.principal_type', '=', 'person')
        .where('a.principal_id', 'in', ids)
        .orderBy('r.name')
        .execute(),
      options.hasManagers === false
        ? []
        : db
            .selectFrom('people as p')
            .innerJoin('people as m', (j) =>
              j.onRef('m.tenant_id', '=', 'p.tenant_id').onRef('m.id', '=', 'p.manager_id'),
            )
            .select(['p.id', 'm.id as manager_id', 'm.display_name', 'm.user_name'])
            .where('p.tenant_id', '=', tenantId)
            .where('p.id', 'in', ids)
            .execute(),
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
