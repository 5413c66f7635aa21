import type { Db, Dialect, Executor } from '../../platform/db/db.js';
import { dialectHelpers } from '../../platform/db/dialect.js';
import { nowIso } from '../../platform/db/json.js';
import { stageUserKeys, unstagePageKeys } from './staged-keys.js';

/** Pages of one entity of a running sync, their records already checked. */
export interface PagesInput {
  tenantId: string;
  syncId: string;
  kind: 'snapshot' | 'fact';
  entity: string;
  pages: readonly { page: number; data: readonly unknown[] }[];
}

/**
 * Stores pages of a running sync (their records already checked), in one transaction: each page's
 * JSON in `sync_pages`, replacing a page of the same number, and for a users snapshot page its
 * records' keys (staged-keys.ts), so a page and its keys are replaced together. The sync's row
 * (last activity, keys counted) is written last: concurrent uploads to one sync wait for each other
 * only there (PostgreSQL holds the row's lock until commit). An upload of the sync API stores one
 * page; a file import stores several at once: each commit of a users page writes every b-tree page
 * its keys landed on, and keys in no particular order land on most of them (SQLite: 100 pages of
 * 1,000 emails committed one by one spent 2.5 s in their commits).
 */
export async function storePages(db: Db, dialect: Dialect, input: PagesInput): Promise<void> {
  const now = nowIso();
  const { tenantId, syncId } = input;
  const h = dialectHelpers(dialect);
  const upsertPage = (ex: Executor, page: number, records: readonly unknown[]) => {
    const data = h.pageData(JSON.stringify(records));
    return ex
      .insertInto('sync_pages')
      .values({
        tenant_id: tenantId,
        sync_id: syncId,
        kind: input.kind,
        entity: input.entity,
        page,
        record_count: records.length,
        received_at: now,
        data,
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'sync_id', 'kind', 'entity', 'page'])
          .doUpdateSet({ data, record_count: records.length, received_at: now }),
      )
      .execute();
  };
  const touch = (ex: Executor, counts = { keys: 0, repeated: false }) =>
    ex
      .updateTable('syncs')
      .set((eb) => ({
        last_activity_at: now,
        staged_keys: eb('staged_keys', '+', counts.keys),
        ...(counts.repeated ? { repeated_ids: 1 } : {}),
      }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', syncId)
      .execute();
  const users = input.kind === 'snapshot' && input.entity === 'users';
  if (!users && input.pages.length === 1) {
    const [only] = input.pages;
    if (only) await upsertPage(db, only.page, only.data);
    await touch(db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    const counts = { keys: 0, repeated: false };
    for (const { page, data } of input.pages) {
      if (!users) {
        await upsertPage(trx, page, data);
        continue;
      }
      const at = { tenantId, syncId, page };
      const unstaged = await unstagePageKeys(trx, dialect, at);
      await upsertPage(trx, page, data);
      const staged = await stageUserKeys(trx, dialect, { ...at, records: data });
      counts.keys += staged.keys - unstaged;
      counts.repeated ||= staged.repeated;
    }
    await touch(trx, counts);
  });
}
