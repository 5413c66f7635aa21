import { sql } from 'kysely';
import type { Executor, Store } from '../../platform/db/db.js';
import { dialectHelpers } from '../../platform/db/dialect.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import type { Logger } from '../../platform/log/log.js';
import { refreshAppFigures } from '../apps/app-figures.js';
import { recordEvents } from '../events/events.service.js';
import type { ApplyContext, EntityCounts } from './apply-context.js';
import {
  applyApplications,
  applyContracts,
  applyGroups,
  applyGroupUsers,
  applyRoles,
} from './apply-directory.js';
import { applyActivities, applyTransactions } from './apply-facts.js';
import { applyUsers, countActiveAccounts, stageUsers } from './apply-users.js';
import { dropKeysTable, keepAsInstanceKeys } from './staged-keys.js';
import type { HoldInfo, IngestSettings, SyncResult, SyncStats } from './syncs.types.js';

/** Temp tables of the apply steps. PostgreSQL drops them at commit; SQLite keeps them per connection. */
const tempTables = [
  'gone_keys',
  'user_delta',
  'user_candidates',
  'stage_users',
  'user_matched',
  'new_people',
  'user_diff',
  'people_by_email',
  'missing_accounts',
  'stage_activities',
];

async function dropTempTables(db: Executor, dialect: Store['dialect']): Promise<void> {
  if (dialect !== 'sqlite') return;
  for (const table of tempTables) await sql`drop table if exists temp.${sql.id(table)}`.execute(db);
}

/**
 * The mass-deactivation guard: a hold when the snapshot deactivates more than `guardShare` of the
 * instance's active accounts (instances with at least `guardMinActive` of them). Active accounts
 * are counted only as far as the decision needs.
 */
async function guardHold(
  ctx: ApplyContext,
  deactivating: number,
  settings: IngestSettings,
): Promise<HoldInfo | undefined> {
  if (deactivating === 0) return undefined;
  // With at least this many active accounts, the share deactivated is within the threshold.
  const enough =
    settings.guardShare > 0
      ? Math.min(Number.MAX_SAFE_INTEGER, Math.floor(deactivating / settings.guardShare) + 1)
      : Number.MAX_SAFE_INTEGER;
  const activeBefore = await countActiveAccounts(ctx, enough);
  if (activeBefore >= enough || activeBefore < settings.guardMinActive) return undefined;
  const share = deactivating / activeBefore;
  if (share <= settings.guardShare) return undefined;
  return {
    reason: 'mass_deactivation_guard',
    active_before: activeBefore,
    deactivating,
    share: Math.round(share * 1000) / 1000,
    threshold: settings.guardShare,
  };
}

/** Account rows written by one apply past which PostgreSQL's planner statistics are refreshed. */
const STATS_REFRESH_ROWS = 20_000;

/** Records the sync's users pages hold, every version of a repeated id included. */
async function countUserRecordsSent(db: Executor, tenantId: string, syncId: string): Promise<number> {
  const row = await db
    .selectFrom('sync_pages')
    .select((eb) => eb.fn.sum<number | string | null>('record_count').as('n'))
    .where('tenant_id', '=', tenantId)
    .where('sync_id', '=', syncId)
    .where('kind', '=', 'snapshot')
    .where('entity', '=', 'users')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

class Held extends Error {
  constructor(readonly hold: HoldInfo) {
    super('held by the mass-deactivation guard');
  }
}

/**
 * Finish = apply + diff, atomically: every staged entity of the sync is applied in dependency order
 * inside ONE transaction, compared with the instance's previous snapshot, and the resulting events
 * are written to the outbox in the same transaction. Any failure rolls everything back and marks
 * the sync failed; a guard hold rolls back and keeps the staged data. Idempotent: a sync that is no
 * longer running is left alone (jobs are at-least-once).
 */
export async function applySync(
  deps: { store: Store; log: Logger; settings: IngestSettings },
  tenantId: string,
  syncId: string,
): Promise<void> {
  const { db } = deps.store;
  const sync = await db
    .selectFrom('syncs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', syncId)
    .executeTakeFirst();
  if (sync?.status !== 'running') return;
  const stats = parseJson<SyncStats>(sync.stats, {});
  const instance = await db
    .selectFrom('instances')
    .select(['id', 'app_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sync.instance_id)
    .executeTakeFirstOrThrow();
  const h = dialectHelpers(deps.store.dialect);
  const started = Date.now();
  /** Account rows the apply wrote (created, updated, deactivated). */
  let written = 0;
  try {
    await db.transaction().execute(async (trx) => {
      const now = nowIso();
      const staged = await trx
        .selectFrom('sync_pages')
        .select(['kind', 'entity'])
        .distinct()
        .where('tenant_id', '=', tenantId)
        .where('sync_id', '=', syncId)
        .execute();
      const has = (kind: string, entity: string) =>
        staged.some((s) => s.kind === kind && s.entity === entity);
      const fresh = await trx
        .selectFrom('freshness')
        .select('entity')
        .where('tenant_id', '=', tenantId)
        .where('instance_id', '=', instance.id)
        .execute();
      const known = new Set(fresh.map((f) => f.entity));
      const result: SyncResult = { entities: {}, unresolved: [], events: 0, baseline: [] };
      const ctx = (entity: string): ApplyContext => {
        const baseline = !known.has(entity);
        if (baseline && !result.baseline.includes(entity)) result.baseline.push(entity);
        return {
          trx,
          h,
          tenantId,
          instanceId: instance.id,
          appId: instance.app_id,
          syncId,
          now,
          baseline,
          events,
          tally,
          unresolved: result.unresolved,
        };
      };
      const events: ApplyContext['events'] = [];
      const tally = { events: 0 };
      const put = (key: string, counts: EntityCounts) => {
        result.entities[key] = counts;
      };

      if (has('snapshot', 'applications')) put('applications', await applyApplications(ctx('applications')));
      if (has('snapshot', 'users')) {
        const c = ctx('users');
        const figures = await stageUsers(c, {
          stagedKeys: sync.staged_keys,
          repeatedIds: sync.repeated_ids === 1,
        });
        const hold = await guardHold(c, figures.deactivating, deps.settings);
        if (hold && !stats.force && !stats.approved_by) throw new Held(hold);
        const sent = await countUserRecordsSent(trx, tenantId, syncId);
        // Records of an id sent again (in the same page or a later one) lose to its last version.
        put('users', { ...(await applyUsers(c, figures)), superseded: Math.max(0, sent - figures.received) });
      }
      if (has('snapshot', 'roles')) put('roles', await applyRoles(ctx('roles')));
      const groupIds = new Map<string, string>();
      if (has('snapshot', 'groups')) put('groups', await applyGroups(ctx('groups'), groupIds));
      if (has('snapshot', 'group_users'))
        put('group_users', await applyGroupUsers(ctx('group_users'), groupIds));
      if (has('snapshot', 'contracts')) put('contracts', await applyContracts(ctx('contracts')));
      if (has('snapshot', 'transactions'))
        put('transactions', await applyTransactions(ctx('transactions'), 'snapshot'));
      if (has('snapshot', 'activities'))
        put('activities', await applyActivities(ctx('activities'), 'snapshot'));
      if (has('fact', 'transactions'))
        put('facts:transactions', await applyTransactions(ctx('transactions'), 'fact'));
      if (has('fact', 'activities'))
        put('facts:activities', await applyActivities(ctx('activities'), 'fact'));

      // Freshness: each snapshot entity is complete as of the sync's start.
      for (const s of staged.filter((x) => x.kind === 'snapshot')) {
        await trx
          .insertInto('freshness')
          .values({
            tenant_id: tenantId,
            instance_id: instance.id,
            entity: s.entity,
            complete_as_of: sync.started_at,
            sync_id: syncId,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'instance_id', 'entity'])
              .doUpdateSet({ complete_as_of: sync.started_at, sync_id: syncId, updated_at: now }),
          )
          .execute();
      }
      const counts = Object.fromEntries(Object.entries(result.entities).map(([k, v]) => [k, v]));
      events.push({
        type: 'sync.finished',
        subjectType: 'sync',
        subjectId: syncId,
        payload: { sync_id: syncId, instance_id: instance.id, app_id: instance.app_id, counts },
      });
      result.events = tally.events + events.length;
      const users = result.entities.users;
      written = users ? users.created + users.updated + users.deactivated : 0;
      await recordEvents(trx, tenantId, events);
      // Apps' derived figures (users, licenses, cost): this instance's app, or every app of the
      // tenant when the snapshot carried apps, contracts or spend that may name other apps.
      const touchesOtherApps = staged.some((s) =>
        ['applications', 'contracts', 'transactions'].includes(s.entity),
      );
      await refreshAppFigures(trx, tenantId, touchesOtherApps ? undefined : [instance.app_id]);
      // Staged data has served its purpose; the page rows stay for the counts. The keys of an
      // applied users snapshot are kept as the instance's, for the next finish to compare with.
      if (has('snapshot', 'users')) await keepAsInstanceKeys(trx, syncId, instance.id);
      else await dropKeysTable(trx, syncId);
      await trx
        .updateTable('sync_pages')
        .set({ data: null })
        .where('tenant_id', '=', tenantId)
        .where('sync_id', '=', syncId)
        .execute();
      const { held: _held, ...rest } = stats;
      await trx
        .updateTable('syncs')
        .set({
          status: 'finished',
          finished_at: now,
          last_activity_at: now,
          result: toJson(result),
          stats: toJson({ ...rest, finish_requested: false }),
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', syncId)
        .where('status', '=', 'running')
        .execute();
      await dropTempTables(trx, deps.store.dialect);
    });
    deps.log.info({ tenantId, syncId, ms: Date.now() - started }, 'sync applied');
    if (deps.store.dialect === 'postgres' && written >= STATS_REFRESH_ROWS) {
      // After a bulk change the planner's statistics describe the tables as they were (autovacuum
      // catches up only later): a next finish then hash-joined every account of the tenant where
      // it should look rows up by key. The finish has committed; this only delays the next job.
      await sql`analyze app_accounts`.execute(db);
      await sql`analyze people`.execute(db);
    }
  } catch (error) {
    await dropTempTables(db, deps.store.dialect).catch(() => undefined);
    if (error instanceof Held) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('syncs')
          .set({
            stats: toJson({ ...stats, finish_requested: false, force: false, held: error.hold }),
            last_activity_at: nowIso(),
          })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', syncId)
          .execute();
        await recordEvents(trx, tenantId, [
          {
            type: 'sync.held',
            subjectType: 'sync',
            subjectId: syncId,
            payload: { sync_id: syncId, instance_id: instance.id, ...error.hold },
          },
        ]);
      });
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    deps.log.error({ tenantId, syncId, err: error }, 'sync apply failed; nothing was applied');
    await db.transaction().execute(async (trx) => {
      await dropKeysTable(trx, syncId);
      await trx
        .updateTable('syncs')
        .set({
          status: 'failed',
          finished_at: nowIso(),
          failure_reason: `apply failed, nothing was applied: ${reason.slice(0, 500)}`,
          stats: toJson({ ...stats, finish_requested: false }),
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', syncId)
        .execute();
      await recordEvents(trx, tenantId, [
        {
          type: 'sync.failed',
          subjectType: 'sync',
          subjectId: syncId,
          payload: { sync_id: syncId, instance_id: instance.id, reason },
        },
      ]);
    });
  }
}
