import type { Db, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { builtinGuard, type Obj, text, uniqueName } from './iam-input.js';
import { foldPatch, readIamPatch } from './iam-patch.js';
import {
  checkGrantable,
  type IamPermission,
  permissionById,
  readStatements,
  writeStatements,
} from './permissions.service.js';

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
const ownPermissionName = (roleId: string) => `role:${roleId}`;

/** A role with its permissions, members and member count; 404 when the tenant has none. */
async function roleById(ex: Executor, tenantId: string, id: string): Promise<IamRole> {
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

async function setPermissions(
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

async function setMembers(
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
  if (mode === 'replace')
    await ex
      .deleteFrom('iam_role_assignments')
      .where('tenant_id', '=', tenantId)
      .where('role_id', '=', roleId)
      .execute();
  for (const m of members) {
    if (mode === 'remove') {
      await ex
        .deleteFrom('iam_role_assignments')
        .where('tenant_id', '=', tenantId)
        .where('role_id', '=', roleId)
        .where('principal_type', '=', m.type)
        .where('principal_id', '=', m.id)
        .execute();
      continue;
    }
    await ex
      .insertInto('iam_role_assignments')
      .values({
        tenant_id: tenantId,
        role_id: roleId,
        principal_type: m.type,
        principal_id: m.id,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'role_id', 'principal_type', 'principal_id']).doNothing())
      .execute();
  }
}

const claimMapper = (v: unknown): Record<string, string> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw new AppError('bad_request', 'claim_mapper: expected an object of strings');
  return v as Record<string, string>;
};

/**
 * IAM roles (permissions, claim mapper, members). This is Sightline's authorization: a change
 * applies on the holders' next request. A caller can only create or widen a role up to the actions
 * it holds itself. Built-in roles keep their definition; who holds them may change.
 */
export function createRolesService({ db }: { db: Db }) {
  const service = {
    async listRoles(actor: Actor): Promise<IamRole[]> {
      requireAction(actor, 'iam:read');
      const rows = await db
        .selectFrom('iam_roles')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .orderBy('name')
        .execute();
      return Promise.all(rows.map((r) => roleById(db, actor.tenantId, r.id)));
    },
    async getRole(actor: Actor, id: string): Promise<IamRole> {
      requireAction(actor, 'iam:read');
      return roleById(db, actor.tenantId, id);
    },
    async createRole(actor: Actor, body: Obj): Promise<IamRole> {
      requireAction(actor, 'iam:roles:write');
      const name = text(body.name, 'name', true) ?? '';
      const description = text(body.description, 'description', false);
      const mapper = claimMapper(body.claim_mapper);
      return db.transaction().execute(async (trx) => {
        await uniqueName(trx, 'iam_roles', actor.tenantId, name);
        const now = nowIso();
        const id = newId('rol');
        await trx
          .insertInto('iam_roles')
          .values({
            tenant_id: actor.tenantId,
            id,
            name,
            description,
            claim_mapper: toJson(mapper),
            is_builtin: 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
        if (body.permissions !== undefined) {
          if (!Array.isArray(body.permissions))
            throw new AppError('bad_request', 'permissions: expected an array of permission ids');
          await setPermissions(trx, actor.tenantId, id, body.permissions, 'add');
        }
        if (body.statements !== undefined) {
          const statements = await readStatements(trx, actor.tenantId, body.statements, 'statements');
          const permissionId = newId('prm');
          await trx
            .insertInto('iam_permissions')
            .values({
              tenant_id: actor.tenantId,
              id: permissionId,
              // Named after the role's id (names change, ids do not); deleted with the role.
              name: ownPermissionName(id),
              description: `Statements of role ${name}`,
              is_builtin: 0,
              created_at: now,
              updated_at: now,
            })
            .execute();
          await writeStatements(trx, actor.tenantId, permissionId, statements);
          await setPermissions(trx, actor.tenantId, id, [permissionId], 'add');
        }
        if (Array.isArray(body.members)) await setMembers(trx, actor.tenantId, id, body.members, 'add', now);
        await checkGrantable(trx, actor, id);
        await recordAudit(trx, actor, {
          action: 'iam.role.created',
          targetType: 'iam_role',
          targetId: id,
          details: { name },
        });
        return roleById(trx, actor.tenantId, id);
      });
    },
    async updateRole(
      actor: Actor,
      id: string,
      body: Obj,
      lists: Record<string, { add: unknown[]; remove: unknown[]; replace?: unknown[] }> = {},
      partial = false,
    ): Promise<IamRole> {
      requireAction(actor, 'iam:roles:write');
      return db.transaction().execute(async (trx) => {
        const current = await roleById(trx, actor.tenantId, id);
        const now = nowIso();
        const onlyMembers =
          Object.keys(body).length === 0 && Object.keys(lists).every((k) => k === 'members');
        // Built-in roles keep their definition; who holds them may change.
        if (!onlyMembers) builtinGuard(current.isBuiltin, `Role '${current.name}'`);
        const name =
          partial && body.name === undefined ? current.name : (text(body.name, 'name', true) ?? '');
        await uniqueName(trx, 'iam_roles', actor.tenantId, name, current.id);
        const description =
          partial && body.description === undefined
            ? current.description
            : text(body.description, 'description', false);
        const mapper =
          partial && body.claim_mapper === undefined ? current.claimMapper : claimMapper(body.claim_mapper);
        if (!onlyMembers) {
          await trx
            .updateTable('iam_roles')
            .set({ name, description, claim_mapper: toJson(mapper), updated_at: now })
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', current.id)
            .execute();
        }
        if (!partial && body.permissions !== undefined) {
          if (!Array.isArray(body.permissions))
            throw new AppError('bad_request', 'permissions: expected an array of permission ids');
          await setPermissions(trx, actor.tenantId, current.id, body.permissions, 'replace');
        }
        if (!partial && body.members !== undefined) {
          if (!Array.isArray(body.members))
            throw new AppError('bad_request', 'members: expected an array of {type, value}');
          await setMembers(trx, actor.tenantId, current.id, body.members, 'replace', now);
        }
        const p = lists.permissions;
        if (p) {
          if (p.replace) await setPermissions(trx, actor.tenantId, current.id, p.replace, 'replace');
          await setPermissions(trx, actor.tenantId, current.id, p.add, 'add');
          await setPermissions(trx, actor.tenantId, current.id, p.remove, 'remove');
        }
        const m = lists.members;
        if (m) {
          if (m.replace) await setMembers(trx, actor.tenantId, current.id, m.replace, 'replace', now);
          await setMembers(trx, actor.tenantId, current.id, m.add, 'add', now);
          await setMembers(trx, actor.tenantId, current.id, m.remove, 'remove', now);
        }
        await checkGrantable(trx, actor, current.id);
        await recordAudit(trx, actor, {
          action: 'iam.role.updated',
          targetType: 'iam_role',
          targetId: current.id,
          details: { name, patched: Object.keys(lists) },
        });
        return roleById(trx, actor.tenantId, current.id);
      });
    },
    async patchRole(actor: Actor, id: string, body: unknown): Promise<IamRole> {
      const { set, lists } = foldPatch(
        readIamPatch(body),
        ['name', 'description', 'claim_mapper', 'permissions', 'members', 'client_id'],
        ['permissions', 'members'],
      );
      delete set.client_id;
      return service.updateRole(actor, id, set, lists, true);
    },
    async deleteRole(actor: Actor, id: string): Promise<void> {
      requireAction(actor, 'iam:roles:write');
      await db.transaction().execute(async (trx) => {
        const current = await roleById(trx, actor.tenantId, id);
        builtinGuard(current.isBuiltin, `Role '${current.name}'`);
        const tokens = await trx
          .selectFrom('api_tokens')
          .select('id')
          .where('tenant_id', '=', actor.tenantId)
          .where('role_id', '=', id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (tokens)
          throw new AppError(
            'conflict',
            `Role '${current.name}' is held by API tokens; revoke them or give them another role first`,
          );
        await trx
          .deleteFrom('iam_role_assignments')
          .where('tenant_id', '=', actor.tenantId)
          .where('role_id', '=', id)
          .execute();
        await trx
          .deleteFrom('iam_role_permissions')
          .where('tenant_id', '=', actor.tenantId)
          .where('role_id', '=', id)
          .execute();
        // The permission made from the role's own statements goes with it, unless others use it.
        const own = await trx
          .selectFrom('iam_permissions as p')
          .select('p.id')
          .where('p.tenant_id', '=', actor.tenantId)
          .where('p.name', '=', ownPermissionName(id))
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('iam_role_permissions as rp')
                  .select('rp.role_id')
                  .whereRef('rp.tenant_id', '=', 'p.tenant_id')
                  .whereRef('rp.permission_id', '=', 'p.id'),
              ),
            ),
          )
          .executeTakeFirst();
        if (own) {
          await trx
            .deleteFrom('iam_permission_statements')
            .where('tenant_id', '=', actor.tenantId)
            .where('permission_id', '=', own.id)
            .execute();
          await trx
            .deleteFrom('iam_permissions')
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', own.id)
            .execute();
        }
        await trx
          .deleteFrom('iam_roles')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.role.deleted',
          targetType: 'iam_role',
          targetId: id,
          details: { name: current.name },
        });
      });
    },
  };
  return service;
}
