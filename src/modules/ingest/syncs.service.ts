import type { Db, Store } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import type { JobQueue } from '../../platform/jobs/jobs.js';
import type { Logger } from '../../platform/log/log.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { recordEvents } from '../events/events.service.js';
import { getInstanceRow } from '../instances/instances.service.js';
import { applySync } from './apply-sync.js';
import { createApplyWorkers } from './apply-worker.js';
import { requireValidRecords } from './records.schema.js';
import { createKeysTable, dropKeysTable } from './staged-keys.js';
import { storePages } from './store-page.js';
import { loadSync, toSync } from './sync-view.js';
import type { IngestSettings, PagesTarget, Sync, SyncStats } from './syncs.types.js';

export const FINISH_JOB = 'sync.finish';

/** Push-sync sessions: one running sync per instance, staged pages, finish through the job queue. */
export function createSyncsService(deps: {
  store: Store;
  queue: JobQueue;
  log: Logger;
  settings: IngestSettings;
  /** Embedded mode: the SQLite data directory, so the apply runs in a worker thread. */
  sqliteWorker?: { dataDir: string; logLevel: string };
}) {
  const db: Db = deps.store.db;
  const workers = deps.sqliteWorker ? createApplyWorkers(deps.sqliteWorker) : undefined;

  deps.queue.register<{ syncId: string }>({
    name: FINISH_JOB,
    retryLimit: 3,
    backoffMs: 5000,
    handler: (payload, context) =>
      workers
        ? workers.run({ settings: deps.settings, tenantId: context.tenantId, syncId: payload.syncId })
        : applySync(deps, context.tenantId, payload.syncId),
  });

  async function requireRunning(actor: Actor, instanceId: string, syncId: string) {
    const row = await loadSync(db, actor.tenantId, instanceId, syncId);
    if (row.status !== 'running')
      throw new AppError('bad_request', `Sync ${syncId} is ${row.status}; it accepts no more data`);
    return row;
  }

  /**
   * Refuses new data, a finish or an approval for a sync whose instance was made inactive after
   * the sync started (the same refusal as creating a sync there); the sync can still be cancelled.
   */
  async function requireActiveInstance(actor: Actor, instanceId: string, syncId: string): Promise<void> {
    const instance = await getInstanceRow(db, actor.tenantId, instanceId);
    if (instance.status !== 'active')
      throw new AppError(
        'bad_request',
        `Instance ${instanceId} is inactive; activate it before pushing data, or cancel sync ${syncId}`,
      );
  }

  async function waitForApply(actor: Actor, instanceId: string, syncId: string): Promise<Sync> {
    const deadline = Date.now() + deps.settings.finishWaitMs;
    for (;;) {
      const row = await loadSync(db, actor.tenantId, instanceId, syncId);
      const stats = parseJson<SyncStats>(row.stats, {});
      if (row.status === 'running' && stats.held && !stats.finish_requested) {
        throw new AppError(
          'mass_deactivation_guard',
          `Finish held: it would deactivate ${stats.held.deactivating} of ${stats.held.active_before} active accounts (${Math.round(stats.held.share * 100)}% > ${Math.round(stats.held.threshold * 100)}%). Staged data is kept; an admin can approve (POST /api/syncs/${syncId}/approve) or finish with ?force=true.`,
          { ...stats.held, sync_id: syncId },
        );
      }
      if (row.status !== 'running' || Date.now() >= deadline) return toSync(db, row);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Marks the sync's finish requested and audits it in one transaction, then queues the apply
   * (the queue may be another connection: PostgreSQL's pg-boss).
   */
  async function enqueueFinish(
    actor: Actor,
    row: Awaited<ReturnType<typeof loadSync>>,
    changes: SyncStats,
    audit: Parameters<typeof recordAudit>[2],
  ): Promise<void> {
    const stats = parseJson<SyncStats>(row.stats, {});
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('syncs')
        .set({ stats: toJson({ ...stats, ...changes, finish_requested: true }), last_activity_at: nowIso() })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', row.id)
        .execute();
      await recordAudit(trx, actor, audit);
    });
    await deps.queue.enqueue(actor.tenantId, FINISH_JOB, { syncId: row.id }, { singletonKey: row.id });
  }

  /**
   * Stores pages of one entity of a running sync, together (one transaction): what the sync API's
   * page upload does for one page, and in-process callers (a file import) for several.
   */
  async function uploadPages(
    actor: Actor,
    input: PagesTarget & {
      pages: readonly { page: number; data: unknown[] }[];
      /**
       * Set by in-process callers that already checked every record against the entity schema
       * (file imports check row by row to report each bad row): the pages are not checked twice.
       */
      checked?: true;
    },
  ): Promise<void> {
    requireAction(actor, 'sync:write');
    const row = await requireRunning(actor, input.instanceId, input.syncId);
    if (parseJson<SyncStats>(row.stats, {}).finish_requested) {
      throw new AppError('bad_request', `Sync ${input.syncId} is finishing; it accepts no more data`);
    }
    await requireActiveInstance(actor, input.instanceId, input.syncId);
    for (const { page, data } of input.checked ? [] : input.pages)
      requireValidRecords(
        input.entity,
        data,
        input.pages.length > 1 ? `this upload (page ${page})` : 'this page',
      );
    await storePages(db, deps.store.dialect, {
      tenantId: actor.tenantId,
      syncId: input.syncId,
      kind: input.kind,
      entity: input.entity,
      pages: input.pages,
    });
  }

  return {
    /** Waits for the apply workers to exit (call after the job queue stopped, before the store closes). */
    close: (): Promise<void> => workers?.close() ?? Promise.resolve(),

    /** Starts a sync; 409 naming the running one when the instance already has one. */
    async create(actor: Actor, instanceId: string): Promise<Sync> {
      requireAction(actor, 'sync:write');
      const id = await db.transaction().execute(async (trx) => {
        const instance = await getInstanceRow(trx, actor.tenantId, instanceId);
        if (instance.status !== 'active')
          throw new AppError(
            'bad_request',
            `Instance ${instanceId} is inactive; activate it before pushing data`,
          );
        const running = await trx
          .selectFrom('syncs')
          .select('id')
          .where('tenant_id', '=', actor.tenantId)
          .where('instance_id', '=', instanceId)
          .where('status', '=', 'running')
          .executeTakeFirst();
        if (running) {
          throw new AppError(
            'conflict',
            `A sync is already in progress for this instance: ${running.id}. Finish it or wait until it ends.`,
            { running_sync_id: running.id },
          );
        }
        const now = nowIso();
        const syncId = newId('syn');
        await trx
          .insertInto('syncs')
          .values({
            tenant_id: actor.tenantId,
            id: syncId,
            instance_id: instanceId,
            status: 'running',
            started_at: now,
            finished_at: null,
            last_activity_at: now,
            failure_reason: null,
            stats: toJson({}),
            result: toJson({}),
            created_by: actor.id,
          })
          .execute();
        await createKeysTable(trx, deps.store.dialect, syncId);
        await recordAudit(trx, actor, {
          action: 'sync.created',
          targetType: 'sync',
          targetId: syncId,
          details: { instanceId },
        });
        return syncId;
      });
      // Its finish will want an apply worker: one loads meanwhile (~0.4 s of modules).
      workers?.warm();
      return toSync(db, await loadSync(db, actor.tenantId, instanceId, id));
    },

    async get(actor: Actor, instanceId: string, syncId: string): Promise<Sync> {
      requireAction(actor, 'sync:read');
      return toSync(db, await loadSync(db, actor.tenantId, instanceId, syncId));
    },

    /**
     * Stages one page. Records are validated against the entity's schema first: any bad record →
     * 422 listing each bad record's index, field and problem, and nothing of the page is stored.
     * Re-sending a page number replaces that page.
     */
    async uploadPage(actor: Actor, input: PagesTarget & { page: number; data: unknown[] }): Promise<void> {
      const { page, data, ...rest } = input;
      await uploadPages(actor, { ...rest, pages: [{ page, data }] });
    },

    uploadPages,

    /**
     * Finishes a sync: the apply runs as a durable job off the request path; the request waits a
     * bounded time and answers with the sync (finished, failed, or still applying). A held finish
     * answers 409 `mass_deactivation_guard`. `force` needs `sync:approve`.
     */
    async finish(
      actor: Actor,
      instanceId: string,
      syncId: string,
      options: { force?: boolean; wait?: boolean } = {},
    ): Promise<Sync> {
      requireAction(actor, 'sync:write');
      if (options.force) requireAction(actor, 'sync:approve');
      const row = await requireRunning(actor, instanceId, syncId);
      const stats = parseJson<SyncStats>(row.stats, {});
      if (!stats.finish_requested) {
        await requireActiveInstance(actor, instanceId, syncId);
        await enqueueFinish(actor, row, options.force ? { force: true, approved_by: actor.id } : {}, {
          action: options.force ? 'sync.force_finished' : 'sync.finish_requested',
          targetType: 'sync',
          targetId: syncId,
          details: { instanceId },
        });
      }
      // Background callers (file imports) must not hold a job runner while the apply job waits.
      if (options.wait === false) return toSync(db, await loadSync(db, actor.tenantId, instanceId, syncId));
      return waitForApply(actor, instanceId, syncId);
    },

    /** Approves a sync held by the guard, and applies it. */
    async approve(actor: Actor, syncId: string): Promise<Sync> {
      requireAction(actor, 'sync:approve');
      const found = await db
        .selectFrom('syncs')
        .select('instance_id')
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', syncId)
        .executeTakeFirst();
      if (!found) throw notFound('Sync', syncId);
      const row = await requireRunning(actor, found.instance_id, syncId);
      const stats = parseJson<SyncStats>(row.stats, {});
      if (!stats.held) throw new AppError('bad_request', `Sync ${syncId} is not held; nothing to approve`);
      await requireActiveInstance(actor, found.instance_id, syncId);
      await enqueueFinish(
        actor,
        row,
        { approved_by: actor.id },
        { action: 'sync.approved', targetType: 'sync', targetId: syncId, details: { ...stats.held } },
      );
      return waitForApply(actor, found.instance_id, syncId);
    },

    /** Cancels a running sync: it fails, staged data is dropped, the instance is free again. */
    async cancel(actor: Actor, syncId: string): Promise<Sync> {
      requireAction(actor, 'sync:approve');
      const found = await db
        .selectFrom('syncs')
        .selectAll()
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', syncId)
        .executeTakeFirst();
      if (!found) throw notFound('Sync', syncId);
      if (found.status !== 'running')
        throw new AppError(
          'bad_request',
          `Sync ${syncId} is ${found.status}; only running syncs can be cancelled`,
        );
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('syncs')
          .set({ status: 'failed', finished_at: nowIso(), failure_reason: `cancelled by ${actor.name}` })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', syncId)
          .where('status', '=', 'running')
          .execute();
        await trx
          .updateTable('sync_pages')
          .set({ data: null })
          .where('tenant_id', '=', actor.tenantId)
          .where('sync_id', '=', syncId)
          .execute();
        await dropKeysTable(trx, syncId);
        await recordEvents(trx, actor.tenantId, [
          {
            type: 'sync.failed',
            subjectType: 'sync',
            subjectId: syncId,
            payload: { sync_id: syncId, instance_id: found.instance_id, reason: 'cancelled' },
          },
        ]);
        await recordAudit(trx, actor, {
          action: 'sync.cancelled',
          targetType: 'sync',
          targetId: syncId,
          details: { instanceId: found.instance_id },
        });
      });
      return toSync(db, await loadSync(db, actor.tenantId, found.instance_id, syncId));
    },

    /** Fails running syncs idle longer than the limit (all tenants), freeing their instances. */
    async expireIdle(): Promise<number> {
      const cutoff = new Date(Date.now() - deps.settings.idleMs).toISOString();
      const stale = await db
        .selectFrom('syncs')
        .select(['tenant_id', 'id', 'instance_id', 'stats'])
        .where('status', '=', 'running')
        .where('last_activity_at', '<', cutoff)
        .execute();
      let expired = 0;
      for (const s of stale) {
        if (parseJson<SyncStats>(s.stats, {}).finish_requested) continue;
        await db.transaction().execute(async (trx) => {
          const r = await trx
            .updateTable('syncs')
            .set({
              status: 'failed',
              finished_at: nowIso(),
              failure_reason: `idle for more than ${Math.round(deps.settings.idleMs / 60000)} minutes`,
            })
            .where('tenant_id', '=', s.tenant_id)
            .where('id', '=', s.id)
            .where('status', '=', 'running')
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) === 0) return;
          await trx
            .updateTable('sync_pages')
            .set({ data: null })
            .where('tenant_id', '=', s.tenant_id)
            .where('sync_id', '=', s.id)
            .execute();
          await dropKeysTable(trx, s.id);
          await recordEvents(trx, s.tenant_id, [
            {
              type: 'sync.failed',
              subjectType: 'sync',
              subjectId: s.id,
              payload: { sync_id: s.id, instance_id: s.instance_id, reason: 'idle' },
            },
          ]);
          expired++;
        });
      }
      return expired;
    },

    /**
     * Freshness per source (instance) and entity: the time its data is complete as of, and the
     * table-level indicator, the minimum over sources.
     */
    async freshness(actor: Actor, entity?: string) {
      requireAction(actor, 'sync:read');
      let query = db
        .selectFrom('freshness as f')
        .innerJoin('instances as i', (j) =>
          j.onRef('i.tenant_id', '=', 'f.tenant_id').onRef('i.id', '=', 'f.instance_id'),
        )
        .select(['f.instance_id', 'i.name as instance_name', 'f.entity', 'f.complete_as_of', 'f.sync_id'])
        .where('f.tenant_id', '=', actor.tenantId);
      if (entity) query = query.where('f.entity', '=', entity);
      const sources = await query.orderBy('f.entity').orderBy('f.instance_id').execute();
      const tables: Record<string, { complete_as_of: string; sources: number }> = {};
      for (const s of sources) {
        const t = tables[s.entity];
        if (!t) tables[s.entity] = { complete_as_of: s.complete_as_of, sources: 1 };
        else {
          t.sources++;
          if (s.complete_as_of < t.complete_as_of) t.complete_as_of = s.complete_as_of;
        }
      }
      return { tables, sources };
    },
  };
}

export type SyncsService = ReturnType<typeof createSyncsService>;
