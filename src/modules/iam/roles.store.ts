/** IAM roles as stored: reading a role whole, and writing its permissions and members. */
import type { Executor } from '../../platform/db/db.js';
import { parseJson } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { touchPeople } from '../scim/touch-versions.js';
import { type Obj, text } from './iam-input.js';
import { type IamPermission, permissionById } from './permissions.service.js';

export interface IamRole {
  id: string;
  name: string;
  description: string | null;
  claimMapper: Record<string, string>;
  isBuiltin: boolean;
  permissions: IamPermission[];
  members: { type: 'User' | 'Group'; value: string }[];
  /** People and groups assigned the role, plus the active API tokens holding it. */
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

/** The name of the permission holding a role's own statements (`statements` on create). */
export const ownPermissionName = (roleId: string) => `role:${roleId}`;

/** A role with its permissions, members and member count; 404 when the tenant has none. */
export async function roleById(ex: Executor, tenantId: string, id: string): Promise<IamRole> {
  const row = await ex
    .selectFrom('iam_roles')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Role ${id} not found`);
  const [links, members, tokens] = await Promise.all([
    ex
      .selectFrom('iam_role_permissions')
      .select('permission_id')
      .where('tenant_id', '=', tenantId)
      .where('role_id', '=', id)
      .execute(),
    ex
      .selectFrom('iam_role_assignments')
      .select(['principal_type', 'principal_id'])
      .where('tenant_id', '=', tenantId)
      .where('role_id', '=', id)
      .orderBy('principal_id')
      .execute(),
    ex
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role_id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst(),
  ]);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    claimMapper: parseJson(row.claim_mapper, {}),
    isBuiltin: row.is_builtin === 1,
    permissions: await Promise.all(links.map((l) => permissionById(ex, tenantId, l.permission_id))),
    members: members.map((m) => ({
      type: m.principal_type === 'group' ? 'Group' : 'User',
      value: m.principal_id,
    })),
    memberCount: members.length + Number(tokens?.n ?? 0),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function setPermissions(
  ex: Executor,
  tenantId: string,
  roleId: string,
  refs: unknown[],
  mode: 'replace' | 'add' | 'remove',
) {
  const ids: string[] = [];
  for (const [i, ref] of refs.entries()) {
    const key = typeof ref === 'object' && ref !== null ? ((ref as Obj).value ?? (ref as Obj).id) : ref;
    if (typeof key !== 'string')
      throw new AppError('bad_request', `permissions[${i}]: expected a permission id or name`);
    const p = await permissionById(ex, tenantId, key).catch(() => {
      throw new AppError('bad_request', `permissions[${i}]: no permission '${key}'`);
    });
    ids.push(p.id);
  }
  if (mode === 'replace')
    await ex
      .deleteFrom('iam_role_permissions')
      .where('tenant_id', '=', tenantId)
      .where('role_id', '=', roleId)
      .execute();
  if (mode === 'remove') {
    if (ids.length > 0)
      await ex
        .deleteFrom('iam_role_permissions')
        .where('tenant_id', '=', tenantId)
        .where('role_id', '=', roleId)
        .where('permission_id', 'in', ids)
        .execute();
    return;
  }
  for (const id of ids) {
    await ex
      .insertInto('iam_role_permissions')
      .values({ tenant_id: tenantId, role_id: roleId, permission_id: id })
      .onConflict((oc) => oc.columns(['tenant_id', 'role_id', 'permission_id']).doNothing())
      .execute();
  }
}

export async function setMembers(
  ex: Executor,
  tenantId: string,
  roleId: string,
  refs: unknown[],
  mode: 'replace' | 'add' | 'remove',
  now: string,
) {
  const members: { type: 'person' | 'group'; id: string }[] = [];
  for (const [i, ref] of refs.entries()) {
    const m = (typeof ref === 'object' && ref !== null ? ref : { value: ref }) as Obj;
    const id = text(m.value, `members[${i}].value`, true) ?? '';
    const isGroup = typeof m.type === 'string' && m.type.toLowerCase() === 'group';
    const exists = isGroup
      ? await ex
          .selectFrom('groups')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst()
      : await ex
          .selectFrom('people')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
    if (!exists && mode !== 'remove')
      throw new AppError('bad_request', `members[${i}].value: no ${isGroup ? 'group' : 'user'} '${id}'`);
    members.push({ type: isGroup ? 'group' : 'person', id });
  }
  // The people whose direct assignments change: SCIM shows a person's role (their first by name),
  // so their version (ETag) changes with it.
  const people = members.filter((m) => m.type === 'person').map((m) => m.id);
  const changed = new Set<string>();
  if (mode === 'replace') {
    const before = await ex
      .selectFrom('iam_role_assignments')
      .select(['principal_type', 'principal_id'])
      .where('tenant_id', '=', tenantId)
      .where('role_id', '=', roleId)
      .execute();
    const held = new Set(before.filter((b) => b.principal_type === 'person').map((b) => b.principal_id));
    const wanted = new Set(people);
    for (const id of held) if (!wanted.has(id)) changed.add(id);
    for (const id of wanted) if (!held.has(id)) changed.add(id);
    await ex
      .deleteFrom('iam_role_assignments')
      .where('tenant_id', '=', tenantId)
      .where('role_id', '=', roleId)
      .execute();
  }
  for (const m of members) {
    if (mode === 'remove') {
      const removed = await ex
        .deleteFrom('iam_role_assignments')
        .where('tenant_id', '=', tenantId)
        .where('role_id', '=', roleId)
        .where('principal_type', '=', m.type)
        .where('principal_id', '=', m.id)
        .executeTakeFirst();
      if (m.type === 'person' && Number(removed.numDeletedRows) > 0) changed.add(m.id);
      continue;
    }
    const added = await ex
      .insertInto('iam_role_assignments')
      .values({
        tenant_id: tenantId,
        role_id: roleId,
        principal_type: m.type,
        principal_id: m.id,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'role_id', 'principal_type', 'principal_id']).doNothing())
      .executeTakeFirst();
    if (mode === 'add' && m.type === 'person' && Number(added.numInsertedOrUpdatedRows ?? 0) > 0)
      changed.add(m.id);
  }
  await touchPeople(ex, tenantId, [...changed], now);
}

/** A role's claim mapper from a request body: an object of strings, or none. */
export const claimMapper = (v: unknown): Record<string, string> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw new AppError('bad_request', 'claim_mapper: expected an object of strings');
  return v as Record<string, string>;
};
