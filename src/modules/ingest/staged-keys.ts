import { sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';

/**
 * A digest of a record as sent (its JSON text): cyrb53, 53 bits, an exact integer on both stores.
 * Equal digests mean the record is the one an account was last written from, so a finish compares
 * only the records whose digest differs (see migration 010). The same record sent with its fields
 * in another order digests differently: it is then compared field by field, which finds it equal.
 */
export function recordDigest(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A page's keys: the last position of each id (a later record of the same id wins), with its digest. */
function pageKeys(
  records: readonly unknown[],
  texts: readonly string[],
): { ids: string[]; positions: number[]; digests: number[] } {
  const last = new Map<string, number>();
  records.forEach((record, pos) => {
    last.set(String((record as { id: unknown }).id), pos);
  });
  const ids: string[] = [];
  const positions: number[] = [];
  const digests: number[] = [];
  for (const [id, pos] of last) {
    ids.push(id);
    positions.push(pos);
    digests.push(recordDigest(texts[pos] ?? ''));
  }
  return { ids, positions, digests };
}

/**
 * Stages the keys of a users snapshot page (call inside the page's transaction, after
 * unstagePageKeys when the page replaces one), counting them on the sync, and marks a sync whose
 * ids repeat another page so its finish keeps only the last version (dropSupersededKeys). Records
 * must already have passed the users schema.
 */
export async function stageUserKeys(
  trx: Executor,
  dialect: Dialect,
  input: {
    tenantId: string;
    syncId: string;
    page: number;
    records: readonly unknown[];
    /** Each record's JSON text, as stored in the page. */
    texts: readonly string[];
  },
): Promise<void> {
  const { tenantId, syncId, page } = input;
  const { ids, positions, digests } = pageKeys(input.records, input.texts);
  if (ids.length === 0) return;
  let repeated: { rows: unknown[] };
  if (dialect === 'postgres') {
    await sql`insert into staged_keys (tenant_id, sync_id, external_id, page, pos, digest)
      select ${tenantId}, ${syncId}, u.external_id, ${page}, u.pos, u.digest
      from unnest(${ids}::text[], ${positions}::integer[], ${digests}::bigint[]) as u(external_id, pos, digest)`.execute(
      trx,
    );
    repeated = await sql`select 1 from staged_keys where tenant_id = ${tenantId} and sync_id = ${syncId}
      and external_id = any(${ids}::text[]) and page <> ${page} limit 1`.execute(trx);
  } else {
    // One JSON parameter: binding thousands of values costs more than SQLite reading them back.
    const rows = JSON.stringify(ids.map((id, i) => [id, positions[i], digests[i]]));
    await sql`insert into staged_keys (tenant_id, sync_id, external_id, page, pos, digest)
      select ${tenantId}, ${syncId}, value ->> 0, ${page}, value ->> 1, value ->> 2 from json_each(${rows})`.execute(
      trx,
    );
    repeated = await sql`select 1 from staged_keys where tenant_id = ${tenantId} and sync_id = ${syncId}
      and external_id in (select value from json_each(${JSON.stringify(ids)})) and page <> ${page} limit 1`.execute(
      trx,
    );
  }
  await sql`update syncs set staged_keys = staged_keys + ${ids.length}${repeated.rows.length > 0 ? sql`, repeated_ids = 1` : sql``}
    where tenant_id = ${tenantId} and id = ${syncId}`.execute(trx);
}

/**
 * Deletes the keys a users page staged, before the page is replaced (call in the page's
 * transaction, before the new page is stored): they are found from the ids in the stored page,
 * and no longer counted on the sync.
 */
export async function unstagePageKeys(
  trx: Executor,
  dialect: Dialect,
  input: { tenantId: string; syncId: string; page: number },
): Promise<void> {
  const { tenantId, syncId, page } = input;
  const ids =
    dialect === 'postgres'
      ? sql`select j.value ->> 'id' from sync_pages p cross join lateral jsonb_array_elements(p.data) j`
      : sql`select cast(json_extract(j.value, '$.id') as text) from sync_pages p, json_each(p.data) j`;
  const deleted =
    await sql`delete from staged_keys where tenant_id = ${tenantId} and sync_id = ${syncId} and page = ${page}
    and external_id in (${ids} where p.tenant_id = ${tenantId} and p.sync_id = ${syncId} and p.kind = 'snapshot'
      and p.entity = 'users' and p.page = ${page})`.execute(trx);
  const count = Number(deleted.numAffectedRows ?? 0);
  if (count > 0)
    await sql`update syncs set staged_keys = staged_keys - ${count} where tenant_id = ${tenantId} and id = ${syncId}`.execute(
      trx,
    );
}

/**
 * For a sync whose ids repeat across pages: drops every key but the last (by page, then
 * position) of each id, so the last page wins. Run inside the finish transaction.
 */
export async function dropSupersededKeys(trx: Executor, tenantId: string, syncId: string): Promise<void> {
  await sql`delete from staged_keys where tenant_id = ${tenantId} and sync_id = ${syncId} and exists (
      select 1 from staged_keys k where k.tenant_id = staged_keys.tenant_id and k.sync_id = staged_keys.sync_id
        and k.external_id = staged_keys.external_id
        and (k.page > staged_keys.page or (k.page = staged_keys.page and k.pos > staged_keys.pos)))`.execute(
    trx,
  );
}

/**
 * Deletes up to `count` of a sync's staged keys, the first in key order (a contiguous run of the
 * key's b-tree), in one statement; returns whether any are left. Cleanup runs in such slices so
 * other writers get their turn between them.
 */
export async function deleteStagedKeys(
  db: Executor,
  tenantId: string,
  syncId: string,
  count: number,
): Promise<boolean> {
  const { rows } = await sql<{ external_id: string }>`select external_id from staged_keys
    where tenant_id = ${tenantId} and sync_id = ${syncId} order by external_id limit 1 offset ${count - 1}`.execute(
    db,
  );
  const last = rows[0]?.external_id;
  await sql`delete from staged_keys where tenant_id = ${tenantId} and sync_id = ${syncId}
    ${last === undefined ? sql`` : sql`and external_id <= ${last}`}`.execute(db);
  return last !== undefined;
}
