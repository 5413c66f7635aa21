import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * SCIM provisioning: a person's multi-valued contact attributes (emails, phone numbers) as rows, so
 * filters like `emails[type eq "work" and value co "@x.com"]` compile to an indexed EXISTS; and a
 * `deleted_at` mark for people deleted through SCIM (kept for history, hidden from SCIM).
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createTable('person_values')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('attr', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('type', 'text')
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('value_lc', 'text', (c) => c.notNull())
    .addColumn('display', 'text')
    .addColumn('is_primary', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('person_values_pk', ['tenant_id', 'person_id', 'attr', 'position'])
    .execute();
  await db.schema
    .createIndex('person_values_tenant_id_attr_value_lc_ix')
    .on('person_values')
    .columns(['tenant_id', 'attr', 'value_lc'])
    .execute();
  await db.schema.alterTable('people').addColumn('deleted_at', 'text').execute();
}
