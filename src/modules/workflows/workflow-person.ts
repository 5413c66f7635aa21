import { sql } from 'kysely';
import { dialectOf, type Executor } from '../../platform/db/db.js';
import { compileFilter } from '../scim/filter/compile-sql.js';
import { parseFilter } from '../scim/filter/parse.js';
import { userAttributeMap } from '../scim/filter-maps.js';
import type { Resource } from '../scim/normalize.js';
import { type ContactValue, type UserRelations, userToScim } from '../scim/users.mapper.js';

/*
 * The person a workflow run is about, read as SCIM shows them but *including people deleted
 * through SCIM*: a SCIM DELETE deactivates the person (history kept) and emits `user.deactivated`,
 * and offboarding must still see them. The SCIM users service and repo hide those people, so the
 * runner reads here instead (same columns, same mapper, same filter compiler).
 */

/** Code-unit order, as the SCIM repo sorts group names. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The person's SCIM record, deleted or not, or undefined when there is no such row. */
export async function findWorkflowPerson(
  db: Executor,
  tenantId: string,
  personId: string,
  baseUrl: string,
): Promise<Resource | undefined> {
  const row = await db
    .selectFrom('people')
    .select([
      'id',
      'external_id',
      'user_name',
      'first_name',
      'last_name',
      'display_name',
      'title',
      'status',
      'department',
      'employee_number',
      'cost_center',
      'organization',
      'division',
      'manager_id',
      'attributes',
      'version',
      'created_at',
      'updated_at',
    ])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!row) return undefined;
  return userToScim(row, await relationsOf(db, tenantId, personId, row.manager_id), baseUrl);
}

async function relationsOf(
  db: Executor,
  tenantId: string,
  personId: string,
  managerId: string | null,
): Promise<UserRelations> {
  const [contacts, groups, role, manager] = await Promise.all([
    db
      .selectFrom('person_values')
      .select(['attr', 'type', 'value', 'display', 'is_primary'])
      .where('tenant_id', '=', tenantId)
      .where('person_id', '=', personId)
      .orderBy('attr')
      .orderBy('position')
      .execute(),
    db
      .selectFrom('group_members as gm')
      .innerJoin('groups as g', (j) =>
        j.onRef('g.tenant_id', '=', 'gm.tenant_id').onRef('g.id', '=', 'gm.group_id'),
      )
      .select(['g.id', 'g.display_name', 'g.display_name_lc'])
      .where('gm.tenant_id', '=', tenantId)
      .where('gm.person_id', '=', personId)
      .execute(),
    db
      .selectFrom('iam_role_assignments as a')
      .innerJoin('iam_roles as r', (j) =>
        j.onRef('r.tenant_id', '=', 'a.tenant_id').onRef('r.id', '=', 'a.role_id'),
      )
      .select('r.name')
      .where('a.tenant_id', '=', tenantId)
      .where('a.principal_type', '=', 'person')
      .where('a.principal_id', '=', personId)
      .orderBy('r.name')
      .executeTakeFirst(),
    managerId
      ? db
          .selectFrom('people')
          .select(['id', 'display_name', 'user_name'])
          .where('tenant_id', '=', tenantId)
          .where('id', '=', managerId)
          .executeTakeFirst()
      : undefined,
  ]);
  return {
    contacts: contacts.map(
      (c): ContactValue => ({
        attr: c.attr === 'phoneNumbers' ? 'phoneNumbers' : 'emails',
        type: c.type,
        value: c.value,
        display: c.display,
        primary: Number(c.is_primary) === 1,
      }),
    ),
    groups: groups
      .sort((a, b) => byCodeUnit(a.display_name_lc, b.display_name_lc))
      .map((g) => ({ id: g.id, displayName: g.display_name })),
    role: role?.name ?? null,
    manager: manager ? { id: manager.id, displayName: manager.display_name ?? manager.user_name } : null,
  };
}

/** Whether the person (deleted or not) matches a SCIM filter, compiled to SQL as SCIM lists do. */
export async function matchesWorkflowCondition(
  db: Executor,
  tenantId: string,
  personId: string,
  condition: string,
): Promise<boolean> {
  const dialect = dialectOf(db);
  const where = compileFilter(parseFilter(condition), userAttributeMap(dialect), dialect);
  const { rows } = await sql<{ id: string }>`select p.id from people p
    where p.tenant_id = ${tenantId} and p.id = ${personId} and (${where})`.execute(db);
  return rows.length > 0;
}
