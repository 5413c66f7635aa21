import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { dialectHelpers } from '../../platform/db/dialect.js';
import { nowIso } from '../../platform/db/json.js';
import { stageUserKeys, unstagePageKeys } from './staged-keys.js';

/**
 * Stores one page of a running sync (its records already checked): the page's JSON in
 * `sync_pages`, replacing a page of the same number, and for a users snapshot page its records'
 * keys (staged-keys.ts), in the same transaction, so a page and its keys are replaced together.
 * The sync's row (last activity, keys counted) is written last: concurrent pages of one sync wait
 * for each other only there (PostgreSQL holds the row's lock until commit).
 */
export async function storePage(
  db: Db,
  dialect: Dialect,
  input: {
    tenantId: string;
    syncId: string;
    kind: 'snapshot' | 'fact';
    entity: string;
    page: number;
    data: unknown[];
  },
): Promise<void> {
  const now = nowIso();
  const data = dialectHelpers(dialect).pageData(JSON.stringify(input.data));
  const upsertPage = (ex: Executor) =>
    ex
      .insertInto('sync_pages')
      .values({
        tenant_id: input.tenantId,
        sync_id: input.syncId,
        kind: input.kind,
        entity: input.entity,
        page: input.page,
        record_count: input.data.length,
        received_at: now,
        data,
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'sync_id', 'kind', 'entity', 'page'])
          .doUpdateSet({ data, record_count: input.data.length, received_at: now }),
      )
      .execute();
  const touch = (ex: Executor, counts = { keys: 0, repeated: false }) =>
    ex
      .updateTable('syncs')
      .set((eb) => ({
        last_activity_at: now,
        staged_keys: eb('staged_keys', '+', counts.keys),
        ...(counts.repeated ? { repeated_ids: 1 } : {}),
      }))
      .where('tenant_id', '=', input.tenantId)
      .where('id', '=', input.syncId)
      .execute();
  if (input.kind !== 'snapshot' || input.entity !== 'users') {
    await upsertPage(db);
    await touch(db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    const page = { tenantId: input.tenantId, syncId: input.syncId, page: input.page };
    const unstaged = await unstagePageKeys(trx, dialect, page);
    await upsertPage(trx);
    const staged = await stageUserKeys(trx, dialect, { ...page, records: input.data });
    await touch(trx, { keys: staged.keys - unstaged, repeated: staged.repeated });
  });
}
