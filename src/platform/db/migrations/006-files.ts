import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * Files and parsings: a file row exists from the moment a signed upload URL is handed out
 * (`status` pending → stored, `expires_at` bounds the URL, single use); parsings hold the columns
 * detected in a CSV/XLSX file and the outcome of importing it.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = dialect === 'postgres' ? 'jsonb' : 'text';
  await db.schema
    .alterTable('files')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('stored'))
    .execute();
  await db.schema.alterTable('files').addColumn('expires_at', 'text').execute();
  await db.schema
    .createTable('parsings')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('columns', json as 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('mappings', json as 'text')
    .addColumn('sync_id', 'text')
    .addColumn('result', json as 'text')
    .addColumn('failure_reason', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('parsings_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema
    .createIndex('parsings_tenant_id_file_id_ix')
    .on('parsings')
    .columns(['tenant_id', 'file_id'])
    .execute();
}
