import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * A finish compares a snapshot's users with the instance's accounts by key and digest, not field
 * by field: each uploaded users record leaves a row in `staged_keys` (its id, where it sits, and a
 * digest of its fields), and each account keeps the digest of the record it was last written
 * from (`app_accounts.digest`). Only records whose digest differs are read from the page JSON at
 * finish. Every version of a record is kept (the key ends with page and position), so re-sending
 * a page replaces exactly that page's rows and the last page still wins for an id sent twice;
 * `syncs.repeated_ids` marks syncs where that happened, `syncs.staged_rows` syncs whose staged
 * keys have not been cleaned up yet.
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
  await db.schema
    .createIndex('staged_keys_page_ix')
    .on('staged_keys')
    .columns(['tenant_id', 'sync_id', 'page'])
    .execute();
  await db.schema.alterTable('app_accounts').addColumn('digest', 'bigint').execute();
  // Apps' user counts group each app's accounts by person: in this index's order, read from it
  // alone (the (app, status) index it replaces made a million-account app sort its rows).
  await sql`create index app_accounts_figures_ix
    on app_accounts (tenant_id, app_id, (coalesce(person_id, email_lc, id)), status)`.execute(db);
  await db.schema.dropIndex('app_accounts_tenant_id_app_id_status_ix').execute();
  await db.schema
    .alterTable('syncs')
    .addColumn('repeated_ids', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('syncs')
    .addColumn('staged_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
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
  await db.schema.alterTable('syncs').dropColumn('repeated_ids').execute();
  await db.schema.alterTable('syncs').dropColumn('staged_rows').execute();
}
