import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * The management face: per-app derived figures (kept by refreshAppFigures, so a page of apps
 * sorted by annual cost reads 2k rows instead of aggregating a million accounts per request), and
 * indexes for the users' app counts and the audit log sorted by time.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createTable('app_figures')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('active_users', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_users', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_licenses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('annual_cost_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_figures_pk', ['tenant_id', 'app_id'])
    .execute();
  await db.schema
    .createIndex('app_figures_tenant_id_annual_cost_minor_ix')
    .on('app_figures')
    .columns(['tenant_id', 'annual_cost_minor', 'app_id'])
    .execute();
  // A page of /users counts each person's active apps: a covering lookup per person.
  await db.schema
    .createIndex('app_accounts_tenant_id_person_id_status_app_id_ix')
    .on('app_accounts')
    .columns(['tenant_id', 'person_id', 'status', 'app_id'])
    .execute();
  await db.schema
    .createIndex('audit_entries_tenant_id_created_at_ix')
    .on('audit_entries')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_entries_tenant_id_created_at_ix').execute();
  await db.schema.dropIndex('app_accounts_tenant_id_person_id_status_app_id_ix').execute();
  await db.schema.dropTable('app_figures').execute();
}
