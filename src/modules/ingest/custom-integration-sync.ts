import type { Db } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError, badRequest, type FieldProblem } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { refreshAppFigures } from '../apps/app-figures.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import type { InstancesService } from '../instances/instances.service.js';
import type { SyncsService } from './syncs.service.js';
import type { Sync } from './syncs.types.js';

export interface CustomSyncInput {
  appName: unknown;
  users?: unknown;
  licenses?: unknown;
}

interface UserRecord {
  id: string;
  email: string;
  status: 'active' | 'inactive' | 'suspended';
  role?: string | null;
  last_used_at?: string | null;
}

export interface LicenseInput {
  name: string;
  total: number | null;
  used: number | null;
  pricePerUserMinor: number | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const STATUSES = new Set(['active', 'inactive', 'suspended']);
const PAGE = 1000;
type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the whole payload first: every problem names its entry (`users[3].email`), nothing is applied. */
function readPayload(input: CustomSyncInput): {
  appName: string;
  /** `undefined` when the payload has no `users` key: the app's accounts are left as they are. */
  users: UserRecord[] | undefined;
  licenses: LicenseInput[];
} {
  const problems: FieldProblem[] = [];
  const appName = typeof input.appName === 'string' ? input.appName.trim() : '';
  if (!appName) problems.push({ field: 'appName', problem: 'required, a non-empty string' });
  const users: UserRecord[] = [];
  const rawUsers = input.users ?? [];
  if (!Array.isArray(rawUsers)) problems.push({ field: 'users', problem: 'must be an array' });
  const seen = new Set<string>();
  for (const [i, raw] of (Array.isArray(rawUsers) ? rawUsers : []).entries()) {
    if (!isObject(raw)) {
      problems.push({ field: `users[${i}]`, problem: 'must be an object', index: i });
      continue;
    }
    const email = typeof raw.email === 'string' ? raw.email.trim() : '';
    if (!EMAIL.test(email))
      problems.push({
        field: `users[${i}].email`,
        problem: `'${String(raw.email ?? '')}' is not an email address`,
        index: i,
      });
    const status =
      raw.status === undefined || raw.status === null ? 'active' : String(raw.status).toLowerCase();
    if (!STATUSES.has(status))
      problems.push({
        field: `users[${i}].status`,
        problem: `'${String(raw.status)}' is not one of active, inactive, suspended`,
        index: i,
      });
    let lastUsed: string | null = null;
    if (raw.lastUsedDate !== undefined && raw.lastUsedDate !== null) {
      const ms = typeof raw.lastUsedDate === 'string' ? Date.parse(raw.lastUsedDate) : Number.NaN;
      if (Number.isNaN(ms))
        problems.push({
          field: `users[${i}].lastUsedDate`,
          problem: 'must be an ISO-8601 date-time',
          index: i,
        });
      else lastUsed = new Date(ms).toISOString();
    }
    if (raw.role !== undefined && raw.role !== null && typeof raw.role !== 'string')
      problems.push({ field: `users[${i}].role`, problem: 'must be a string', index: i });
    const key = email.toLowerCase();
    if (seen.has(key))
      problems.push({ field: `users[${i}].email`, problem: `'${email}' appears more than once`, index: i });
    seen.add(key);
    users.push({
      id: key,
      email,
      status: (STATUSES.has(status) ? status : 'active') as UserRecord['status'],
      ...(typeof raw.role === 'string' ? { role: raw.role } : {}),
      ...(lastUsed ? { last_used_at: lastUsed } : {}),
    });
  }
  const licenses: LicenseInput[] = [];
  const rawLicenses = input.licenses ?? [];
  if (!Array.isArray(rawLicenses)) problems.push({ field: 'licenses', problem: 'must be an array' });
  for (const [i, raw] of (Array.isArray(rawLicenses) ? rawLicenses : []).entries()) {
    const l = isObject(raw) ? raw : {};
    const name = typeof l.name === 'string' ? l.name.trim() : '';
    if (!name)
      problems.push({ field: `licenses[${i}].name`, problem: 'required, a non-empty string', index: i });
    const count = (key: 'total' | 'used') => {
      const v = l[key];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        problems.push({
          field: `licenses[${i}].${key}`,
          problem: 'must be a non-negative integer',
          index: i,
        });
        return null;
      }
      return v;
    };
    const price = l.pricePerUser;
    if (
      price !== undefined &&
      price !== null &&
      (typeof price !== 'number' || !Number.isFinite(price) || price < 0)
    )
      problems.push({
        field: `licenses[${i}].pricePerUser`,
        problem: 'must be a non-negative number',
        index: i,
      });
    licenses.push({
      name,
      total: count('total'),
      used: count('used'),
      pricePerUserMinor: typeof price === 'number' && price >= 0 ? Math.round(price * 100) : null,
    });
  }
  if (problems.length > 0) throw badRequest(problems);
  return { appName, users: input.users === undefined ? undefined : users, licenses };
}

/**
 * Torii's custom-integration sync: the payload becomes a snapshot of the app's custom instance,
 * applied through the push-sync finish path (diff, deactivation of missing users, the
 * mass-deactivation guard, events); license totals, used counts and prices are set beside it.
 */
export function createCustomIntegrationSync(deps: {
  db: Db;
  instances: InstancesService;
  syncs: SyncsService;
}) {
  const { db } = deps;

  async function customInstanceOf(actor: Actor, appName: string): Promise<{ id: string; appId: string }> {
    const found = await db
      .selectFrom('instances as i')
      .innerJoin('apps as a', (j) =>
        j.onRef('a.tenant_id', '=', 'i.tenant_id').onRef('a.id', '=', 'i.app_id'),
      )
      .innerJoin('integrations as g', (j) =>
        j.onRef('g.tenant_id', '=', 'i.tenant_id').onRef('g.id', '=', 'i.integration_id'),
      )
      .select(['i.id', 'i.app_id'])
      .where('i.tenant_id', '=', actor.tenantId)
      .where('a.name_lc', '=', appName.toLowerCase())
      .where('g.key', '=', 'custom')
      .orderBy('i.id')
      .executeTakeFirst();
    if (found) return { id: found.id, appId: found.app_id };
    const created = await deps.instances.create(actor, { appName });
    return { id: created.id, appId: created.app_id };
  }

  /** Sets license totals, used counts and prices of an app's custom instance (by license name). */
  async function setLicenses(
    actor: Actor,
    instance: { id: string; appId: string },
    licenses: LicenseInput[],
    syncId: string | null,
  ) {
    await db.transaction().execute(async (trx) => {
      const now = nowIso();
      for (const l of licenses) {
        const existing = await trx
          .selectFrom('licenses')
          .select('id')
          .where('tenant_id', '=', actor.tenantId)
          .where('instance_id', '=', instance.id)
          .where('name', '=', l.name)
          .executeTakeFirst();
        const values = {
          total: l.total,
          used: l.used,
          price_per_unit_minor: l.pricePerUserMinor,
          currency: l.pricePerUserMinor === null ? null : 'USD',
          updated_at: now,
        };
        if (existing) {
          await trx
            .updateTable('licenses')
            .set(values)
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', existing.id)
            .execute();
        } else {
          await trx
            .insertInto('licenses')
            .values({
              tenant_id: actor.tenantId,
              id: newId('lic'),
              app_id: instance.appId,
              instance_id: instance.id,
              external_id: l.name,
              name: l.name,
              ...values,
              created_at: now,
            })
            .execute();
        }
      }
      await refreshAppFigures(trx, actor.tenantId, [instance.appId]);
      await recordAudit(trx, actor, {
        action: 'custom_sync.licenses_set',
        targetType: 'app',
        targetId: instance.appId,
        details: { syncId, licenses: licenses.map((l) => l.name) },
      });
    });
  }

  return {
    /** The app's custom instance (created with the app when new): where file imports land too. */
    instanceFor: customInstanceOf,
    setLicenses,

    async run(
      actor: Actor,
      input: CustomSyncInput,
    ): Promise<{
      status: string;
      syncId: string | null;
      instanceId: string;
      appId: string;
      sync: Sync | null;
    }> {
      requireAction(actor, 'sync:write');
      const { appName, users, licenses } = readPayload(input);
      const instance = await customInstanceOf(actor, appName);
      if (users === undefined) {
        // No `users` key: a licenses-only call. An empty snapshot would deactivate every account.
        if (licenses.length > 0) await setLicenses(actor, instance, licenses, null);
        return {
          status: 'completed',
          syncId: null,
          instanceId: instance.id,
          appId: instance.appId,
          sync: null,
        };
      }
      const sync = await deps.syncs.create(actor, instance.id);
      try {
        for (let page = 0; page * PAGE < Math.max(users.length, 1); page++) {
          await deps.syncs.uploadPage(actor, {
            instanceId: instance.id,
            syncId: sync.id,
            kind: 'snapshot',
            entity: 'users',
            page: page + 1,
            data: users.slice(page * PAGE, (page + 1) * PAGE),
          });
        }
      } catch (error) {
        // A running sync left behind would refuse every later call for the app (409).
        await deps.syncs.cancel(actor, sync.id).catch(() => undefined);
        throw error;
      }
      const finished = await deps.syncs.finish(actor, instance.id, sync.id);
      await recordAudit(db, actor, {
        action: 'custom_sync.applied',
        targetType: 'app',
        targetId: instance.appId,
        details: { syncId: sync.id, instanceId: instance.id, users: users.length, status: finished.status },
      });
      if (finished.status === 'failed') {
        throw new AppError(
          'unprocessable',
          `The sync failed: ${finished.failure_reason ?? 'unknown reason'}`,
          { syncId: sync.id },
        );
      }
      if (licenses.length > 0) await setLicenses(actor, instance, licenses, sync.id);
      return {
        status: finished.status === 'finished' ? 'completed' : 'in_progress',
        syncId: sync.id,
        instanceId: instance.id,
        appId: instance.appId,
        sync: finished,
      };
    },
  };
}

export type CustomIntegrationSync = ReturnType<typeof createCustomIntegrationSync>;
