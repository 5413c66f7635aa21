import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../../platform/db/db.js';
import type { AttributeMap, ScalarAttribute, ScimType } from './filter/attributes.js';
import {
  CORE_GROUP,
  CORE_USER,
  CUSTOM_USER,
  customUserSchema,
  ENTERPRISE_USER,
  SIGHTLINE_USER,
} from './schemas.js';

const col = (
  ref: string,
  type: ScimType = 'string',
  options: { caseExact?: boolean; lower?: string } = {},
): ScalarAttribute => ({
  kind: 'scalar',
  type,
  caseExact: options.caseExact ?? false,
  column: sql.ref(ref),
  lowerColumn: options.lower ? sql.ref(options.lower) : undefined,
});

const expr = (column: RawBuilder<unknown>, type: ScimType = 'string'): ScalarAttribute => ({
  kind: 'scalar',
  type,
  caseExact: false,
  column,
});

/** A JSON path step for SQLite: quoted when it is not a plain name (an extension's URN has dots). */
const sqliteStep = (key: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `"${key}"`);

/** A text value of people.attributes.scim.<path> (attributes SCIM keeps without a column). */
function scimJson(dialect: Dialect, ...path: string[]): RawBuilder<unknown> {
  return dialect === 'postgres'
    ? sql`(p.attributes #>> ${sql.lit(`{scim,${path.join(',')}}`)})`
    : sql`json_extract(p.attributes, ${sql.lit(`$.scim.${path.map(sqliteStep).join('.')}`)})`;
}

/**
 * A boolean of people.attributes.scim.<path>: JSON true reads as 1 on SQLite, as 'true' on
 * PostgreSQL. `ne` also matches people without the attribute.
 */
function scimJsonBoolean(dialect: Dialect, ...path: string[]): ScalarAttribute {
  const column = scimJson(dialect, ...path);
  const literal = (b: boolean) => (dialect === 'postgres' ? sql.lit(String(b)) : sql.lit(b ? 1 : 0));
  return {
    kind: 'scalar',
    type: 'boolean',
    caseExact: false,
    column,
    compare: (op, value) => {
      if ((op !== 'eq' && op !== 'ne') || typeof value !== 'boolean') return undefined;
      return op === 'eq'
        ? sql<SqlBool>`${column} = ${literal(value)}`
        : sql<SqlBool>`(${column} is null or ${column} <> ${literal(value)})`;
    },
  };
}

/** The custom extension's attributes (every one kept in people.attributes.scim under its URN). */
function customUserAttributes(dialect: Dialect): Record<string, ScalarAttribute> {
  const out: Record<string, ScalarAttribute> = {};
  for (const def of customUserSchema.attributes) {
    if (def.returned === 'never') continue;
    out[def.name.toLowerCase()] =
      def.type === 'boolean'
        ? scimJsonBoolean(dialect, CUSTOM_USER, def.name)
        : expr(scimJson(dialect, CUSTOM_USER, def.name));
  }
  return out;
}

/** `EXISTS` over a person's contact rows of one attribute (emails, phoneNumbers). */
function contactExists(attr: string) {
  return (inner: Expression<SqlBool> | undefined): Expression<SqlBool> =>
    sql<SqlBool>`exists (select 1 from person_values v where v.tenant_id = p.tenant_id and v.person_id = p.id
      and v.attr = ${sql.lit(attr)}${inner ? sql` and (${inner})` : sql``})`;
}

const contactSubAttributes = {
  value: col('v.value', 'string', { lower: 'v.value_lc' }),
  type: col('v.type'),
  display: col('v.display'),
  primary: {
    kind: 'scalar',
    type: 'boolean',
    caseExact: false,
    column: sql.ref('v.is_primary'),
    compare: (op, value) => {
      if ((op !== 'eq' && op !== 'ne') || typeof value !== 'boolean') return undefined;
      return sql<SqlBool>`v.is_primary = ${sql.lit((op === 'eq') === value ? 1 : 0)}`;
    },
  } satisfies ScalarAttribute,
};

/** `active` is stored as people.status. */
const active: ScalarAttribute = {
  kind: 'scalar',
  type: 'boolean',
  caseExact: false,
  column: sql.ref('p.status'),
  compare: (op, value) => {
    if ((op !== 'eq' && op !== 'ne') || typeof value !== 'boolean') return undefined;
    return (op === 'eq') === value ? sql<SqlBool>`p.status = 'active'` : sql<SqlBool>`p.status <> 'active'`;
  },
  present: sql<SqlBool>`1 = 1`,
};

/** What `/Users` filters may name, over `people p`. */
export function userAttributeMap(dialect: Dialect): AttributeMap {
  return {
    core: CORE_USER,
    schemas: {
      [CORE_USER]: {
        id: col('p.id', 'string', { caseExact: true }),
        externalid: col('p.external_id', 'string', { caseExact: true }),
        username: col('p.user_name', 'string', { lower: 'p.user_name_lc' }),
        displayname: col('p.display_name'),
        nickname: expr(scimJson(dialect, 'nickName')),
        profileurl: expr(scimJson(dialect, 'profileUrl'), 'reference'),
        title: col('p.title'),
        usertype: expr(scimJson(dialect, 'userType')),
        preferredlanguage: expr(scimJson(dialect, 'preferredLanguage')),
        locale: expr(scimJson(dialect, 'locale')),
        timezone: expr(scimJson(dialect, 'timezone')),
        active,
        name: {
          kind: 'complex',
          subAttributes: {
            givenname: col('p.first_name'),
            familyname: col('p.last_name'),
            formatted: expr(scimJson(dialect, 'name', 'formatted')),
            middlename: expr(scimJson(dialect, 'name', 'middleName')),
            honorificprefix: expr(scimJson(dialect, 'name', 'honorificPrefix')),
            honorificsuffix: expr(scimJson(dialect, 'name', 'honorificSuffix')),
          },
        },
        emails: {
          kind: 'multi',
          subAttributes: contactSubAttributes,
          defaultSubAttribute: 'value',
          exists: contactExists('emails'),
        },
        phonenumbers: {
          kind: 'multi',
          subAttributes: contactSubAttributes,
          defaultSubAttribute: 'value',
          exists: contactExists('phoneNumbers'),
        },
        groups: {
          kind: 'multi',
          subAttributes: {
            value: col('gm.group_id', 'string', { caseExact: true }),
            display: col('g.display_name'),
          },
          defaultSubAttribute: 'value',
          exists: (inner) =>
            sql<SqlBool>`exists (select 1 from group_members gm join groups g on g.tenant_id = gm.tenant_id and g.id = gm.group_id
              where gm.tenant_id = p.tenant_id and gm.person_id = p.id${inner ? sql` and (${inner})` : sql``})`,
        },
        meta: {
          kind: 'complex',
          subAttributes: {
            created: col('p.created_at', 'dateTime'),
            lastmodified: col('p.updated_at', 'dateTime'),
            resourcetype: expr(sql`'User'`),
          },
        },
      },
      [ENTERPRISE_USER]: {
        employeenumber: col('p.employee_number'),
        costcenter: col('p.cost_center'),
        organization: col('p.organization'),
        division: col('p.division'),
        department: col('p.department'),
        manager: {
          kind: 'complex',
          subAttributes: { value: col('p.manager_id', 'string', { caseExact: true }) },
        },
      },
      [CUSTOM_USER]: customUserAttributes(dialect),
      [SIGHTLINE_USER]: {
        role: {
          kind: 'multi',
          subAttributes: { value: col('r.name') },
          defaultSubAttribute: 'value',
          exists: (inner) =>
            sql<SqlBool>`exists (select 1 from iam_role_assignments ra join iam_roles r on r.tenant_id = ra.tenant_id and r.id = ra.role_id
              where ra.tenant_id = p.tenant_id and ra.principal_type = 'person' and ra.principal_id = p.id${inner ? sql` and (${inner})` : sql``})`,
        },
      },
    },
  };
}

/**
 * A member's `display` (the person's display name, else userName) over a `group_members m` row: a
 * correlated subquery on the person's primary key, usable in a list filter's `EXISTS` and in the
 * `delete from group_members as m` of a PATCH value filter alike.
 */
export const memberDisplay: ScalarAttribute = expr(
  sql`(select coalesce(mp.display_name, mp.user_name) from people mp where mp.tenant_id = m.tenant_id and mp.id = m.person_id)`,
);

/** What `/Groups` filters may name, over `groups g0`. */
export function groupAttributeMap(): AttributeMap {
  return {
    core: CORE_GROUP,
    schemas: {
      [CORE_GROUP]: {
        id: col('g0.id', 'string', { caseExact: true }),
        externalid: col('g0.external_id', 'string', { caseExact: true }),
        displayname: col('g0.display_name', 'string', { lower: 'g0.display_name_lc' }),
        members: {
          kind: 'multi',
          subAttributes: {
            value: col('m.person_id', 'string', { caseExact: true }),
            display: memberDisplay,
            type: expr(sql`'User'`),
          },
          defaultSubAttribute: 'value',
          exists: (inner) =>
            sql<SqlBool>`exists (select 1 from group_members m where m.tenant_id = g0.tenant_id and m.group_id = g0.id${inner ? sql` and (${inner})` : sql``})`,
        },
        meta: {
          kind: 'complex',
          subAttributes: {
            created: col('g0.created_at', 'dateTime'),
            lastmodified: col('g0.updated_at', 'dateTime'),
            resourcetype: expr(sql`'Group'`),
          },
        },
      },
    },
  };
}

/** A sortable column; `nullable` ones sort resources without a value last (ascending) or first. */
export interface SortColumn {
  column: string;
  nullable: boolean;
}

const notNull = (column: string): SortColumn => ({ column, nullable: false });
const nullable = (column: string): SortColumn => ({ column, nullable: true });

/** Sortable attributes (`sortBy`), by lower-cased path, to an indexed or plain column. */
export const userSortColumns: Record<string, SortColumn> = {
  id: notNull('p.id'),
  username: notNull('p.user_name_lc'),
  externalid: nullable('p.external_id'),
  displayname: nullable('p.display_name'),
  'name.givenname': nullable('p.first_name'),
  'name.familyname': nullable('p.last_name'),
  title: nullable('p.title'),
  emails: nullable('p.email_lc'),
  'emails.value': nullable('p.email_lc'),
  active: notNull('p.status'),
  'meta.created': notNull('p.created_at'),
  'meta.lastmodified': notNull('p.updated_at'),
  department: nullable('p.department'),
  employeenumber: nullable('p.employee_number'),
};

export const groupSortColumns: Record<string, SortColumn> = {
  id: notNull('g0.id'),
  displayname: notNull('g0.display_name_lc'),
  externalid: nullable('g0.external_id'),
  'meta.created': notNull('g0.created_at'),
  'meta.lastmodified': notNull('g0.updated_at'),
};
