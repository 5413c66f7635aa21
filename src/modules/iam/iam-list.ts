/** Filtered, paged IAM lists: a SCIM filter compiled to SQL over the kind's table, 1-based paging. */
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';
import type { AttributeMap, MultiAttribute, ScalarAttribute, ScimType } from '../scim/filter/attributes.js';
import { compileFilter } from '../scim/filter/compile-sql.js';
import { parseFilter } from '../scim/filter/parse.js';
import { pageBounds } from '../scim/list-params.js';

/** The list parameters the IAM face advertises (RFC 7644 §3.4.2: `filter`, `startIndex`, `count`). */
export interface IamListRequest {
  filter?: string | undefined;
  startIndex?: number | undefined;
  count?: number | undefined;
}

/** One page of a list and the number of matches over all pages. */
export interface IamPage<T> {
  items: T[];
  total: number;
}

const SCHEMA = 'urn:ietf:params:scim:schemas:sightline:iam:2.0';

const scalar = (column: Expression<unknown>, type: ScimType, caseExact = false): ScalarAttribute => ({
  kind: 'scalar',
  type,
  caseExact,
  column,
});
const text = (ref: string, caseExact = false) => scalar(sql.ref(ref), 'string', caseExact);
const date = (ref: string) => scalar(sql.ref(ref), 'dateTime');
/** A 0/1 flag column read as a SCIM boolean; always present. */
const flag = (ref: string): ScalarAttribute => ({ ...scalar(sql.ref(ref), 'boolean'), present: sql`1 = 1` });

/** `meta.created`, `meta.lastModified`, `meta.resourceType` of a row aliased `alias`. */
const meta = (alias: string, kind: string) => ({
  kind: 'complex' as const,
  subAttributes: {
    created: date(`${alias}.created_at`),
    lastmodified: date(`${alias}.updated_at`),
    resourcetype: scalar(sql.lit(kind), 'string'),
  },
});

/** A multi-valued attribute over rows of another table: `exists (select 1 from <from> where <join> …)`. */
function multi(
  from: RawBuilder<unknown>,
  subAttributes: Record<string, ScalarAttribute>,
  defaultSubAttribute: string,
): MultiAttribute {
  return {
    kind: 'multi',
    subAttributes,
    defaultSubAttribute,
    exists: (inner) => sql<SqlBool>`exists (select 1 from ${from}${inner ? sql` and (${inner})` : sql``})`,
  };
}

/** The attributes every kind shares (id, name, description, builtin, created_at, meta). */
function common(alias: string, kind: string, withBuiltin = true) {
  return {
    id: text(`${alias}.id`, true),
    name: text(`${alias}.name`),
    description: text(`${alias}.description`),
    created_at: date(`${alias}.created_at`),
    meta: meta(alias, kind),
    ...(withBuiltin ? { builtin: flag(`${alias}.is_builtin`) } : {}),
  };
}

/** What `/iam/v1/actions` filters may name, over `iam_actions a`. */
const actionMap: AttributeMap = {
  core: `${SCHEMA}:Action`,
  schemas: {
    [`${SCHEMA}:Action`]: {
      ...common('a', 'Action'),
      active: {
        ...scalar(sql`1`, 'boolean'),
        compare: (op, value) =>
          (op === 'eq' || op === 'ne') && typeof value === 'boolean'
            ? (op === 'eq') === value
              ? sql<SqlBool>`1 = 1`
              : sql<SqlBool>`1 = 0`
            : undefined,
        present: sql<SqlBool>`1 = 1`,
      },
    },
  },
};

/** What `/iam/v1/resource-types` filters may name, over `iam_resource_types t`. */
const resourceTypeMap: AttributeMap = {
  core: `${SCHEMA}:ResourceType`,
  schemas: {
    [`${SCHEMA}:ResourceType`]: {
      ...common('t', 'ResourceType'),
      slug: text('t.name'),
      actions: multi(
        sql`iam_actions ta where ta.tenant_id = t.tenant_id and ta.resource_type_id = t.id`,
        { id: text('ta.id', true), name: text('ta.name'), description: text('ta.description') },
        'name',
      ),
      resources: multi(
        sql`iam_resources tr where tr.tenant_id = t.tenant_id and tr.resource_type_id = t.id`,
        {
          id: text('tr.id', true),
          name: text('tr.name'),
          slug: text('tr.external_id'),
          description: text('tr.description'),
        },
        'name',
      ),
    },
  },
};

/** A column of a resource's type, as a scalar subquery. */
const typeColumn = (column: string) =>
  sql`(select rt.${sql.ref(column)} from iam_resource_types rt where rt.tenant_id = r.tenant_id and rt.id = r.resource_type_id)`;

/** What `/iam/v1/resources` filters may name, over `iam_resources r`. */
const resourceMap: AttributeMap = {
  core: `${SCHEMA}:Resource`,
  schemas: {
    [`${SCHEMA}:Resource`]: {
      ...common('r', 'Resource', false),
      slug: text('r.external_id'),
      type: {
        kind: 'complex',
        subAttributes: {
          id: scalar(typeColumn('id'), 'string', true),
          name: scalar(typeColumn('name'), 'string'),
          slug: scalar(typeColumn('name'), 'string'),
          description: scalar(typeColumn('description'), 'string'),
        },
      },
    },
  },
};

/** What `/iam/v1/permissions` filters may name, over `iam_permissions p`. */
const permissionMap: AttributeMap = {
  core: `${SCHEMA}:Permission`,
  schemas: {
    [`${SCHEMA}:Permission`]: {
      ...common('p', 'Permission'),
      statements: multi(
        sql`iam_permission_statements ps where ps.tenant_id = p.tenant_id and ps.permission_id = p.id`,
        {
          actions: text('ps.action_name'),
          action: text('ps.action_name'),
          resource: text('ps.resource', true),
        },
        'actions',
      ),
    },
  },
};

/** What `/iam/v1/roles` filters may name, over `iam_roles o`. */
const roleMap: AttributeMap = {
  core: `${SCHEMA}:Role`,
  schemas: {
    [`${SCHEMA}:Role`]: {
      ...common('o', 'Role'),
      member_count: scalar(
        sql`((select count(*) from iam_role_assignments oa where oa.tenant_id = o.tenant_id and oa.role_id = o.id)
          + (select count(*) from api_tokens ok where ok.tenant_id = o.tenant_id and ok.role_id = o.id and ok.revoked_at is null))`,
        'integer',
      ),
      permissions: multi(
        sql`iam_role_permissions orp join iam_permissions op on op.tenant_id = orp.tenant_id and op.id = orp.permission_id
          where orp.tenant_id = o.tenant_id and orp.role_id = o.id`,
        { id: text('op.id', true), value: text('op.id', true), name: text('op.name') },
        'name',
      ),
      members: multi(
        sql`iam_role_assignments om where om.tenant_id = o.tenant_id and om.role_id = o.id`,
        {
          value: text('om.principal_id', true),
          type: scalar(sql`(case om.principal_type when 'group' then 'Group' else 'User' end)`, 'string'),
        },
        'value',
      ),
    },
  },
};

/** The table, alias and filterable attributes of each listed kind. */
export const iamListKinds = {
  actions: { table: 'iam_actions', alias: 'a', map: actionMap },
  resourceTypes: { table: 'iam_resource_types', alias: 't', map: resourceTypeMap },
  resources: { table: 'iam_resources', alias: 'r', map: resourceMap },
  permissions: { table: 'iam_permissions', alias: 'p', map: permissionMap },
  roles: { table: 'iam_roles', alias: 'o', map: roleMap },
} as const;

/**
 * The ids of one page of a kind's rows matching the filter (compiled to SQL, never evaluated in
 * memory), ordered by name then id, and the number of matches. `startIndex` is 1-based; `count`
 * defaults to 100 and is capped at 200 (as SCIM lists are). A bad filter or an unknown attribute
 * is a 400 invalidFilter. `extra` narrows the rows further (the resources' `type` parameter).
 */
export async function listPageIds(
  ex: Executor,
  dialect: Dialect,
  kind: keyof typeof iamListKinds,
  tenantId: string,
  request: IamListRequest,
  extra?: Expression<SqlBool>,
): Promise<{ ids: string[]; total: number }> {
  const { table, alias, map } = iamListKinds[kind];
  const conditions: Expression<SqlBool>[] = [sql<SqlBool>`${sql.ref(`${alias}.tenant_id`)} = ${tenantId}`];
  if (request.filter?.trim()) conditions.push(compileFilter(parseFilter(request.filter), map, dialect));
  if (extra) conditions.push(extra);
  const from = sql`${sql.table(table)} ${sql.id(alias)} where ${sql.join(conditions, sql` and `)}`;
  const { startIndex, count } = pageBounds(request);
  const [totalRow, page] = await Promise.all([
    sql<{ n: number | string }>`select count(*) as n from ${from}`.execute(ex),
    count === 0
      ? Promise.resolve({ rows: [] })
      : sql<{ id: string }>`select ${sql.ref(`${alias}.id`)} as id from ${from}
          order by ${sql.ref(`${alias}.name`)}, ${sql.ref(`${alias}.id`)}
          limit ${sql.lit(count)} offset ${sql.lit(startIndex - 1)}`.execute(ex),
  ]);
  return { ids: page.rows.map((r) => r.id), total: Number(totalRow.rows[0]?.n ?? 0) };
}
