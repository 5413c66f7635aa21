import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * A finish compares a snapshot's users with the instance's accounts by key and digest, not field
 * by field: each uploaded users record leaves a row in its sync's keys table (`staged_keys_<sync
 * id>`, created with the sync and dropped when it ends: see staged-keys.ts) with its id, where it
 * sits, and a digest of the record as sent; each account keeps the digest of the record it was
 * last written from (`app_accounts.digest`). Only records whose digest differs are read from the
 * page JSON at finish. `syncs.staged_keys` counts a sync's keys, and `syncs.repeated_ids` marks a
 * sync where an id came in more than one page: without one, a finish takes the count as the
 * records received instead of counting a million keys.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  await db.schema.alterTable('app_accounts').addColumn('digest', 'bigint').execute();
  // Apps' user counts group each app's accounts by person: in this index's order, read from it
  // alone (the (app, status) index it replaces made a million-account app sort its rows).
  await sql`create index app_accounts_figures_ix
    on app_accounts (tenant_id, app_id, (coalesce(person_id, email_lc, id)), status)`.execute(db);
  await db.schema.dropIndex('app_accounts_tenant_id_app_id_status_ix').execute();
  if (dialect === 'postgres') {
    // Room on each page for a row's next version: a finish rewriting an account's role, license or
    // last use then updates it in place (HOT), without touching its four indexes (60 µs → ~10 µs).
    await sql`alter table app_accounts set (fillfactor = 85)`.execute(db);
    // Staged pages are written once and read once: lz4 (where the server has it) compresses them
    // several times faster than the default pglz.
    const { rows } = await sql<{ lz4: boolean }>`select coalesce(bool_or('lz4' = any(enumvals)), false) as lz4
      from pg_settings where name = 'default_toast_compression'`.execute(db);
    if (rows[0]?.lz4) await sql`alter table sync_pages alter column data set compression lz4`.execute(db);
  }
  await db.schema
    .alterTable('syncs')
    .addColumn('staged_keys', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('syncs')
    .addColumn('repeated_ids', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Syncs still receiving pages across the upgrade get their keys table, filled from their users
  // pages. Digest 0 matches no account (none has one yet), so each record is compared field by
  // field; marked as repeating, so the finish deduplicates and counts them.
  const running = await sql<{ tenant_id: string; id: string }>`select tenant_id, id from syncs
    where status = 'running'`.execute(db);
  for (const sync of running.rows) {
    const table = sql.id(`staged_keys_${sync.id}`);
    await sql`create table ${table} (tenant_id text not null, external_id text not null,
      page integer not null, pos integer not null, digest bigint not null,
      primary key (tenant_id, external_id, page, pos))${dialect === 'sqlite' ? sql` without rowid` : sql``}`.execute(
      db,
    );
    const records =
      dialect === 'postgres'
        ? sql`select p.tenant_id, j.rec ->> 'id', p.page, j.ord - 1, 0 from sync_pages p
            cross join lateral jsonb_array_elements(p.data) with ordinality as j(rec, ord)`
        : sql`select p.tenant_id, cast(json_extract(j.value, '$.id') as text), p.page, j.key, 0
            from sync_pages p, json_each(p.data) j`;
    const inserted = await sql`insert into ${table} (tenant_id, external_id, page, pos, digest) ${records}
      where p.tenant_id = ${sync.tenant_id} and p.sync_id = ${sync.id} and p.kind = 'snapshot' and p.entity = 'users'
        and p.data is not null`.execute(db);
    await sql`update syncs set repeated_ids = 1, staged_keys = ${Number(inserted.numAffectedRows ?? 0)}
      where tenant_id = ${sync.tenant_id} and id = ${sync.id}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('app_accounts_tenant_id_app_id_status_ix')
    .on('app_accounts')
    .columns(['tenant_id', 'app_id', 'status'])
    .execute();
  await db.schema.dropIndex('app_accounts_figures_ix').execute();
  await db.schema.alterTable('app_accounts').dropColumn('digest').execute();
  await db.schema.alterTable('syncs').dropColumn('staged_keys').execute();
  await db.schema.alterTable('syncs').dropColumn('repeated_ids').execute();
}
