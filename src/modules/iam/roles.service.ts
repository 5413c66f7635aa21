import type { Db, Dialect } from '../../platform/db/db.js';
import { nowIso, toJson } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { touchRoleHolders } from '../scim/touch-versions.js';
import { builtinGuard, type Obj, text, uniqueName } from './iam-input.js';
import { type IamListRequest, type IamPage, listPageIds } from './iam-list.js';
import { foldPatch, readIamPatch } from './iam-patch.js';
import { checkGrantable, readStatements, writeStatements } from './permissions.service.js';
import {
  claimMapper,
  type IamRole,
  ownPermissionName,
  roleById,
  setMembers,
  setPermissions,
} from './roles.store.js';

/**
 * IAM roles (permissions, claim mapper, members). This is Sightline's authorization: a change
 * applies on the holders' next request. A caller can only create or widen a role up to the actions
 * it holds itself. Built-in roles keep their definition; who holds them may change.
 */
export function createRolesService({ db, dialect }: { db: Db; dialect: Dialect }) {
  const service = {
    /** One page of the tenant's roles matching the filter (see listPageIds). */
    async listRoles(actor: Actor, request: IamListRequest = {}): Promise<IamPage<IamRole>> {
      requireAction(actor, 'iam:read');
      const { ids, total } = await listPageIds(db, dialect, 'roles', actor.tenantId, request);
      return { items: await Promise.all(ids.map((id) => roleById(db, actor.tenantId, id))), total };
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
        if (name !== current.name) await touchRoleHolders(trx, actor.tenantId, current.id, now);
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
        await touchRoleHolders(trx, actor.tenantId, id, nowIso());
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
