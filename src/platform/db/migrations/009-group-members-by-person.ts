import type { Kysely } from 'kysely';

/**
 * A person's groups from one covering index: `group_members (tenant_id, person_id)` alone made
 * SQLite prefer the covering primary key and walk every membership of the tenant (about 90 ms per
 * SCIM user answer, and per authentication of a person's token, at a million memberships). With
 * `group_id` in the index, both stores read a person's groups from it alone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('group_members_tenant_id_person_id_group_id_ix')
    .on('group_members')
    .columns(['tenant_id', 'person_id', 'group_id'])
    .execute();
  await db.schema.dropIndex('group_members_tenant_id_person_id_ix').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('group_members_tenant_id_person_id_ix')
    .on('group_members')
    .columns(['tenant_id', 'person_id'])
    .execute();
  await db.schema.dropIndex('group_members_tenant_id_person_id_group_id_ix').execute();
}
