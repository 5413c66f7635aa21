import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { builtinGuard, machineName, text, uniqueName } from './iam-input.js';
import { type IamListRequest, type IamPage, listPageIds } from './iam-list.js';
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
export const toIamAction = (r: {
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

/**
 * IAM actions of a tenant. Built-in ones (Sightline's catalog, what routes check) are read-only;
 * custom ones name what the tenant governs with its own resources.
 */
export function createActionsService({ db, dialect }: { db: Db; dialect: Dialect }) {
  const read = (actor: Actor) => requireAction(actor, 'iam:read');
  const write = (actor: Actor) => requireAction(actor, 'iam:write');

  const service = {
    /** One page of the tenant's actions matching the filter (see listPageIds). */
    async listActions(actor: Actor, request: IamListRequest = {}): Promise<IamPage<IamAction>> {
      read(actor);
      const { ids, total } = await listPageIds(db, dialect, 'actions', actor.tenantId, request);
      return {
        items: await Promise.all(ids.map((id) => actionRow(db, actor.tenantId, id).then(toIamAction))),
        total,
      };
    },
    async getAction(actor: Actor, id: string): Promise<IamAction> {
      read(actor);
      return toIamAction(await actionRow(db, actor.tenantId, id));
    },
    async createAction(actor: Actor, body: Record<string, unknown>): Promise<IamAction> {
      write(actor);
      const actionName = machineName(body.name);
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
        return toIamAction(await actionRow(trx, actor.tenantId, id));
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
        const actionName = partial && body.name === undefined ? row.name : machineName(body.name);
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
        return toIamAction(await actionRow(trx, actor.tenantId, id));
      });
    },
    async patchAction(actor: Actor, id: string, body: unknown): Promise<IamAction> {
      const { set } = foldPatch(readIamPatch(body), ['name', 'description', 'client_id']);
      delete set.client_id;
      return service.updateAction(actor, id, set, true);
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
  };
  return service;
}
