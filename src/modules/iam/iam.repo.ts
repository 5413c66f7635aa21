import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.js';
import { newId } from '../../platform/ids/ids.js';

/** Upserts a row keyed by (tenant_id, name) and returns its id. */
async function upsertNamed(
  db: Executor,
  table: 'iam_resource_types' | 'iam_actions' | 'iam_permissions' | 'iam_roles',
  row: Record<string, unknown> & { tenant_id: string; name: string },
  prefix: 'irt' | 'iac' | 'prm' | 'rol',
): Promise<string> {
  const existing = await db
    .selectFrom(table)
    .select('id')
    .where('tenant_id', '=', row.tenant_id)
    .where('name', '=', row.name)
    .executeTakeFirst();
  if (existing) {
    await db
      .updateTable(table)
      .set({ ...row, updated_at: row.updated_at } as never)
      .where('tenant_id', '=', row.tenant_id)
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
  const id = newId(prefix);
  await db
    .insertInto(table)
    .values({ ...row, id } as never)
    .execute();
  return id;
}

export const iamRepo = {
  upsertResourceType: (db: Executor, row: Record<string, unknown> & { tenant_id: string; name: string }) =>
    upsertNamed(db, 'iam_resource_types', row, 'irt'),
  upsertAction: (db: Executor, row: Record<string, unknown> & { tenant_id: string; name: string }) =>
    upsertNamed(db, 'iam_actions', row, 'iac'),
  upsertPermission: (db: Executor, row: Record<string, unknown> & { tenant_id: string; name: string }) =>
    upsertNamed(db, 'iam_permissions', row, 'prm'),
  upsertRole: (db: Executor, row: Record<string, unknown> & { tenant_id: string; name: string }) =>
    upsertNamed(db, 'iam_roles', row, 'rol'),

  async replaceStatements(
    db: Executor,
    tenantId: string,
    permissionId: string,
    actions: string[],
  ): Promise<void> {
    await db
      .deleteFrom('iam_permission_statements')
      .where('tenant_id', '=', tenantId)
      .where('permission_id', '=', permissionId)
      .execute();
    if (actions.length === 0) return;
    await db
      .insertInto('iam_permission_statements')
      .values(
        actions.map((a) => ({
          tenant_id: tenantId,
          permission_id: permissionId,
          action_name: a,
          resource: '*',
        })),
      )
      .execute();
  },

  async linkRolePermission(
    db: Executor,
    tenantId: string,
    roleId: string,
    permissionId: string,
  ): Promise<void> {
    await db
      .insertInto('iam_role_permissions')
      .values({ tenant_id: tenantId, role_id: roleId, permission_id: permissionId })
      .onConflict((oc) => oc.columns(['tenant_id', 'role_id', 'permission_id']).doNothing())
      .execute();
  },

  async findRoleByName(db: Executor, tenantId: string, name: string) {
    return db
      .selectFrom('iam_roles')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  },

  async findRole(db: Executor, tenantId: string, id: string) {
    return db
      .selectFrom('iam_roles')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  },

  /**
   * Actions granted by the given roles, plus the roles held by the person and by the person's
   * groups (inherited), resolved in one query.
   */
  async listEffectiveActions(
    db: Executor,
    tenantId: string,
    roleIds: string[],
    personId: string | null,
  ): Promise<string[]> {
    const personRoles = personId
      ? db
          .selectFrom('iam_role_assignments')
          .select('role_id')
          .where('tenant_id', '=', tenantId)
          .where((eb) =>
            eb.or([
              eb.and([eb('principal_type', '=', 'person'), eb('principal_id', '=', personId)]),
              eb.and([
                eb('principal_type', '=', 'group'),
                eb(
                  'principal_id',
                  'in',
                  eb
                    .selectFrom('group_members')
                    .select('group_id')
                    .where('tenant_id', '=', tenantId)
                    .where('person_id', '=', personId),
                ),
              ]),
            ]),
          )
      : undefined;
    const rows = await db
      .selectFrom('iam_role_permissions as rp')
      .innerJoin('iam_permission_statements as ps', (j) =>
        j.onRef('ps.tenant_id', '=', 'rp.tenant_id').onRef('ps.permission_id', '=', 'rp.permission_id'),
      )
      .select('ps.action_name')
      .distinct()
      .where('rp.tenant_id', '=', tenantId)
      .where((eb) => {
        const direct = roleIds.length > 0 ? eb('rp.role_id', 'in', roleIds) : sql<boolean>`1 = 0`;
        return personRoles ? eb.or([direct, eb('rp.role_id', 'in', personRoles)]) : direct;
      })
      .execute();
    return rows.map((r) => r.action_name);
  },
};
