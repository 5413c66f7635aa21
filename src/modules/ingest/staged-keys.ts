import { type RawBuilder, sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';

/**
 * The table of a sync's staged keys, `staged_keys_<sync id>`: one table per sync, created with the
 * sync and dropped when it ends (dropping a table costs next to nothing; deleting a million rows
 * cost as much as a finish, and left PostgreSQL a million dead rows and statistics that no longer
 * describe the table). Every row still carries its tenant, which leads the key.
 */
export function keysTable(syncId: string): RawBuilder<unknown> {
  if (!/^syn_[0-9a-z]{26}$/.test(syncId)) throw new Error(`Not a sync id: ${syncId}`);
  return sql.id(`staged_keys_${syncId}`);
}

/**
 * Creates a sync's keys table (call in the transaction that creates the sync). The key is the
 * table's only index, in id order as a finish reads them, and ends with page and position so
 * every version of a record is kept (a re-sent page replaces exactly its own rows, and the last
 * page wins for an id sent twice). On SQLite the rows are the key's b-tree itself.
 */
export async function createKeysTable(trx: Executor, dialect: Dialect, syncId: string): Promise<void> {
  await sql`create table ${keysTable(syncId)} (tenant_id text not null, external_id text not null,
    page integer not null, pos integer not null, digest bigint not null,
    primary key (tenant_id, external_id, page, pos))${dialect === 'sqlite' ? sql` without rowid` : sql``}`.execute(
    trx,
  );
}

/** Drops a sync's keys table, if it has one. */
export async function dropKeysTable(db: Executor, syncId: string): Promise<void> {
  await sql`drop table if exists ${keysTable(syncId)}`.execute(db);
}

/**
 * The keys of the users snapshot an instance's accounts were last written from,
 * `instance_keys_<instance id>`: the keys table of its last applied users snapshot, kept. A finish
 * compares the new keys with these (two narrow tables in the same order) instead of reading the
 * instance's accounts, the widest rows there are. Only an apply writes an instance's accounts, so
 * the two agree: every account not inactive has its key here with the digest of the record it
 * was written from (an account deactivated for being absent is not here).
 */
export function instanceKeysTable(instanceId: string): RawBuilder<unknown> {
  if (!/^ins_[0-9a-z]{26}$/.test(instanceId)) throw new Error(`Not an instance id: ${instanceId}`);
  return sql.id(`instance_keys_${instanceId}`);
}

/** Whether the instance has the keys of a last applied users snapshot. */
export async function hasInstanceKeys(db: Executor, dialect: Dialect, instanceId: string): Promise<boolean> {
  const name = `instance_keys_${instanceId}`;
  const { rows } =
    dialect === 'postgres'
      ? await sql`select 1 from pg_class where relname = ${name} and relkind = 'r'
          and relnamespace = current_schema()::regnamespace`.execute(db)
      : await sql`select 1 from sqlite_master where type = 'table' and name = ${name}`.execute(db);
  return rows.length > 0;
}

/**
 * Keeps a sync's keys as its instance's (call in the transaction that applies its users
 * snapshot, after superseded keys are dropped): they replace the previous snapshot's.
 */
export async function keepAsInstanceKeys(trx: Executor, syncId: string, instanceId: string): Promise<void> {
  const kept = instanceKeysTable(instanceId);
  await sql`drop table if exists ${kept}`.execute(trx);
  await sql`alter table ${keysTable(syncId)} rename to ${kept}`.execute(trx);
}

/** Two 32-bit lanes of cyrb53, fed string by string. */
interface Lanes {
  h1: number;
  h2: number;
}

function feed(lanes: Lanes, text: string): void {
  let { h1, h2 } = lanes;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  lanes.h1 = h1;
  lanes.h2 = h2;
}

/** Feeds a JSON value: a tag per type, then its text (keys and values of objects in order). */
function feedValue(lanes: Lanes, value: unknown): void {
  if (value === null || value === undefined) {
    feed(lanes, '\u0000n');
  } else if (typeof value === 'string') {
    feed(lanes, '\u0000s');
    feed(lanes, value);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    feed(lanes, `\u0000${String(value)}`);
  } else if (Array.isArray(value)) {
    feed(lanes, '\u0000[');
    for (const item of value) feedValue(lanes, item);
    feed(lanes, '\u0000]');
  } else {
    feed(lanes, '\u0000{');
    const object = value as Record<string, unknown>;
    for (const key in object) {
      feed(lanes, '\u0000k');
      feed(lanes, key);
      feedValue(lanes, object[key]);
    }
    feed(lanes, '\u0000}');
  }
}

/**
 * A digest of a record as sent: cyrb53 (53 bits, an exact integer on both stores) over its fields
 * in order, without building its text (a page upload would otherwise make a string per record).
 * Equal digests mean the record is the one an account was last written from, so a finish compares
 * only the records whose digest differs (see migration 010). The same record sent with its fields
 * in another order digests differently: it is then compared field by field, which finds it equal.
 */
export function recordDigest(record: unknown): number {
  const lanes = { h1: 0xdeadbeef, h2: 0x41c6ce57 };
  feedValue(lanes, record);
  let { h1, h2 } = lanes;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
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
    digests.push(recordDigest(records[pos]));
  }
  return { ids, positions, digests };
}

/**
 * Stages the keys of a users snapshot page (call inside the page's transaction, after
 * unstagePageKeys when the page replaces one). Returns how many it staged, and whether an id
 * repeats another page's (the sync is then marked: its finish keeps only the last version, see
 * dropSupersededKeys). Records must already have passed the users schema.
 */
export async function stageUserKeys(
  trx: Executor,
  dialect: Dialect,
  input: {
    tenantId: string;
    syncId: string;
    page: number;
    records: readonly unknown[];
  },
): Promise<{ keys: number; repeated: boolean }> {
  const { tenantId, syncId, page } = input;
  const { ids, positions, digests } = pageKeys(input.records);
  if (ids.length === 0) return { keys: 0, repeated: false };
  const table = keysTable(syncId);
  let repeated: { rows: unknown[] };
  if (dialect === 'postgres') {
    await sql`insert into ${table} (tenant_id, external_id, page, pos, digest)
      select ${tenantId}, u.external_id, ${page}, u.pos, u.digest
      from unnest(${ids}::text[], ${positions}::integer[], ${digests}::bigint[]) as u(external_id, pos, digest)`.execute(
      trx,
    );
    // One index probe per id, as a correlated subquery the planner cannot turn into a join: its
    // statistics for this table are always stale (it fills up during a sync), and with them it
    // scanned every key of the sync for each id of the page.
    repeated = await sql`select 1 from unnest(${ids}::text[]) as u(id)
      where (select 1 from ${table} k where k.tenant_id = ${tenantId} and k.external_id = u.id
        and k.page <> ${page} limit 1) is not null
      limit 1`.execute(trx);
  } else {
    // One JSON parameter: binding thousands of values costs more than SQLite reading them back.
    const rows = JSON.stringify(ids.map((id, i) => [id, positions[i], digests[i]]));
    await sql`insert into ${table} (tenant_id, external_id, page, pos, digest)
      select ${tenantId}, value ->> 0, ${page}, value ->> 1, value ->> 2 from json_each(${rows})`.execute(
      trx,
    );
    repeated = await sql`select 1 from ${table} where tenant_id = ${tenantId}
      and external_id in (select value from json_each(${JSON.stringify(ids)})) and page <> ${page} limit 1`.execute(
      trx,
    );
  }
  return { keys: ids.length, repeated: repeated.rows.length > 0 };
}

/**
 * Deletes the keys a users page staged, before the page is replaced (call in the page's
 * transaction, before the new page is stored): they are found from the ids in the stored page.
 * Returns how many it deleted.
 */
export async function unstagePageKeys(
  trx: Executor,
  dialect: Dialect,
  input: { tenantId: string; syncId: string; page: number },
): Promise<number> {
  const { tenantId, syncId, page } = input;
  const table = keysTable(syncId);
  const storedPage = sql`p.tenant_id = ${tenantId} and p.sync_id = ${syncId} and p.kind = 'snapshot'
    and p.entity = 'users' and p.page = ${page}`;
  // By key, one probe per id of the stored page (the page number alone is no index's prefix).
  const deleted =
    dialect === 'postgres'
      ? await sql`delete from ${table} k using (select j.value ->> 'id' as id from sync_pages p
            cross join lateral jsonb_array_elements(p.data) j where ${storedPage}) u
          where k.tenant_id = ${tenantId} and k.external_id = u.id and k.page = ${page}`.execute(trx)
      : await sql`delete from ${table} where tenant_id = ${tenantId} and page = ${page}
          and external_id in (select cast(json_extract(j.value, '$.id') as text) from sync_pages p, json_each(p.data) j
            where ${storedPage})`.execute(trx);
  return Number(deleted.numAffectedRows ?? 0);
}

/**
 * For a sync whose ids repeat across pages: drops every key but the last (by page, then
 * position) of each id, so the last page wins. Run inside the finish transaction.
 */
export async function dropSupersededKeys(trx: Executor, tenantId: string, syncId: string): Promise<void> {
  const table = keysTable(syncId);
  await sql`delete from ${table} as d where d.tenant_id = ${tenantId} and exists (
      select 1 from ${table} k where k.tenant_id = d.tenant_id and k.external_id = d.external_id
        and (k.page > d.page or (k.page = d.page and k.pos > d.pos)))`.execute(trx);
}
