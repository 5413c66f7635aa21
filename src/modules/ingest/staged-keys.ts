import { hash } from 'node:crypto';
import { sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';

/**
 * A digest of a users record's fields: 52 bits of SHA-1 over them in a fixed order, an exact
 * integer on both stores. Equal digests mean the record is the one an account was last written
 * from, so a finish compares only the records whose digest differs (see migration 010).
 */
export function userRecordDigest(record: Record<string, unknown>): number {
  const fields = [
    record.email,
    record.name,
    record.first_name,
    record.last_name,
    record.status,
    record.role,
    record.license,
    record.department,
    record.designation,
    record.last_used_at,
    record.custom_fields,
  ].map((value) => value ?? null);
  return Number.parseInt(hash('sha1', JSON.stringify(fields), 'hex').slice(0, 13), 16);
}

/**
 * The staged keys, read through the page index: SQLite's planner otherwise walks the sync's whole
 * primary-key range to find one page (every upload of a million-record snapshot paid that).
 */
function byPage(dialect: Dialect) {
  return dialect === 'sqlite' ? sql`staged_keys indexed by staged_keys_page_ix` : sql`staged_keys`;
}

/** A page's keys: the last position of each id (a later record of the same id wins), with its digest. */
function pageKeys(records: readonly unknown[]): { ids: string[]; positions: number[]; digests: number[] } {
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
    digests.push(userRecordDigest(records[pos] as Record<string, unknown>));
  }
  return { ids, positions, digests };
}

/**
 * Stages the keys of a users snapshot page (call inside the page's transaction): the page's
 * previous keys are replaced, and a sync whose ids repeat another page is marked so its finish
 * keeps only the last page's version. Records must already have passed the users schema.
 */
export async function stageUserKeys(
  trx: Executor,
  dialect: Dialect,
  input: { tenantId: string; syncId: string; page: number; records: readonly unknown[] },
): Promise<void> {
  const { tenantId, syncId, page } = input;
  const { ids, positions, digests } = pageKeys(input.records);
  await sql`delete from ${byPage(dialect)} where tenant_id = ${tenantId} and sync_id = ${syncId} and page = ${page}`.execute(
    trx,
  );
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
  await sql`update syncs set staged_rows = 1${repeated.rows.length > 0 ? sql`, repeated_ids = 1` : sql``}
    where tenant_id = ${tenantId} and id = ${syncId}`.execute(trx);
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
 * Deletes up to `pages` pages' worth of a sync's staged keys, in one statement; returns whether
 * any were left to delete. Cleanup runs in such slices so other writers get their turn between.
 */
export async function deleteStagedKeys(
  db: Executor,
  dialect: Dialect,
  tenantId: string,
  syncId: string,
  pages: number,
): Promise<boolean> {
  const { rows } = await sql<{ page: number | null }>`select min(page) as page from staged_keys
    where tenant_id = ${tenantId} and sync_id = ${syncId}`.execute(db);
  const first = rows[0]?.page;
  if (first === null || first === undefined) return false;
  await sql`delete from ${byPage(dialect)} where tenant_id = ${tenantId} and sync_id = ${syncId}
    and page >= ${first} and page < ${Number(first) + pages}`.execute(db);
  return true;
}
