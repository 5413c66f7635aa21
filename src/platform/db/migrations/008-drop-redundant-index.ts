import type { Kysely } from 'kysely';

/**
 * `app_accounts (tenant_id, person_id)` is a prefix of the covering index 005 added
 * (`tenant_id, person_id, status, app_id`): every lookup it served, the longer one serves, and each
 * account insert paid for both.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('app_accounts_tenant_id_person_id_ix').execute();
}
