import type { Db, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { foldPatch, readIamPatch } from './iam-patch.js';

export interface IamAction {
  id: string;
  name: string;
  description: string | null;
  resourceTypeId: string | null;
  isBuiltin: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface IamResourceType {
  id: string;
  name: string;
  description: string | null;
  isBuiltin: boolean;
  actions: IamAction[];
  resources: {
    id: string;
    name: string;
    slug: string | null;
    description: string | null;
    createdAt: string;
  }[];
  createdAt: string;
  updatedAt: string;
}

export interface IamResource {
  id: string;
  name: string;
  slug: string | null;
  description: string | null;
  attributes: Record<string, unknown>;
  type: IamResourceType;
  createdAt: string;
  updatedAt: string;
}

const NAME = /^[a-z0-9][a-z0-9_.:-]{0,127}$/;
const text = (v: unknown, field: string, required: boolean): string | null => {
  if (v === undefined || v === null) {
    if (required) throw new AppError('bad_request', `${field}: required`);
    return null;
  }
  if (typeof v !== 'string') throw new AppError('bad_request', `${field}: expected a string`);
  if (required && v.trim() === '') throw new AppError('bad_request', `${field}: must not be empty`);
  if (v.length > 1000) throw new AppError('bad_request', `${field}: at most 1000 characters`);
  return v.trim();
};
const name = (v: unknown, field = 'name'): string => {
  const value = text(v, field, true) ?? '';
  if (!NAME.test(value))
    throw new AppError(
      'bad_request',
      `${field}: '${value}' must be lower-case letters, digits and _ . : - (≤ 128)`,
    );
  return value;
};
const builtinGuard = (isBuiltin: number, what: string) => {
  if (isBuiltin)
    throw new AppError('conflict', `${what} is built-in: it can be read, not changed or deleted`);
};

/**
 * IAM actions, resource types and resources of a tenant. Built-in rows (Sightline's own catalog)
 * are read-only; custom ones describe resources the tenant governs with Sightline's roles.
 */
export function createIamCatalogService({ db }: { db: Db }) {
  async function actionRow(ex: Executor, tenantId: string, id: string) {
    const row = await ex
      .selectFrom('iam_actions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `Action ${id} not found`);
    return row;
  }
  const toAction = (r: {
    id: string;
    name: string;
    description: string | null;
    resource_type_id: string | null;
    is_builtin: number;
    created_at: string;
    updated_at: string;
  }): IamAction => ({
    id: r.id,
    name: r.name,
    description: r.description,
    resourceTypeId: r.resource_type_id,
    isBuiltin: r.is_builtin === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  async function typeById(ex: Executor, tenantId: string, idOrName: string): Promise<IamResourceType> {
    const row = await ex
      .selectFrom('iam_resource_types')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `Resource type ${idOrName} not found`);
    const [actions, resources] = await Promise.all([
      ex
        .selectFrom('iam_actions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('resource_type_id', '=', row.id)
        .orderBy('name')
        .execute(),
      ex
        .selectFrom('iam_resources')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('resource_type_id', '=', row.id)
        .orderBy('name')
        .execute(),
    ]);
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      isBuiltin: row.is_builtin === 1,
      actions: actions.map(toAction),
      resources: resources.map((r) => ({
        id: r.id,
        name: r.name,
        slug: r.external_id,
        description: r.description,
        createdAt: r.created_at,
      })),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async function resourceById(ex: Executor, tenantId: string, id: string): Promise<IamResource> {
    const row = await ex
      .selectFrom('iam_resources')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `Resource ${id} not found`);
    return {
      id: row.id,
      name: row.name,
      slug: row.external_id,
      description: row.description,
      attributes: parseJson(row.attributes, {}),
      type: await typeById(ex, tenantId, row.resource_type_id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async function uniqueName(
    ex: Executor,
    table: 'iam_actions' | 'iam_resource_types',
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

  /** Links (or creates) the named actions to a resource type. */
  async function attachActions(ex: Executor, tenantId: string, typeId: string, names: unknown, now: string) {
    if (!Array.isArray(names))
      throw new AppError('bad_request', 'actions: required, an array of action names');
    for (const [i, raw] of names.entries()) {
      const actionName = name(raw, `actions[${i}]`);
      const existing = await ex
        .selectFrom('iam_actions')
        .select(['id', 'is_builtin'])
        .where('tenant_id', '=', tenantId)
        .where('name', '=', actionName)
        .executeTakeFirst();
      if (existing?.is_builtin)
        throw new AppError('conflict', `actions[${i}]: '${actionName}' is a built-in action of another type`);
      if (existing) {
        await ex
          .updateTable('iam_actions')
          .set({ resource_type_id: typeId, updated_at: now })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', existing.id)
          .execute();
      } else {
        await ex
          .insertInto('iam_actions')
          .values({
            tenant_id: tenantId,
            id: newId('iac'),
            name: actionName,
            description: null,
            resource_type_id: typeId,
            is_builtin: 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
    }
  }

  const read = (actor: Actor) => requireAction(actor, 'iam:read');
  const write = (actor: Actor) => requireAction(actor, 'iam:write');

  return {
    async listActions(actor: Actor): Promise<IamAction[]> {
      read(actor);
      const rows = await db
        .selectFrom('iam_actions')
        .selectAll()
        .where('tenant_id', '=', actor.tenantId)
        .orderBy('name')
        .execute();
      return rows.map(toAction);
    },
    async getAction(actor: Actor, id: string): Promise<IamAction> {
      read(actor);
      return toAction(await actionRow(db, actor.tenantId, id));
    },
    async createAction(actor: Actor, body: Record<string, unknown>): Promise<IamAction> {
      write(actor);
      const actionName = name(body.name);
      const description = text(body.description, 'description', false);
      return db.transaction().execute(async (trx) => {
        await uniqueName(trx, 'iam_actions', actor.tenantId, actionName);
        const now = nowIso();
        const id = newId('iac');
        await trx
          .insertInto('iam_actions')
          .values({
            tenant_id: actor.tenantId,
            id,
            name: actionName,
            description,
            resource_type_id: null,
            is_builtin: 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.action.created',
          targetType: 'iam_action',
          targetId: id,
          details: { name: actionName },
        });
        return toAction(await actionRow(trx, actor.tenantId, id));
      });
    },
    async updateAction(
      actor: Actor,
      id: string,
      body: Record<string, unknown>,
      partial: boolean,
    ): Promise<IamAction> {
      write(actor);
      return db.transaction().execute(async (trx) => {
        const row = await actionRow(trx, actor.tenantId, id);
        builtinGuard(row.is_builtin, `Action '${row.name}'`);
        const actionName = partial && body.name === undefined ? row.name : name(body.name);
        await uniqueName(trx, 'iam_actions', actor.tenantId, actionName, id);
        const description =
          partial && body.description === undefined
            ? row.description
            : text(body.description, 'description', false);
        await trx
          .updateTable('iam_actions')
          .set({ name: actionName, description, updated_at: nowIso() })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.action.updated',
          targetType: 'iam_action',
          targetId: id,
          details: { name: actionName },
        });
        return toAction(await actionRow(trx, actor.tenantId, id));
      });
    },
    async patchAction(actor: Actor, id: string, body: unknown): Promise<IamAction> {
      const { set } = foldPatch(readIamPatch(body), ['name', 'description', 'client_id']);
      delete set.client_id;
      return this.updateAction(actor, id, set, true);
    },
    async deleteAction(actor: Actor, id: string): Promise<void> {
      write(actor);
      await db.transaction().execute(async (trx) => {
        const row = await actionRow(trx, actor.tenantId, id);
        builtinGuard(row.is_builtin, `Action '${row.name}'`);
        const used = await trx
          .selectFrom('iam_permission_statements')
          .select('permission_id')
          .where('tenant_id', '=', actor.tenantId)
          .where('action_name', '=', row.name)
          .executeTakeFirst();
        if (used)
          throw new AppError('conflict', `Action '${row.name}' is used by permission ${used.permission_id}`);
        await trx
          .deleteFrom('iam_actions')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.action.deleted',
          targetType: 'iam_action',
          targetId: id,
          details: { name: row.name },
        });
      });
    },

    async listResourceTypes(actor: Actor): Promise<IamResourceType[]> {
      read(actor);
      const rows = await db
        .selectFrom('iam_resource_types')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .orderBy('name')
        .execute();
      return Promise.all(rows.map((r) => typeById(db, actor.tenantId, r.id)));
    },
    async getResourceType(actor: Actor, id: string): Promise<IamResourceType> {
      read(actor);
      return typeById(db, actor.tenantId, id);
    },
    async createResourceType(actor: Actor, body: Record<string, unknown>): Promise<IamResourceType> {
      write(actor);
      const typeName = name(body.slug ?? body.name, body.slug === undefined ? 'name' : 'slug');
      const description = text(body.description, 'description', false);
      return db.transaction().execute(async (trx) => {
        await uniqueName(trx, 'iam_resource_types', actor.tenantId, typeName);
        const now = nowIso();
        const id = newId('irt');
        await trx
          .insertInto('iam_resource_types')
          .values({
            tenant_id: actor.tenantId,
            id,
            name: typeName,
            description,
            is_builtin: 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await attachActions(trx, actor.tenantId, id, body.actions, now);
        await recordAudit(trx, actor, {
          action: 'iam.resource_type.created',
          targetType: 'iam_resource_type',
          targetId: id,
          details: { name: typeName },
        });
        return typeById(trx, actor.tenantId, id);
      });
    },
    async updateResourceType(
      actor: Actor,
      id: string,
      body: Record<string, unknown>,
      partial: boolean,
    ): Promise<IamResourceType> {
      write(actor);
      return db.transaction().execute(async (trx) => {
        const current = await typeById(trx, actor.tenantId, id);
        if (current.isBuiltin) builtinGuard(1, `Resource type '${current.name}'`);
        const next = body.slug ?? body.name;
        const typeName =
          partial && next === undefined
            ? current.name
            : name(next, body.slug === undefined ? 'name' : 'slug');
        await uniqueName(trx, 'iam_resource_types', actor.tenantId, typeName, current.id);
        const description =
          partial && body.description === undefined
            ? current.description
            : text(body.description, 'description', false);
        const now = nowIso();
        await trx
          .updateTable('iam_resource_types')
          .set({ name: typeName, description, updated_at: now })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', current.id)
          .execute();
        if (body.actions !== undefined)
          await attachActions(trx, actor.tenantId, current.id, body.actions, now);
        await recordAudit(trx, actor, {
          action: 'iam.resource_type.updated',
          targetType: 'iam_resource_type',
          targetId: current.id,
          details: { name: typeName },
        });
        return typeById(trx, actor.tenantId, current.id);
      });
    },
    async patchResourceType(actor: Actor, id: string, body: unknown): Promise<IamResourceType> {
      const { set } = foldPatch(readIamPatch(body), ['name', 'slug', 'description', 'actions', 'client_id']);
      delete set.client_id;
      return this.updateResourceType(actor, id, set, true);
    },
    async deleteResourceType(actor: Actor, id: string): Promise<void> {
      write(actor);
      await db.transaction().execute(async (trx) => {
        const current = await typeById(trx, actor.tenantId, id);
        if (current.isBuiltin) builtinGuard(1, `Resource type '${current.name}'`);
        if (current.resources.length > 0)
          throw new AppError(
            'conflict',
            `Resource type '${current.name}' still has ${current.resources.length} resources`,
          );
        await trx
          .updateTable('iam_actions')
          .set({ resource_type_id: null })
          .where('tenant_id', '=', actor.tenantId)
          .where('resource_type_id', '=', current.id)
          .execute();
        await trx
          .deleteFrom('iam_resource_types')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', current.id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.resource_type.deleted',
          targetType: 'iam_resource_type',
          targetId: current.id,
          details: { name: current.name },
        });
      });
    },

    async listResources(actor: Actor, typeFilter?: string): Promise<IamResource[]> {
      read(actor);
      let q = db.selectFrom('iam_resources').select('id').where('tenant_id', '=', actor.tenantId);
      if (typeFilter)
        q = q.where('resource_type_id', '=', (await typeById(db, actor.tenantId, typeFilter)).id);
      const rows = await q.orderBy('name').execute();
      return Promise.all(rows.map((r) => resourceById(db, actor.tenantId, r.id)));
    },
    async getResource(actor: Actor, id: string): Promise<IamResource> {
      read(actor);
      return resourceById(db, actor.tenantId, id);
    },
    async createResource(actor: Actor, body: Record<string, unknown>): Promise<IamResource> {
      write(actor);
      const resourceName = text(body.name, 'name', true) ?? '';
      const slug = body.slug === undefined ? null : name(body.slug, 'slug');
      const description = text(body.description, 'description', false);
      const typeRef = text(body.type, 'type', true) ?? '';
      return db.transaction().execute(async (trx) => {
        const type = await typeById(trx, actor.tenantId, typeRef).catch(() => {
          throw new AppError('bad_request', `type: no resource type '${typeRef}'`);
        });
        const now = nowIso();
        const id = newId('irs');
        await trx
          .insertInto('iam_resources')
          .values({
            tenant_id: actor.tenantId,
            id,
            resource_type_id: type.id,
            name: resourceName,
            description,
            external_id: slug,
            attributes: toJson({}),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.resource.created',
          targetType: 'iam_resource',
          targetId: id,
          details: { name: resourceName, type: type.name },
        });
        return resourceById(trx, actor.tenantId, id);
      });
    },
    async updateResource(
      actor: Actor,
      id: string,
      body: Record<string, unknown>,
      partial: boolean,
    ): Promise<IamResource> {
      write(actor);
      return db.transaction().execute(async (trx) => {
        const current = await resourceById(trx, actor.tenantId, id);
        const resourceName =
          partial && body.name === undefined ? current.name : (text(body.name, 'name', true) ?? '');
        const slug =
          partial && body.slug === undefined
            ? current.slug
            : body.slug === undefined || body.slug === null
              ? null
              : name(body.slug, 'slug');
        const description =
          partial && body.description === undefined
            ? current.description
            : text(body.description, 'description', false);
        await trx
          .updateTable('iam_resources')
          .set({ name: resourceName, external_id: slug, description, updated_at: nowIso() })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.resource.updated',
          targetType: 'iam_resource',
          targetId: id,
          details: { name: resourceName },
        });
        return resourceById(trx, actor.tenantId, id);
      });
    },
    async patchResource(actor: Actor, id: string, body: unknown): Promise<IamResource> {
      const { set } = foldPatch(readIamPatch(body), ['name', 'slug', 'description', 'client_id']);
      delete set.client_id;
      return this.updateResource(actor, id, set, true);
    },
    async deleteResource(actor: Actor, id: string): Promise<void> {
      write(actor);
      await db.transaction().execute(async (trx) => {
        const current = await resourceById(trx, actor.tenantId, id);
        const used = await trx
          .selectFrom('iam_permission_statements')
          .select('permission_id')
          .where('tenant_id', '=', actor.tenantId)
          .where('resource', '=', id)
          .executeTakeFirst();
        if (used)
          throw new AppError(
            'conflict',
            `Resource '${current.name}' is used by permission ${used.permission_id}`,
          );
        await trx
          .deleteFrom('iam_resources')
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'iam.resource.deleted',
          targetType: 'iam_resource',
          targetId: id,
          details: { name: current.name },
        });
      });
    },
  };
}

export type IamCatalogService = ReturnType<typeof createIamCatalogService>;
