import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/platform/db/db.js';
import { migrationNames } from '../src/platform/db/migrator.js';
import { freshStoreEnv, skipPostgres, testDb } from './helpers/db.js';

const domainTables = [
  'tenants',
  'people',
  'groups',
  'group_members',
  'apps',
  'app_accounts',
  'licenses',
  'contracts',
  'transactions',
  'activities',
  'integrations',
  'instances',
  'syncs',
  'webhooks',
  'webhook_deliveries',
  'audit_entries',
  'files',
  'custom_fields',
  'iam_actions',
  'iam_resources',
  'iam_resource_types',
  'iam_permissions',
  'iam_roles',
  'iam_role_assignments',
  'api_tokens',
  'jobs',
  'events',
  'person_values',
  'workflows',
  'workflow_action_executions',
];

describe.skipIf(skipPostgres)(`migrations on ${testDb}`, () => {
  it('create the whole schema on an empty database, and are idempotent', async () => {
    const env = await freshStoreEnv();
    const store = openStore({ dataDir: env.DATA_DIR, databaseUrl: env.DATABASE_URL });
    try {
      expect(await store.isReady()).toBe(false);
      expect(migrationNames.slice(0, 4)).toEqual(['001-initial', '002-ingest', '003-page-jsonb', '004-scim']);
      expect([...migrationNames].sort()).toEqual(migrationNames);
      expect(await store.migrate()).toEqual(migrationNames);
      expect(await store.migrate()).toEqual([]);
      expect(await store.isReady()).toBe(true);
      const tables = await store.db.introspection.getTables();
      const names = tables.map((t) => t.name);
      for (const table of domainTables) expect(names).toContain(table);
      for (const table of tables.filter((t) => domainTables.includes(t.name) && t.name !== 'tenants')) {
        expect(table.columns[0]?.name, `${table.name} leads with tenant_id`).toBe('tenant_id');
      }
      expect(store.dialect).toBe(testDb);
      const one = await sql<{ one: number }>`select 1 as one`.execute(store.db);
      expect(one.rows[0]?.one).toBe(1);
    } finally {
      await store.close();
    }
  });
});
