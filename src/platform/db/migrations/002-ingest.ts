import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * Push-sync ingestion: staged page data (raw JSON text, one row per page: uploads stay one insert
 * per page), per-source freshness, and app roles pushed by instances.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema.alterTable('sync_pages').addColumn('data', 'text').execute();
  await db.schema
    .createTable('freshness')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('complete_as_of', 'text', (c) => c.notNull())
    .addColumn('sync_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('freshness_pk', ['tenant_id', 'instance_id', 'entity'])
    .execute();
  await db.schema
    .createTable('app_roles')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_roles_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('app_roles_instance_external_uq', ['tenant_id', 'instance_id', 'external_id'])
    .execute();
  // Idempotent facts and snapshot upserts key on (instance, external id).
  await db.schema
    .createIndex('activities_instance_external_uq')
    .unique()
    .on('activities')
    .columns(['tenant_id', 'instance_id', 'external_id'])
    .execute();
  await db.schema
    .createIndex('contracts_external_ix')
    .on('contracts')
    .columns(['tenant_id', 'external_id'])
    .execute();
}
