import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, mayGrant, requireAction } from '../auth/actor.js';
import { iamRepo } from './iam.repo.js';
import { builtinGuard, type Obj, text, uniqueName } from './iam-input.js';
import { type IamListRequest, type IamPage, listPageIds } from './iam-list.js';
import { foldPatch, readIamPatch } from './iam-patch.js';

export interface IamStatement {
  action: string;
  actionId: string | null;
  /** `*` or a resource of the tenant. */
  resource: { id: string; name: string } | '*';
}

export interface IamPermission {
  id: string;
  name: string;
  description: string | null;
  isBuiltin: boolean;
  statements: IamStatement[];
  createdAt: string;
  updatedAt: string;
}

/** A permission by id or name, with its statements; 404 when the tenant has none. */
export async function permissionById(
  ex: Executor,
  tenantId: string,
  idOrName: string,
): Promise<IamPermission> {
  const row = await ex
    .selectFrom('iam_permissions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Permission ${idOrName} not found`);
  const statements = await ex
    .selectFrom('iam_permission_statements as s')
    .leftJoin('iam_resources as r', (j) =>
      j.onRef('r.tenant_id', '=', 's.tenant_id').onRef('r.id', '=', 's.resource'),
    )
    .leftJoin('iam_actions as a', (j) =>
      j.onRef('a.tenant_id', '=', 's.tenant_id').onRef('a.name', '=', 's.action_name'),
    )
    .select(['s.action_name', 's.resource', 'r.name as resource_name', 'a.id as action_id'])
    .where('s.tenant_id', '=', tenantId)
    .where('s.permission_id', '=', row.id)
    .orderBy('s.action_name')
    .execute();
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    isBuiltin: row.is_builtin === 1,
    statements: statements.map((s) => ({
      action: s.action_name,
      actionId: s.action_id,
      resource: s.resource === '*' ? '*' : { id: s.resource, name: s.resource_name ?? s.resource },
    })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Statement inputs (`{actions: [...], resource}` or `{action, resource}`) checked against the catalog. */
export async function readStatements(ex: Executor, tenantId: string, input: unknown, field: string) {
  if (!Array.isArray(input)) throw new AppError('bad_request', `${field}: expected an array of statements`);
  const out: { action: string; resource: string }[] = [];
  for (const [i, raw] of input.entries()) {
    const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Obj;
    const actions = Array.isArray(s.actions) ? s.actions : s.action !== undefined ? [s.action] : undefined;
    if (!actions || actions.length === 0)
      throw new AppError('bad_request', `${field}[${i}].actions: required, a list of action names`);
    const resourceRef =
      s.resource === undefined || s.resource === null
        ? '*'
        : (text(s.resource, `${field}[${i}].resource`, true) ?? '*');
    let resource = '*';
    if (resourceRef !== '*') {
      const r = await ex
        .selectFrom('iam_resources')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or([eb('id', '=', resourceRef), eb('external_id', '=', resourceRef)]))
        .executeTakeFirst();
      if (!r) throw new AppError('bad_request', `${field}[${i}].resource: no resource '${resourceRef}'`);
      resource = r.id;
    }
    for (const [j, a] of actions.entries()) {
      const action = text(a, `${field}[${i}].actions[${j}]`, true) ?? '';
      const known = await ex
        .selectFrom('iam_actions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('name', '=', action)
        .executeTakeFirst();
      if (!known)
        throw new AppError('bad_request', `${field}[${i}].actions[${j}]: unknown action '${action}'`);
      if (!out.some((o) => o.action === action && o.resource === resource)) out.push({ action, resource });
    }
  }
  return out;
}

/** Replaces a permission's statements. */
export async function writeStatements(
  ex: Executor,
  tenantId: string,
  permissionId: string,
  statements: { action: string; resource: string }[],
) {
  await ex
    .deleteFrom('iam_permission_statements')
    .where('tenant_id', '=', tenantId)
    .where('permission_id', '=', permissionId)
    .execute();
  if (statements.length === 0) return;
  await ex
    .insertInto('iam_permission_statements')
    .values(
      statements.map((s) => ({
        tenant_id: tenantId,
        permission_id: permissionId,
        action_name: s.action,
        resource: s.resource,
      })),
    )
    .execute();
}

/** A role may only carry actions its author holds (no escalation through IAM). */
export async function checkGrantable(ex: Executor, actor: Actor, roleId: string) {
  // Resource-scoped statements count too: the author must hold every action it hands out.
  const actions = await iamRepo.listRoleActions(ex, actor.tenantId, roleId);
  const missing = actions.filter((a) => !mayGrant(actor, a)).sort();
  if (missing.length > 0)
    throw new AppError(
      'forbidden',
      `The role would grant actions you do not hold (${missing.slice(0, 5).join(', ')})`,
      { missing },
    );
}

/**
 * IAM permissions: statements (actions on a resource or `*`). A change applies to the holders of
 * every role using the permission on their next request; built-in ones are read-only.
 */
export function createPermissionsService({ db, dialect }: { db: Db; dialect: Dialect }) {
  const service = {
    /** One page of the tenant's permissions matching the filter (see listPageIds). */
    async listPermissions(actor: Actor, request: IamListRequest = {}): Promise<IamPage<IamPermission>> {
      requireAction(actor, 'iam:read');
      const { ids, total } = await listPageIds(db, dialect, 'permissions', actor.tenantId, request);
      return { items: await Promise.all(ids.map((id) => permissionById(db, actor.tenantId, id))), total };
    },
    async getPermission(actor: Actor, id: string): Promise<IamPermission> {
      requireAction(actor, 'iam:read');
      return permissionById(db, actor.tenantId, id);
    },
    async createPermission(actor: Actor, body: Obj): Promise<IamPermission> {
      requireAction(actor, 'iam:roles:write');
      const name = text(body.name, 'name', true) ?? '';
      const description = text(body.description, 'description', false);
      return db.transaction().execute(async (trx) => {
        await uniqueName(trx, 'iam_permissions', actor.tenantId, name);
        const statements = await readStatements(trx, actor.tenantId, body.statements, 'statements');
        const now = nowIso();
        const id = newId('prm');
        await trx
          .insertInto('iam_permissions')
          .values({
            tenant_id: actor.tenantId,
            id,
            name,
            description,
            is_builtin: 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await writeStatements(trx, actor.tenantId, id, statements);
        await recordAudit(trx, actor, {
          action: 'iam.permission.created',
          targetType: 'iam_permission',
          targetId: id,
          details: { name, statements },
        });
        return permissionById(trx, actor.tenantId, id);
      });
    },
    async updatePermission(actor: Actor, id: string, body: Obj, partial: boolean): Promise<IamPermission> {
      requireAction(actor, 'iam:roles:write');
      return db.transaction().execute(async (trx) => {
        const current = await permissionById(trx, actor.tenantId, id);
        builtinGuard(current.isBuiltin, `Permission '${current.name}'`);
        const name =
          partial && body.name === undefined ? current.name : (text(body.name, 'name', true) ?? '');
        await uniqueName(trx, 'iam_permissions', actor.tenantId, name, current.id);
        const description =
          partial && body.description === undefined
            ? current.description
            : text(body.description, 'description', false);
        await trx
          .updateTable('iam_permissions')
          .set({ name, description, updated_at: nowIso() })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', current.id)
          .execute();
        if (body.statements !== undefined) {
          await writeStatements(
            trx,
            actor.tenantId,
            current.id,
            await readStatements(trx, actor.tenantId, body.statements, 'statements'),
          );
          const roles = await trx
            .selectFrom('iam_role_permissions')
            .select('role_id')
            .where('tenant_id', '=', actor.tenantId)
            .where('permission_id', '=', current.id)
            .execute();
          for (const r of roles) await checkGrantable(trx, actor, r.role_id);
        }
        await recordAudit(trx, actor, {
          action: 'iam.permission.updated',
          targetType: 'iam_permission',
          targetId: current.id,
          details: { name },
        });
        return permissionById(trx, actor.tenantId, current.id);
      });
    },
    async patchPermission(actor: Actor, id: string, body: unknown): Promise<IamPermission> {
      const { set } = foldPatch(readIamPatch(body), ['name', 'description', 'statements', 'client_id']);
      delete set.client_id;
      return service.updatePermission(actor, id, set, true);
    },
    async deletePermission(actor: Actor, id: string): Promise<void> {
      requireAction(actor, 'iam:roles:write');
      await db.transaction().execute(async (trx) => {
        const current = await permissionById(trx, actor.tenantId, id);
        builtinGuard(current.isBuiltin, `Permission '${current.name}'`);
        const used = await trx
          .selectFrom('iam_role_permissions')
          .select('role_id')
          .where('tenant_id', '=', actor.tenantId)
          .where('permission_id', '=', current.id)
          .executeTakeFirst();
        if (used)
          throw new AppError('conflict', `Permission '${current.name}' is used by role ${used.role_id}`);
        await trx
          .deleteFrom('iam_permission_statements')
          .where('tenant_id', '=', actor.tenantId)
          .where('permission_id', '=', current.id)
          .execute();
        await trx
          .deleteFrom('iam_permissions')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', current.id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.permission.deleted',
          targetType: 'iam_permission',
          targetId: current.id,
          details: { name: current.name },
        });
      });
    },
  };
  return service;
}
