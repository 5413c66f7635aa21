import { sql } from 'kysely';
import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { recordEvents } from '../events/events.service.js';
import { applyCustomValues } from '../fields/custom-values.js';
import { loadCustomFields } from '../fields/fields.service.js';
import type { ListPage } from '../listing/list.types.js';
import { parseListRequest } from '../listing/list-params.js';
import { listPage } from '../listing/list-query.js';
import { refreshAppFigures } from './app-figures.js';
import { type AppState, appStates, appsList } from './apps-list.js';

export interface AppInput {
  name?: string;
  category?: string | null;
  url?: string | null;
  state?: AppState;
  /** The owner's email or person id; null clears it. */
  owner?: string | null;
  customFields?: Record<string, unknown>;
}

/** An app as the management face presents it (custom field values under their keys). */
export type AppItem = Record<string, unknown>;

function checkUrl(url: string): string {
  const text = url.trim();
  if (!URL.canParse(text) || !/^https?:\/\//i.test(text)) {
    throw new AppError('bad_request', 'url: must be an absolute http(s) URL');
  }
  return text;
}

/** The person an owner reference names (email or id) in the tenant, or a 400 naming `field`. */
export async function resolvePerson(
  db: Executor,
  tenantId: string,
  ref: string,
  field: string,
): Promise<string> {
  const value = ref.trim();
  const row = await db
    .selectFrom('people')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('email_lc', '=', value.toLowerCase()), eb('id', '=', value)]))
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new AppError('bad_request', `${field}: no user '${value}' in this organization`);
  return row.id;
}

/** Apps: the list with derived figures, and the native create / update / close. */
export function createAppsService({ db, dialect }: { db: Db; dialect: Dialect }) {
  async function findItem(tenantId: string, id: string): Promise<AppItem | undefined> {
    const custom = await loadCustomFields(db, tenantId, 'apps');
    const request = parseListRequest({ sort: 'id', size: '1' }, appsList, custom);
    const page = await listPage(
      db,
      dialect,
      { ...appsList, where: [sql`a.id = ${id}`] },
      request,
      tenantId,
      custom,
    );
    return page.data[0];
  }

  async function getItem(tenantId: string, id: string): Promise<AppItem> {
    const item = await findItem(tenantId, id);
    if (!item) throw notFound('App', id);
    return item;
  }

  async function nameTaken(trx: Executor, tenantId: string, name: string, exceptId?: string): Promise<void> {
    let query = trx
      .selectFrom('apps')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('name_lc', '=', name.toLowerCase());
    if (exceptId) query = query.where('id', '!=', exceptId);
    if (await query.executeTakeFirst())
      throw new AppError('conflict', `name: an app '${name}' already exists`);
  }

  async function write(actor: Actor, id: string | undefined, input: AppInput): Promise<string> {
    const fields = await loadCustomFields(db, actor.tenantId, 'apps');
    return db.transaction().execute(async (trx) => {
      const current = id
        ? await trx
            .selectFrom('apps')
            .selectAll()
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', id)
            .executeTakeFirst()
        : undefined;
      if (id && !current) throw notFound('App', id);
      const custom = applyCustomValues(fields, input.customFields, {
        current: parseJson<Record<string, unknown>>(current?.custom, {}),
        isCreate: !current,
      });
      const now = nowIso();
      const changes: {
        name?: string;
        name_lc?: string;
        category?: string | null;
        url?: string | null;
        state?: string;
        owner_id?: string | null;
        closed_at?: string | null;
      } = {};
      if (input.name !== undefined) {
        const name = input.name.trim();
        if (!name) throw new AppError('bad_request', 'name: must not be empty');
        await nameTaken(trx, actor.tenantId, name, id);
        changes.name = name;
        changes.name_lc = name.toLowerCase();
      }
      if (input.category !== undefined) changes.category = input.category?.trim() || null;
      if (input.url !== undefined) changes.url = input.url === null ? null : checkUrl(input.url);
      if (input.owner !== undefined) {
        changes.owner_id =
          input.owner === null ? null : await resolvePerson(trx, actor.tenantId, input.owner, 'owner');
      }
      if (input.state !== undefined) {
        if (!appStates.includes(input.state)) {
          throw new AppError('bad_request', `state: must be one of ${appStates.join(', ')}`);
        }
        changes.state = input.state;
        if (input.state === 'closed' && current?.state !== 'closed') changes.closed_at = now;
        if (input.state !== 'closed') changes.closed_at = null;
      }
      const appId = id ?? newId('app');
      if (!current) {
        if (!changes.name || !changes.name_lc) throw new AppError('bad_request', 'name: is required');
        await trx
          .insertInto('apps')
          .values({
            tenant_id: actor.tenantId,
            id: appId,
            name: changes.name,
            name_lc: changes.name_lc,
            state: changes.state ?? 'managed',
            category: changes.category ?? null,
            url: changes.url ?? null,
            description: null,
            vendor: null,
            owner_id: changes.owner_id ?? null,
            source: 'manual',
            custom: toJson(custom),
            created_at: now,
            updated_at: now,
            closed_at: changes.closed_at ?? null,
          })
          .execute();
      } else {
        await trx
          .updateTable('apps')
          .set({ ...changes, custom: toJson(custom), updated_at: now })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', appId)
          .execute();
      }
      const closing = changes.state === 'closed' && current?.state !== 'closed';
      const action = !current ? 'app.created' : closing ? 'app.closed' : 'app.updated';
      const details = { ...input, name: changes.name ?? current?.name };
      await recordAudit(trx, actor, { action, targetType: 'app', targetId: appId, details });
      await recordEvents(trx, actor.tenantId, [
        { type: action, subjectType: 'app', subjectId: appId, payload: { appId, ...details } },
      ]);
      if (!current) await refreshAppFigures(trx, actor.tenantId, [appId]);
      return appId;
    });
  }

  return {
    /** A page of the tenant's apps: filters, sort, projection and cursor per the shared listing rules. */
    async list(actor: Actor, query: Record<string, unknown>): Promise<ListPage> {
      requireAction(actor, 'apps:read');
      const custom = await loadCustomFields(db, actor.tenantId, 'apps');
      return listPage(
        db,
        dialect,
        appsList,
        parseListRequest(query, appsList, custom),
        actor.tenantId,
        custom,
      );
    },

    async get(actor: Actor, id: string): Promise<AppItem> {
      requireAction(actor, 'apps:read');
      return getItem(actor.tenantId, id);
    },

    /** Creates an app (managed unless a state is given); its name is unique in the tenant. */
    async create(actor: Actor, input: AppInput & { name: string }): Promise<AppItem> {
      requireAction(actor, 'apps:write');
      return getItem(actor.tenantId, await write(actor, undefined, input));
    },

    /** Updates the given fields; custom values merge into the stored ones (null clears one). */
    async update(actor: Actor, id: string, input: AppInput): Promise<AppItem> {
      requireAction(actor, 'apps:write');
      return getItem(actor.tenantId, await write(actor, id, input));
    },

    /** Marks an app closed (kept with its history; figures stay visible). */
    async close(actor: Actor, id: string): Promise<AppItem> {
      requireAction(actor, 'apps:write');
      return getItem(actor.tenantId, await write(actor, id, { state: 'closed' }));
    },
  };
}

export type AppsService = ReturnType<typeof createAppsService>;
