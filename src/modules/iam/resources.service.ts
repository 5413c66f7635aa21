import { type Expression, type SqlBool, sql } from 'kysely';
import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { machineName, text } from './iam-input.js';
import { type IamListRequest, type IamPage, listPageIds } from './iam-list.js';
import { foldPatch, readIamPatch } from './iam-patch.js';
import { type IamResourceType, resourceTypeById } from './resource-types.service.js';

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
    type: await resourceTypeById(ex, tenantId, row.resource_type_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A resource's name is unique within its type, its slug within the tenant (statements name it). */
async function uniqueResource(
  ex: Executor,
  tenantId: string,
  resource: { typeId: string; name: string; slug: string | null },
  selfId?: string,
) {
  const holders = await ex
    .selectFrom('iam_resources')
    .select(['id', 'name', 'resource_type_id', 'external_id'])
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        eb.and([eb('resource_type_id', '=', resource.typeId), eb('name', '=', resource.name)]),
        ...(resource.slug === null ? [] : [eb('external_id', '=', resource.slug)]),
      ]),
    )
    .execute();
  const other = holders.find((h) => h.id !== selfId);
  if (!other) return;
  const field = other.external_id !== null && other.external_id === resource.slug ? 'slug' : 'name';
  const value = field === 'slug' ? resource.slug : resource.name;
  throw new AppError('conflict', `${field}: '${value}' already exists`, { scimType: 'uniqueness' });
}

/** IAM resources: things of a resource type that permission statements may name (by id or slug). */
export function createResourcesService({ db, dialect }: { db: Db; dialect: Dialect }) {
  const read = (actor: Actor) => requireAction(actor, 'iam:read');
  const write = (actor: Actor) => requireAction(actor, 'iam:write');

  const service = {
    /**
     * One page of the tenant's resources matching the filter (see listPageIds), optionally of one
     * type (id or name; an unknown type lists none).
     */
    async listResources(
      actor: Actor,
      request: IamListRequest = {},
      typeFilter?: string,
    ): Promise<IamPage<IamResource>> {
      read(actor);
      let ofType: Expression<SqlBool> | undefined;
      if (typeFilter) {
        const type = await resourceTypeById(db, actor.tenantId, typeFilter).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'not_found') return undefined;
          throw error;
        });
        if (!type) return { items: [], total: 0 };
        ofType = sql<SqlBool>`r.resource_type_id = ${type.id}`;
      }
      const { ids, total } = await listPageIds(db, dialect, 'resources', actor.tenantId, request, ofType);
      return { items: await Promise.all(ids.map((id) => resourceById(db, actor.tenantId, id))), total };
    },
    async getResource(actor: Actor, id: string): Promise<IamResource> {
      read(actor);
      return resourceById(db, actor.tenantId, id);
    },
    async createResource(actor: Actor, body: Record<string, unknown>): Promise<IamResource> {
      write(actor);
      const resourceName = text(body.name, 'name', true) ?? '';
      const slug = body.slug === undefined ? null : machineName(body.slug, 'slug');
      const description = text(body.description, 'description', false);
      const typeRef = text(body.type, 'type', true) ?? '';
      return db.transaction().execute(async (trx) => {
        const type = await resourceTypeById(trx, actor.tenantId, typeRef).catch(() => {
          throw new AppError('bad_request', `type: no resource type '${typeRef}'`);
        });
        await uniqueResource(trx, actor.tenantId, { typeId: type.id, name: resourceName, slug });
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
              : machineName(body.slug, 'slug');
        const description =
          partial && body.description === undefined
            ? current.description
            : text(body.description, 'description', false);
        // The type may change (the contract's replace and patch carry it); absent, it stays.
        const typeRef = body.type === undefined ? undefined : (text(body.type, 'type', true) ?? '');
        const typeId =
          typeRef === undefined
            ? current.type.id
            : (
                await resourceTypeById(trx, actor.tenantId, typeRef).catch(() => {
                  throw new AppError('bad_request', `type: no resource type '${typeRef}'`);
                })
              ).id;
        await uniqueResource(trx, actor.tenantId, { typeId, name: resourceName, slug }, id);
        await trx
          .updateTable('iam_resources')
          .set({
            name: resourceName,
            external_id: slug,
            description,
            resource_type_id: typeId,
            updated_at: nowIso(),
          })
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
      const { set } = foldPatch(readIamPatch(body), ['name', 'slug', 'description', 'type', 'client_id']);
      delete set.client_id;
      return service.updateResource(actor, id, set, true);
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
  return service;
}
