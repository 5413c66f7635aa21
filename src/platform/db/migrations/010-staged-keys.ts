import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * A finish compares a snapshot's users with the instance's accounts by key and digest, not field
 * by field: each uploaded users record leaves a row in `staged_keys` (its id, where it sits, and a
 * digest of the record as sent), and each account keeps the digest of the record it was last written
 * from (`app_accounts.digest`). Only records whose digest differs are read from the page JSON at
 * finish. The key is the only index (a second one, by page, doubled the cost of every upload):
 * rows are in id order, as a finish reads them. Every version of a record is kept (the key ends
 * with page and position), so re-sending a page replaces exactly that page's rows (found from the
 * ids of the page it replaces) and the last page still wins for an id sent twice.
 * `syncs.staged_keys` counts a sync's staged keys (until they are cleaned up), and
 * `syncs.repeated_ids` marks a sync where an id came in more than one page: without one, a finish
 * takes the count as the records received instead of counting a million keys.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('staged_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('sync_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('page', 'integer', (c) => c.notNull())
    .addColumn('pos', 'integer', (c) => c.notNull())
    .addColumn('digest', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('staged_keys_pk', ['tenant_id', 'sync_id', 'external_id', 'page', 'pos'])
    // SQLite: the rows are the key's b-tree itself (no rowid table beside it).
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .execute();
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
  }
  await db.schema
    .alterTable('syncs')
    .addColumn('staged_keys', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('syncs')
    .addColumn('repeated_ids', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Syncs still receiving pages across the upgrade: their users pages get keys too. Digest 0
  // matches no account (none has one yet), so each record is compared field by field; marked as
  // repeating so the finish deduplicates and counts them.
  const records =
    dialect === 'postgres'
      ? sql`select p.tenant_id, p.sync_id, j.rec ->> 'id', p.page, j.ord - 1, 0 from sync_pages p
          cross join lateral jsonb_array_elements(p.data) with ordinality as j(rec, ord)`
      : sql`select p.tenant_id, p.sync_id, cast(json_extract(j.value, '$.id') as text), p.page, j.key, 0
          from sync_pages p, json_each(p.data) j`;
  await sql`insert into staged_keys (tenant_id, sync_id, external_id, page, pos, digest) ${records}
    where p.kind = 'snapshot' and p.entity = 'users' and p.data is not null
      and exists (select 1 from syncs s where s.tenant_id = p.tenant_id and s.id = p.sync_id and s.status = 'running')`.execute(
    db,
  );
  await sql`update syncs set repeated_ids = 1, staged_keys = (select count(*) from staged_keys k
      where k.tenant_id = syncs.tenant_id and k.sync_id = syncs.id)
    where status = 'running'
      and exists (select 1 from staged_keys k where k.tenant_id = syncs.tenant_id and k.sync_id = syncs.id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('staged_keys').execute();
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
