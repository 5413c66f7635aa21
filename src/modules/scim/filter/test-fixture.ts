import {
  DummyDriver,
  type Expression,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type SqlBool,
  sql,
} from 'kysely';
import type { AttributeMap, ScalarAttribute, ScimType } from './attributes.js';

/**
 * Test support for the filter suites (not used by the server): a small people table set, its
 * AttributeMap, and ten rows covering NULLs, empty strings, LIKE metacharacters and odd case.
 */
export interface FilterTestDb {
  people: {
    id: string;
    user_name: string;
    user_name_lc: string;
    external_id: string | null;
    first_name: string | null;
    title: string | null;
    status: string;
    created_at: string;
    score: number | null;
    rating: number | null;
    is_admin: number | null;
    employee_number: string | null;
    manager_id: string | null;
  };
  person_values: {
    person_id: string;
    attr: string;
    type: string | null;
    value: string;
    value_lc: string;
    is_primary: number;
  };
}

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

type Person = FilterTestDb['people'];
const person = (id: string, userName: string, rest: Partial<Person>): Person => ({
  id,
  user_name: userName,
  user_name_lc: userName.toLowerCase(),
  external_id: null,
  first_name: null,
  title: null,
  status: 'active',
  created_at: '2026-01-01T00:00:00.000Z',
  score: null,
  rating: null,
  is_admin: null,
  employee_number: null,
  manager_id: null,
  ...rest,
});

export const PEOPLE: Person[] = [
  person('u01', 'Alice@Example.com', {
    external_id: 'EXT-1',
    first_name: 'Alice',
    title: 'Engineer',
    created_at: '2026-01-01T00:00:00.000Z',
    score: 10,
    rating: 4.5,
    is_admin: 1,
    employee_number: '1001',
  }),
  person('u02', 'bob@example.com', {
    external_id: 'ext-2',
    first_name: 'Bob',
    title: 'Senior Engineer',
    created_at: '2026-01-05T12:00:00.000Z',
    score: 20,
    rating: 3,
    is_admin: 0,
    employee_number: '1002',
    manager_id: 'u01',
  }),
  person('u03', 'carol', { first_name: 'Carol', status: 'inactive', created_at: '2026-02-01T00:00:00.000Z' }),
  person('u04', 'dave_x', {
    external_id: 'EXT_4',
    first_name: 'Dave',
    title: '100% Sales',
    created_at: '2025-12-31T23:59:59.999Z',
    score: 5,
    is_admin: 0,
    manager_id: 'U01',
  }),
  person('u05', 'eve%', {
    external_id: 'ext\\5',
    first_name: 'Eve',
    title: 'Sales',
    status: 'suspended',
    score: -3,
    rating: 4.75,
  }),
  person('u06', 'Frank', { first_name: '', title: '' }),
  person('u07', 'grace', { first_name: 'Grace', title: 'Manager', created_at: '2026-03-01T08:30:00.000Z' }),
  person('u08', 'heinz', { external_id: 'AbcDef', first_name: 'Heinz', title: 'engineer' }),
  person('u09', 'ivan', { external_id: 'abcdef', first_name: 'Ivan', title: 'Engineer_1' }),
  person('u10', 'judy', { first_name: 'Judy', title: 'Engineer1' }),
];

const email = (personId: string, type: string | null, value: string, primary = 0) => ({
  person_id: personId,
  attr: 'emails',
  type,
  value,
  value_lc: value.toLowerCase(),
  is_primary: primary,
});

export const PERSON_VALUES: FilterTestDb['person_values'][] = [
  email('u01', 'work', 'Alice@Example.com', 1),
  email('u01', 'home', 'alice@home.org'),
  email('u02', 'work', 'bob@work.com', 1),
  email('u04', 'home', 'dave@x.com'),
  email('u04', 'work', 'dave@corp.com'),
  email('u05', 'work', 'eve@x.com', 1),
  email('u07', null, 'grace@x.com'),
  {
    person_id: 'u02',
    attr: 'phoneNumbers',
    type: 'work',
    value: '+1 555',
    value_lc: '+1 555',
    is_primary: 0,
  },
];

/** Creates the tables and inserts the rows (SQLite). */
export async function seedFilterTestDb(db: Kysely<FilterTestDb>): Promise<void> {
  await sql`create table people (id text primary key, user_name text not null, user_name_lc text not null,
    external_id text, first_name text, title text, status text not null, created_at text not null,
    score integer, rating real, is_admin integer, employee_number text, manager_id text)`.execute(db);
  await sql`create table person_values (person_id text not null, attr text not null, type text,
    value text not null, value_lc text not null, is_primary integer not null)`.execute(db);
  await db.insertInto('people').values(PEOPLE).execute();
  await db.insertInto('person_values').values(PERSON_VALUES).execute();
}

const col = (ref: string, type: ScimType = 'string', caseExact = false, lower?: string): ScalarAttribute => ({
  kind: 'scalar',
  type,
  caseExact,
  column: sql.ref(ref),
  lowerColumn: lower ? sql.ref(lower) : undefined,
});

const valuesExist = (attr: string) => (inner: Expression<SqlBool> | undefined) =>
  sql<SqlBool>`exists (select 1 from person_values v where v.person_id = p.id and v.attr = ${sql.lit(attr)}${
    inner ? sql` and (${inner})` : sql``
  })`;

const valueSubAttributes = {
  value: col('v.value', 'string', false, 'v.value_lc'),
  type: col('v.type'),
  primary: col('v.is_primary', 'boolean'),
};

/** What filters over `people p` may name. */
export const filterTestMap: AttributeMap = {
  core: CORE_USER,
  schemas: {
    [CORE_USER]: {
      id: col('p.id', 'string', true),
      username: col('p.user_name', 'string', false, 'p.user_name_lc'),
      externalid: col('p.external_id', 'string', true),
      title: col('p.title'),
      score: col('p.score', 'integer'),
      rating: col('p.rating', 'decimal'),
      admin: col('p.is_admin', 'boolean'),
      active: {
        kind: 'scalar',
        type: 'boolean',
        caseExact: false,
        column: sql.ref('p.status'),
        compare: (op, value) => {
          if ((op !== 'eq' && op !== 'ne') || typeof value !== 'boolean') return undefined;
          return (op === 'eq') === value
            ? sql<SqlBool>`p.status = 'active'`
            : sql<SqlBool>`p.status <> 'active'`;
        },
        present: sql<SqlBool>`1 = 1`,
      },
      name: { kind: 'complex', subAttributes: { givenname: col('p.first_name') } },
      emails: {
        kind: 'multi',
        subAttributes: valueSubAttributes,
        defaultSubAttribute: 'value',
        exists: valuesExist('emails'),
      },
      phonenumbers: {
        kind: 'multi',
        subAttributes: valueSubAttributes,
        defaultSubAttribute: 'value',
        exists: valuesExist('phoneNumbers'),
      },
      meta: { kind: 'complex', subAttributes: { created: col('p.created_at', 'dateTime') } },
    },
    [ENTERPRISE_USER]: {
      employeenumber: col('p.employee_number'),
      manager: { kind: 'complex', subAttributes: { value: col('p.manager_id', 'string', true) } },
    },
  },
};

/** A Kysely that only compiles PostgreSQL (no connection), to assert SQL text. */
export function postgresCompiler(): Kysely<FilterTestDb> {
  return new Kysely<FilterTestDb>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
}
