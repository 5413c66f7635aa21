import { CompiledQuery, type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';
import { dialectHelpers } from '../../platform/db/dialect.js';
import { parseJson } from '../../platform/db/json.js';
import { sortDirection } from './list-params.js';
import type { ContactValue, PersonRow, UserRelations } from './users.mapper.js';

const personColumns = [
  'p.id',
  'p.external_id',
  'p.user_name',
  'p.email',
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
  sortNullable: boolean;
  descending: boolean;
  offset: number;
  limit: number;
}

/** A person as SCIM answers it: the row and what the answer needs besides it. */
export interface ScimPerson extends PersonRow {
  relations: UserRelations;
}

/** The person query's row: the person's columns and its relations as JSON. */
interface PersonRecord extends PersonRow {
  /** The person's email as the rest of Sightline knows it (syncs, imports, the management API). */
  email: string | null;
  /** `[[attr, type, value, display, is_primary, position], …]`, in no order. */
  contact_list: unknown;
  /** `[[id, display_name, display_name_lc], …]`, in no order. */
  group_list: unknown;
  role_name: string | null;
  /** `[id, display_name, user_name]` of the manager, or null. */
  manager: unknown;
}

type Json = string | number | null;

/**
 * `select … from people p`: each person with its contacts, groups, role (the first by name) and
 * manager, each a correlated subquery on its own index, so a page and everything it shows are one
 * statement (one round trip on PostgreSQL) for any page size. Nothing in it needs a temporary
 * b-tree (an ordered aggregate, `in (select …)`): on SQLite a connection without an open temporary
 * database opens a temporary file for each (a `userName eq` lookup on a fresh connection took
 * 600 µs with them, 29 without; in the running server the gain is small). Contacts and groups are
 * sorted by scimPerson instead (groups by code unit, not the database's collation). The role is
 * read from the person's assignments to their roles (a cross join: SQLite keeps that order, and
 * otherwise walked every role of the tenant, probing the person's assignments for each).
 */
function personSelect(dialect: Dialect): RawBuilder<PersonRecord> {
  const h = dialectHelpers(dialect);
  const contacts = h.jsonArrayAgg(
    h.jsonArray([
      sql.ref('v.attr'),
      sql.ref('v.type'),
      sql.ref('v.value'),
      sql.ref('v.display'),
      sql.ref('v.is_primary'),
      sql.ref('v.position'),
    ]),
  );
  const groups = h.jsonArrayAgg(
    h.jsonArray([sql.ref('g.id'), sql.ref('g.display_name'), sql.ref('g.display_name_lc')]),
  );
  const manager = h.jsonArray([sql.ref('pm.id'), sql.ref('pm.display_name'), sql.ref('pm.user_name')]);
  return h.precompile(sql<PersonRecord>`select ${sql.join(personColumns.map((c) => sql.ref(c)))},
    (select ${contacts} from person_values v where v.tenant_id = p.tenant_id and v.person_id = p.id) as contact_list,
    (select ${groups} from group_members gm join groups g on g.tenant_id = gm.tenant_id and g.id = gm.group_id
      where gm.tenant_id = p.tenant_id and gm.person_id = p.id) as group_list,
    (select min(r.name) from iam_role_assignments a cross join iam_roles r
      where a.tenant_id = p.tenant_id and a.principal_type = 'person' and a.principal_id = p.id
        and r.tenant_id = a.tenant_id and r.id = a.role_id) as role_name,
    (select ${manager} from people pm where pm.tenant_id = p.tenant_id and pm.id = p.manager_id) as manager
    from people p`);
}

const personSelects: Record<Dialect, RawBuilder<PersonRecord>> = {
  sqlite: personSelect('sqlite'),
  postgres: personSelect('postgres'),
};

/** Contacts by attribute, then position. */
function byContactOrder(a: Json[], b: Json[]): number {
  const [attrA, attrB] = [String(a[0]), String(b[0])];
  if (attrA !== attrB) return attrA < attrB ? -1 : 1;
  return Number(a[5]) - Number(b[5]);
}

/** Groups by lower-cased display name. */
function byGroupName(a: Json[], b: Json[]): number {
  const [nameA, nameB] = [String(a[2]), String(b[2])];
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
}

/** Decodes the relation columns (the record itself is kept: copying its 22 fields cost more). */
function scimPerson(record: PersonRecord): ScimPerson {
  const manager = parseJson<Json[] | null>(record.manager, null);
  const contacts = parseJson<Json[][]>(record.contact_list, [])
    .sort(byContactOrder)
    .map(
      ([attr, type, value, display, isPrimary]): ContactValue => ({
        attr: attr === 'phoneNumbers' ? 'phoneNumbers' : 'emails',
        type: typeof type === 'string' ? type : null,
        value: String(value),
        display: typeof display === 'string' ? display : null,
        primary: isPrimary === 1,
      }),
    );
  // A person that a sync, an import or the management API made has an email but no SCIM email
  // values: SCIM shows that email as the primary work email, so it is seen, and a PATCH (which
  // writes the resource back) keeps it instead of clearing the person's email.
  if (record.email && !contacts.some((c) => c.attr === 'emails'))
    contacts.unshift({ attr: 'emails', type: 'work', value: record.email, display: null, primary: true });
  return Object.assign(record, {
    relations: {
      contacts,
      groups: parseJson<Json[][]>(record.group_list, [])
        .sort(byGroupName)
        .map(([id, displayName]) => ({
          id: String(id),
          displayName: String(displayName),
        })),
      role: record.role_name,
      manager: manager
        ? {
            id: String(manager[0]),
            displayName: typeof manager[1] === 'string' ? manager[1] : String(manager[2]),
          }
        : null,
    },
  });
}

/** A page bound as a SQL literal; compileList only produces whole numbers. */
function wholeNumber(n: number): RawBuilder<number> {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Not a page bound: ${n}`);
  return sql.lit(n);
}

/** SQL of the person statements, by dialect and shape (bounded: cleared when full). */
const statements = new Map<string, string>();

/**
 * Runs the statement `build()` makes, compiled once per dialect and `shape` and then run as that
 * same SQL string with `values` (what `build()` binds, in order). SCIM's hot reads skip Kysely's
 * compiler and reach the statement caches (SQLite's, PostgreSQL's named statements) with a string
 * whose hash is already known, instead of a new 1.5 kB text to hash on every request.
 */
async function runFixed<T>(
  db: Executor,
  dialect: Dialect,
  shape: string,
  values: readonly unknown[],
  build: () => RawBuilder<T>,
): Promise<T[]> {
  const key = `${dialect}\u0000${shape}`;
  let text = statements.get(key);
  if (text === undefined) {
    const compiled = build().compile(db);
    const { parameters } = compiled;
    if (parameters.length !== values.length || parameters.some((v, i) => v !== values[i]))
      throw new Error(`The ${shape.slice(0, 40)} statement binds other values than given`);
    text = compiled.sql;
    if (statements.size >= 1000) statements.clear();
    statements.set(key, text);
  }
  return (await db.executeQuery<T>(CompiledQuery.raw(text, [...values]))).rows;
}

/**
 * The hot path of every IdP lookup (`userName eq "…"`): a page of people with their relations, as
 * one statement per filter shape and page. Page size and offset are literals: with `limit ?`
 * SQLite runs this three times slower (60 µs, not 20), and PostgreSQL, unable to cost a generic
 * plan without them, would plan it anew on every run.
 */
function listPage(db: Executor, dialect: Dialect, tenantId: string, q: ListQuery) {
  const filter = q.where ? sql`${q.where}`.compile(db) : undefined;
  // sortNullable follows from sortColumn: not part of the shape.
  const shape = ['page', filter?.sql ?? '', q.sortColumn, q.descending, q.limit, q.offset].join('\u0000');
  // The filter first: its values come first, then the tenant's.
  return runFixed(db, dialect, shape, [...(filter?.parameters ?? []), tenantId], () => {
    const direction = sql.raw(q.descending ? 'desc' : 'asc');
    const tieBreak = q.sortColumn === 'p.id' ? sql`` : sql`, p.id ${direction}`;
    return sql<PersonRecord>`${personSelects[dialect]} where ${q.where ? sql`(${q.where}) and ` : sql``}p.tenant_id = ${tenantId}
      and p.deleted_at is null order by ${sql.ref(q.sortColumn)} ${sortDirection(q)}${tieBreak}
      limit ${wholeNumber(q.limit)} offset ${wholeNumber(q.offset)}`;
  });
}

async function rowsOf<T>(query: RawBuilder<T>, db: Executor): Promise<T[]> {
  return (await query.execute(db)).rows;
}

/** Queries over people as SCIM sees them: every person of the tenant not deleted through SCIM. */
export const usersRepo = {
  /** A page of people (stable order: the sort column, then id) and the total matching. */
  async list(
    db: Executor,
    dialect: Dialect,
    tenantId: string,
    q: ListQuery,
  ): Promise<{ rows: ScimPerson[]; total: number }> {
    const rows = q.limit === 0 ? [] : (await listPage(db, dialect, tenantId, q)).map(scimPerson);
    // A first page shorter than asked for is the whole result: no count needed.
    if (q.offset === 0 && rows.length < q.limit) return { rows, total: rows.length };
    const filter = q.where ? sql` and (${q.where})` : sql``;
    const count = await rowsOf<{ n: number | string }>(
      sql`select count(*) as n from people p where p.tenant_id = ${tenantId} and p.deleted_at is null${filter}`,
      db,
    );
    return { rows, total: Number(count[0]?.n ?? 0) };
  },

  /** A person with everything its SCIM representation shows, or undefined. */
  async find(db: Executor, dialect: Dialect, tenantId: string, id: string): Promise<ScimPerson | undefined> {
    const [record] = await runFixed(
      db,
      dialect,
      'find',
      [tenantId, id],
      () =>
        sql<PersonRecord>`${personSelects[dialect]} where p.tenant_id = ${tenantId} and p.id = ${id} and p.deleted_at is null`,
    );
    return record && scimPerson(record);
  },

  /**
   * A person as SCIM shows them, *including* one deleted through SCIM (history kept): for readers
   * that must still see them, such as an offboarding workflow run after a DELETE.
   */
  async findIncludingDeleted(
    db: Executor,
    dialect: Dialect,
    tenantId: string,
    id: string,
  ): Promise<ScimPerson | undefined> {
    const [record] = await runFixed(
      db,
      dialect,
      'find-including-deleted',
      [tenantId, id],
      () => sql<PersonRecord>`${personSelects[dialect]} where p.tenant_id = ${tenantId} and p.id = ${id}`,
    );
    return record && scimPerson(record);
  },

  /** Whether a person (not deleted through SCIM) exists. */
  async exists(db: Executor, tenantId: string, id: string): Promise<boolean> {
    const row = await db
      .selectFrom('people')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
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

  /** The name of the person's directly assigned role (the first by name), or null. */
  async findRoleName(db: Executor, tenantId: string, personId: string): Promise<string | null> {
    const row = await db
      .selectFrom('iam_role_assignments as a')
      .innerJoin('iam_roles as r', (j) =>
        j.onRef('r.tenant_id', '=', 'a.tenant_id').onRef('r.id', '=', 'a.role_id'),
      )
      .select('r.name')
      .where('a.tenant_id', '=', tenantId)
      .where('a.principal_type', '=', 'person')
      .where('a.principal_id', '=', personId)
      .orderBy('r.name')
      .executeTakeFirst();
    return row?.name ?? null;
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
