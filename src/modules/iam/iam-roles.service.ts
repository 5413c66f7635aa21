import type { Db, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { resolveActions } from './iam.service.js';
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

type Obj = Record<string, unknown>;
const text = (v: unknown, field: string, required: boolean): string | null => {
  if (v === undefined || v === null) {
    if (required) throw new AppError('bad_request', `${field}: required`);
    return null;
  }
  if (typeof v !== 'string' || (required && v.trim() === ''))
    throw new AppError('bad_request', `${field}: expected a non-empty string`);
  if (v.length > 1000) throw new AppError('bad_request', `${field}: at most 1000 characters`);
  return v.trim();
};
const builtinGuard = (isBuiltin: boolean, what: string) => {
  if (isBuiltin)
    throw new AppError('conflict', `${what} is built-in: it can be read, not changed or deleted`);
};

/**
 * IAM permissions (statements: actions on resources) and roles (permissions, claim mapper,
 * members). This is Sightline's authorization: a change applies on the holders' next request. A
 * caller can only create or widen a role up to the actions it holds itself.
 */
export function createIamRolesService({ db }: { db: Db }) {
  async function permissionById(ex: Executor, tenantId: string, idOrName: string): Promise<IamPermission> {
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

  /** Statement inputs (`{actions: [...], resource}` or `{action, resource}`) checked against the catalog. */
  async function readStatements(ex: Executor, tenantId: string, input: unknown, field: string) {
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

  async function writeStatements(
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
  async function checkGrantable(ex: Executor, actor: Actor, roleId: string) {
    const actions = await resolveActions(ex, actor.tenantId, { roleIds: [roleId], personId: null });
    const missing = [...actions].filter((a) => !actor.actions.has(a));
    if (missing.length > 0)
      throw new AppError(
        'forbidden',
        `The role would grant actions you do not hold (${missing.slice(0, 5).join(', ')})`,
        { missing },
      );
  }

  async function uniqueName(
    ex: Executor,
    table: 'iam_roles' | 'iam_permissions',
    tenantId: string,
    value: string,
    selfId?: string,
  ) {
    const holder = await ex
      .selectFrom(table)
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('name', '=', value)
      .executeTakeFirst();
    if (holder && holder.id !== selfId) throw new AppError('conflict', `name: '${value}' already exists`);
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
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'role_id', 'principal_type', 'principal_id']).doNothing(),
        )
        .execute();
    }
  }

  const claimMapper = (v: unknown): Record<string, string> => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
      throw new AppError('bad_request', 'claim_mapper: expected an object of strings');
    return v as Record<string, string>;
  };

  return {
    async listPermissions(actor: Actor): Promise<IamPermission[]> {
      requireAction(actor, 'iam:read');
      const rows = await db
        .selectFrom('iam_permissions')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .orderBy('name')
        .execute();
      return Promise.all(rows.map((r) => permissionById(db, actor.tenantId, r.id)));
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
      return this.updatePermission(actor, id, set, true);
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
              name: `role:${name}`,
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
      return this.updateRole(actor, id, set, lists, true);
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
}

export type IamRolesService = ReturnType<typeof createIamRolesService>;
