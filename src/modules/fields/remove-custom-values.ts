import { sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/db.js';
import type { CustomFieldEntity } from './fields.types.js';

/** The table holding each entity's custom values in its `custom` JSON column. */
const tables: Record<CustomFieldEntity, 'apps' | 'people' | 'contracts'> = {
  apps: 'apps',
  users: 'people',
  contracts: 'contracts',
};

/**
 * Removes the value stored under `key` from every row of the entity in the tenant, in one
 * set-based statement (SQLite json_remove, PostgreSQL jsonb `-`); rows without the key are left
 * untouched. Returns how many rows held a value. Deleting a definition calls it in the same
 * transaction, so a later field with the same key starts empty instead of reviving old values.
 */
export async function removeCustomValues(
  trx: Executor,
  dialect: Dialect,
  tenantId: string,
  entity: CustomFieldEntity,
  key: string,
): Promise<number> {
  const table = sql.table(tables[entity]);
  const result =
    dialect === 'postgres'
      ? await sql`update ${table} set custom = custom - cast(${key} as text)
          where tenant_id = ${tenantId} and custom ? cast(${key} as text)`.execute(trx)
      : await sql`update ${table} set custom = json_remove(custom, ${`$.${key}`})
          where tenant_id = ${tenantId} and json_type(custom, ${`$.${key}`}) is not null`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}
