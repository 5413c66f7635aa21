import type { Db, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';

export interface Instance {
  id: string;
  name: string;
  status: 'active' | 'inactive';
  notification_emails: string[];
  app_id: string;
  app_name: string;
  integration: string;
  created_at: string;
  updated_at: string;
}

export interface InstanceUpdate {
  name?: string;
  notification_emails?: string[];
  status?: 'active' | 'inactive';
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Finds the app with this name (case-insensitive) in the tenant, or creates it as discovered. */
export async function findOrCreateApp(
  db: Executor,
  tenantId: string,
  name: string,
  source: string,
): Promise<string> {
  const nameLc = name.trim().toLowerCase();
  const existing = await db
    .selectFrom('apps')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name_lc', '=', nameLc)
    .executeTakeFirst();
  if (existing) return existing.id;
  const now = nowIso();
  const id = newId('app');
  await db
    .insertInto('apps')
    .values({
      tenant_id: tenantId,
      id,
      name: name.trim(),
      name_lc: nameLc,
      state: 'discovered',
      category: null,
      url: null,
      description: null,
      vendor: null,
      owner_id: null,
      source,
      custom: toJson({}),
      created_at: now,
      updated_at: now,
      closed_at: null,
    })
    .execute();
  return id;
}

function baseQuery(db: Executor, tenantId: string) {
  return db
    .selectFrom('instances as i')
    .innerJoin('apps as a', (j) => j.onRef('a.tenant_id', '=', 'i.tenant_id').onRef('a.id', '=', 'i.app_id'))
    .innerJoin('integrations as g', (j) =>
      j.onRef('g.tenant_id', '=', 'i.tenant_id').onRef('g.id', '=', 'i.integration_id'),
    )
    .select([
      'i.id',
      'i.name',
      'i.status',
      'i.notification_emails',
      'i.app_id',
      'a.name as app_name',
      'g.key as integration',
      'i.created_at',
      'i.updated_at',
    ])
    .where('i.tenant_id', '=', tenantId);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function toInstance(r: Row): Instance {
  return {
    id: r.id,
    name: r.name,
    status: r.status === 'inactive' ? 'inactive' : 'active',
    notification_emails: parseJson(r.notification_emails, []),
    app_id: r.app_id,
    app_name: r.app_name,
    integration: r.integration,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Loads an instance of the actor's tenant or throws 404 (other tenants' instances included). */
export async function getInstanceRow(db: Executor, tenantId: string, id: string): Promise<Instance> {
  const row = await baseQuery(db, tenantId).where('i.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Instance', id);
  return toInstance(row);
}

/** Instances: one connection of one app to a source. Several instances of one app are allowed. */
export function createInstancesService({ db }: { db: Db }) {
  return {
    async list(actor: Actor): Promise<Instance[]> {
      requireAction(actor, 'instances:read');
      return (await baseQuery(db, actor.tenantId).orderBy('i.id').execute()).map(toInstance);
    },

    async get(actor: Actor, id: string): Promise<Instance> {
      requireAction(actor, 'instances:read');
      return getInstanceRow(db, actor.tenantId, id);
    },

    /** Creates a custom-integration instance for an app (created as discovered when new). */
    async create(
      actor: Actor,
      input: { appName: string; name?: string; integration?: string },
    ): Promise<Instance> {
      requireAction(actor, 'instances:write');
      const appName = input.appName.trim();
      if (!appName) throw new AppError('bad_request', 'appName: must not be empty');
      const key = input.integration ?? 'custom';
      const id = await db.transaction().execute(async (trx) => {
        const appId = await findOrCreateApp(trx, actor.tenantId, appName, 'instance');
        const now = nowIso();
        let integration = await trx
          .selectFrom('integrations')
          .select('id')
          .where('tenant_id', '=', actor.tenantId)
          .where('key', '=', key)
          .where('app_id', '=', appId)
          .executeTakeFirst();
        if (!integration) {
          integration = { id: newId('int') };
          await trx
            .insertInto('integrations')
            .values({
              tenant_id: actor.tenantId,
              id: integration.id,
              key,
              name: `${appName} (${key})`,
              app_id: appId,
              created_at: now,
            })
            .execute();
        }
        const instanceId = newId('ins');
        await trx
          .insertInto('instances')
          .values({
            tenant_id: actor.tenantId,
            id: instanceId,
            integration_id: integration.id,
            app_id: appId,
            name: input.name?.trim() || appName,
            status: 'active',
            notification_emails: toJson([]),
            settings: toJson({}),
            secrets: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await recordAudit(trx, actor, {
          action: 'instance.created',
          targetType: 'instance',
          targetId: instanceId,
          details: { appName, appId, integration: key },
        });
        return instanceId;
      });
      return getInstanceRow(db, actor.tenantId, id);
    },

    /** Updates name, notification emails or status; every field is validated before anything is written. */
    async update(actor: Actor, id: string, input: InstanceUpdate): Promise<Instance> {
      requireAction(actor, 'instances:write');
      const changes: { name?: string; notification_emails?: string; status?: string } = {};
      if (input.name !== undefined) {
        if (!input.name.trim()) throw new AppError('bad_request', 'name: must not be empty');
        changes.name = input.name.trim();
      }
      if (input.notification_emails !== undefined) {
        const bad = input.notification_emails.findIndex((e) => !EMAIL.test(e));
        if (bad >= 0) {
          throw new AppError(
            'bad_request',
            `notification_emails/${bad}: '${input.notification_emails[bad]}' is not an email address`,
          );
        }
        changes.notification_emails = toJson([
          ...new Set(input.notification_emails.map((e) => e.trim().toLowerCase())),
        ]);
      }
      if (input.status !== undefined) changes.status = input.status;
      await db.transaction().execute(async (trx) => {
        await getInstanceRow(trx, actor.tenantId, id);
        await trx
          .updateTable('instances')
          .set({ ...changes, updated_at: nowIso() })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'instance.updated',
          targetType: 'instance',
          targetId: id,
          details: { ...input },
        });
      });
      return getInstanceRow(db, actor.tenantId, id);
    },
  };
}

export type InstancesService = ReturnType<typeof createInstancesService>;
