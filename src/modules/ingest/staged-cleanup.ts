import type { Db } from '../../platform/db/db.js';
import type { JobQueue } from '../../platform/jobs/jobs.js';
import { deleteStagedKeys } from './staged-keys.js';

export const CLEANUP_JOB = 'sync.cleanup';
/** Keys one delete statement takes. */
const KEYS_PER_SLICE = 25_000;
/** Slices one job run deletes before it queues the rest, so other jobs get their turn. */
const SLICES_PER_RUN = 8;

export interface StagedCleanup {
  /** Queues the cleanup of a sync's staged keys once the sync is no longer running. */
  afterSync(tenantId: string, syncId: string): Promise<void>;
  /** Queues the cleanup of every ended sync that still has staged keys (after a crash, say). */
  sweep(): Promise<number>;
}

/**
 * Staged keys serve a sync until it ends (finished, failed, cancelled, expired); a held sync keeps
 * them for its approval. Deleting a million of them inside the finish would double its time, so a
 * job deletes them afterwards, a slice at a time.
 */
export function createStagedCleanup(deps: { db: Db; queue: JobQueue }): StagedCleanup {
  const { db, queue } = deps;

  async function endedWithKeys(tenantId: string, syncId: string): Promise<boolean> {
    const row = await db
      .selectFrom('syncs')
      .select(['status', 'staged_keys'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', syncId)
      .executeTakeFirst();
    return row !== undefined && row.status !== 'running' && row.staged_keys > 0;
  }

  queue.register<{ syncId: string }>({
    name: CLEANUP_JOB,
    retryLimit: 5,
    handler: async ({ syncId }, { tenantId }) => {
      if (!(await endedWithKeys(tenantId, syncId))) return;
      for (let slice = 0; slice < SLICES_PER_RUN; slice++) {
        if (!(await deleteStagedKeys(db, tenantId, syncId, KEYS_PER_SLICE))) {
          await db
            .updateTable('syncs')
            .set({ staged_keys: 0 })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', syncId)
            .execute();
          return;
        }
      }
      // More to delete: the rest as a new job, queued behind whatever is waiting.
      await queue.enqueue(tenantId, CLEANUP_JOB, { syncId });
    },
  });

  return {
    async afterSync(tenantId, syncId) {
      if (await endedWithKeys(tenantId, syncId))
        await queue.enqueue(tenantId, CLEANUP_JOB, { syncId }, { singletonKey: syncId });
    },
    async sweep() {
      const rows = await db
        .selectFrom('syncs')
        .select(['tenant_id', 'id'])
        .where('staged_keys', '>', 0)
        .where('status', '<>', 'running')
        .execute();
      for (const row of rows)
        await queue.enqueue(row.tenant_id, CLEANUP_JOB, { syncId: row.id }, { singletonKey: row.id });
      return rows.length;
    },
  };
}
