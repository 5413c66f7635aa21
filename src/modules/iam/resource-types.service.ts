import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { type IamAction, toIamAction } from './actions.service.js';
import { builtinGuard, machineName, text, uniqueName } from './iam-input.js';
import { type IamListRequest, type IamPage, listPageIds } from './iam-list.js';
import { foldPatch, readIamPatch } from './iam-patch.js';

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

/** A resource type by id or name, with its actions and resources; 404 when the tenant has none. */
export async function resourceTypeById(
  ex: Executor,
  tenantId: string,
  idOrName: string,
): Promise<IamResourceType> {
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
    actions: actions.map(toIamAction),
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

/** Links (or creates) the named actions to a resource type. */
async function attachActions(ex: Executor, tenantId: string, typeId: string, names: unknown, now: string) {
  if (!Array.isArray(names)) throw new AppError('bad_request', 'actions: required, an array of action names');
  for (const [i, raw] of names.entries()) {
    const actionName = machineName(raw, `actions[${i}]`);
    const existing = await ex
      .selectFrom('iam_actions')
      .select(['id', 'is_builtin'])
      .where('tenant_id', '=', tenantId)
      .where('name', '=', actionName)
      .executeTakeFirst();
    if (existing?.is_builtin)
      throw new AppError(
        'bad_request',
        `actions[${i}]: '${actionName}' is a built-in action of another type`,
        {
          scimType: 'mutability',
        },
      );
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

/** IAM resource types: each groups actions and the resources they apply to. Built-in ones are read-only. */
export function createResourceTypesService({ db, dialect }: { db: Db; dialect: Dialect }) {
  const read = (actor: Actor) => requireAction(actor, 'iam:read');
  const write = (actor: Actor) => requireAction(actor, 'iam:write');

  const service = {
    /** One page of the tenant's resource types matching the filter (see listPageIds). */
    async listResourceTypes(actor: Actor, request: IamListRequest = {}): Promise<IamPage<IamResourceType>> {
      read(actor);
      const { ids, total } = await listPageIds(db, dialect, 'resourceTypes', actor.tenantId, request);
      return { items: await Promise.all(ids.map((id) => resourceTypeById(db, actor.tenantId, id))), total };
    },
    async getResourceType(actor: Actor, id: string): Promise<IamResourceType> {
      read(actor);
      return resourceTypeById(db, actor.tenantId, id);
    },
    async createResourceType(actor: Actor, body: Record<string, unknown>): Promise<IamResourceType> {
      write(actor);
      const typeName = machineName(body.slug ?? body.name, body.slug === undefined ? 'name' : 'slug');
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
        return resourceTypeById(trx, actor.tenantId, id);
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
        const current = await resourceTypeById(trx, actor.tenantId, id);
        if (current.isBuiltin) builtinGuard(1, `Resource type '${current.name}'`);
        const next = body.slug ?? body.name;
        const typeName =
          partial && next === undefined
            ? current.name
            : machineName(next, body.slug === undefined ? 'name' : 'slug');
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
        return resourceTypeById(trx, actor.tenantId, current.id);
      });
    },
    async patchResourceType(actor: Actor, id: string, body: unknown): Promise<IamResourceType> {
      const { set } = foldPatch(readIamPatch(body), ['name', 'slug', 'description', 'actions', 'client_id']);
      delete set.client_id;
      return service.updateResourceType(actor, id, set, true);
    },
    async deleteResourceType(actor: Actor, id: string): Promise<void> {
      write(actor);
      await db.transaction().execute(async (trx) => {
        const current = await resourceTypeById(trx, actor.tenantId, id);
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
  };
  return service;
}
