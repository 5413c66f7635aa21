import type { Executor } from '../../platform/db/db.js';
import { nowIso, toJson } from '../../platform/db/json.js';
import { builtinRoles, resourceTypes } from './catalog.js';
import { iamRepo } from './iam.repo.js';

/**
 * Seeds (or brings up to date) a tenant's built-in IAM rows: resource types, actions, one
 * permission per built-in role and the role itself. Idempotent; custom rows are left alone.
 */
export async function seedBuiltinIam(db: Executor, tenantId: string): Promise<Record<string, string>> {
  const now = nowIso();
  for (const [typeName, type] of Object.entries(resourceTypes)) {
    const typeId = await iamRepo.upsertResourceType(db, {
      tenant_id: tenantId,
      name: typeName,
      description: type.description,
      is_builtin: 1,
      created_at: now,
      updated_at: now,
    });
    for (const [action, description] of Object.entries(type.actions)) {
      await iamRepo.upsertAction(db, {
        tenant_id: tenantId,
        name: action,
        description,
        resource_type_id: typeId,
        is_builtin: 1,
        created_at: now,
        updated_at: now,
      });
    }
  }
  const roleIds: Record<string, string> = {};
  for (const [roleName, role] of Object.entries(builtinRoles)) {
    const permissionId = await iamRepo.upsertPermission(db, {
      tenant_id: tenantId,
      name: `builtin:${roleName}`,
      description: `Actions of the built-in ${roleName} role`,
      is_builtin: 1,
      created_at: now,
      updated_at: now,
    });
    await iamRepo.replaceStatements(db, tenantId, permissionId, role.actions);
    const roleId = await iamRepo.upsertRole(db, {
      tenant_id: tenantId,
      name: roleName,
      description: role.description,
      claim_mapper: toJson({}),
      is_builtin: 1,
      created_at: now,
      updated_at: now,
    });
    await iamRepo.linkRolePermission(db, tenantId, roleId, permissionId);
    roleIds[roleName] = roleId;
  }
  return roleIds;
}

/** The set of actions a principal may perform right now (no caching: role changes apply at once). */
export async function resolveActions(
  db: Executor,
  tenantId: string,
  principal: { roleIds: string[]; personId: string | null },
): Promise<Set<string>> {
  return new Set(await iamRepo.listEffectiveActions(db, tenantId, principal.roleIds, principal.personId));
}
