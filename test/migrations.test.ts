import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/platform/db/db.js';
import { migrateTo, migrationNames } from '../src/platform/db/migrator.js';
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

  it('010 stages keys for users pages of syncs running across the upgrade', async () => {
    const env = await freshStoreEnv();
    const store = openStore({ dataDir: env.DATA_DIR, databaseUrl: env.DATABASE_URL });
    const context = { dialect: store.dialect };
    const db = store.db;
    try {
      await migrateTo(db as never, context, '009-group-members-by-person');
      const now = new Date().toISOString();
      for (const [id, status] of [
        ['syn_running0000000000000000000', 'running'],
        ['syn_done0000000000000000000000', 'finished'],
      ] as const) {
        await sql`insert into syncs (tenant_id, id, instance_id, status, started_at, last_activity_at, stats, result)
          values ('ten_a', ${id}, 'ins_a', ${status}, ${now}, ${now}, '{}', '{}')`.execute(db);
        const records = JSON.stringify([
          { id: 'u1', email: 'a@x.io' },
          { id: 2, email: 'b@x.io' },
        ]);
        const data = store.dialect === 'postgres' ? sql`cast(${records} as jsonb)` : sql`jsonb(${records})`;
        await sql`insert into sync_pages (tenant_id, sync_id, kind, entity, page, record_count, received_at, data)
          values ('ten_a', ${id}, 'snapshot', 'users', 1, 2, ${now}, ${data})`.execute(db);
      }
      await store.migrate();
      const keys = await sql<Record<string, unknown>>`select external_id, page, pos, digest
        from ${sql.id('staged_keys_syn_running0000000000000000000')} order by external_id`.execute(db);
      expect(keys.rows.map((k) => ({ ...k, digest: Number(k.digest) }))).toEqual([
        { external_id: '2', page: 1, pos: 1, digest: 0 },
        { external_id: 'u1', page: 1, pos: 0, digest: 0 },
      ]);
      const tables = (await db.introspection.getTables()).map((t) => t.name);
      expect(tables).not.toContain('staged_keys_syn_done0000000000000000000000');
      const syncs = await db
        .selectFrom('syncs')
        .select(['id', 'staged_keys', 'repeated_ids'])
        .orderBy('id')
        .execute();
      expect(syncs).toEqual([
        { id: 'syn_done0000000000000000000000', staged_keys: 0, repeated_ids: 0 },
        { id: 'syn_running0000000000000000000', staged_keys: 2, repeated_ids: 1 },
      ]);
    } finally {
      await store.close();
    }
  });

  it('011 gives every app its figures row: those created before it, and each one inserted after', async () => {
    const env = await freshStoreEnv();
    const store = openStore({ dataDir: env.DATA_DIR, databaseUrl: env.DATABASE_URL });
    const context = { dialect: store.dialect };
    const db = store.db;
    const insertApp = (id: string, now: string) =>
      sql`insert into apps (tenant_id, id, name, name_lc, state, source, custom, created_at, updated_at)
        values ('ten_a', ${id}, ${id}, ${id}, 'managed', 'test', '{}', ${now}, ${now})`.execute(db);
    const figures = async () =>
      (
        await sql<{ app_id: string; active_users: number; annual_cost_minor: number | string }>`
          select app_id, active_users, annual_cost_minor from app_figures order by app_id`.execute(db)
      ).rows.map((r) => ({ ...r, annual_cost_minor: Number(r.annual_cost_minor) }));
    try {
      await migrateTo(db as never, context, '010-staged-keys');
      const now = new Date().toISOString();
      await insertApp('app_before_counted', now);
      await insertApp('app_before_uncounted', now);
      await sql`insert into app_figures
          (tenant_id, app_id, active_users, total_users, total_licenses, annual_cost_minor, updated_at)
        values ('ten_a', 'app_before_counted', 3, 4, 5, 600, ${now})`.execute(db);
      await store.migrate();
      await insertApp('app_after', now);
      expect(await figures()).toEqual([
        { app_id: 'app_after', active_users: 0, annual_cost_minor: 0 },
        { app_id: 'app_before_counted', active_users: 3, annual_cost_minor: 600 },
        { app_id: 'app_before_uncounted', active_users: 0, annual_cost_minor: 0 },
      ]);
    } finally {
      await store.close();
    }
  });

  it('012 keeps only people with a department or externalId in those indexes, and lookups still use them; 013 covers email links', async () => {
    const env = await freshStoreEnv();
    const store = openStore({ dataDir: env.DATA_DIR, databaseUrl: env.DATABASE_URL });
    const db = store.db;
    try {
      await store.migrate();
      const definitions =
        store.dialect === 'postgres'
          ? await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition
              from pg_indexes where tablename = 'people'`.execute(db)
          : await sql<{ name: string; definition: string }>`select name, sql as definition
              from sqlite_master where type = 'index' and tbl_name = 'people'`.execute(db);
      const definitionOf = (name: string) =>
        definitions.rows.find((r) => r.name === name)?.definition.toLowerCase() ?? '';
      expect(definitionOf('people_tenant_id_department_ix')).toMatch(
        /where \(?\(?"?department"? is not null/,
      );
      expect(definitionOf('people_tenant_id_external_id_ix')).toMatch(
        /where \(?\(?"?external_id"? is not null/,
      );
      const plan = async (where: string) => {
        const query = `select id from people where tenant_id = 'ten_a' and ${where}`;
        if (store.dialect === 'sqlite')
          return (await sql.raw<{ detail: string }>(`explain query plan ${query}`).execute(db)).rows
            .map((r) => r.detail)
            .join('\n');
        return db.connection().execute(async (connection) => {
          await sql`set enable_seqscan = off`.execute(connection);
          const rows = (await sql.raw<{ 'QUERY PLAN': string }>(`explain ${query}`).execute(connection)).rows;
          await sql`reset enable_seqscan`.execute(connection);
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        });
      };
      expect(await plan(`department = 'Sales'`)).toContain('people_tenant_id_department_ix');
      expect(await plan(`external_id = 'okta-1'`)).toContain('people_tenant_id_external_id_ix');
      expect(await plan('external_id is not null')).toContain('people_tenant_id_external_id_ix');
      // 013: the email index carries the id, so a link by email reads no person's row.
      expect(definitionOf('people_tenant_id_email_lc_ix')).toBe('');
      expect(await plan(`email_lc = 'ann@example.com'`)).toMatch(
        store.dialect === 'sqlite'
          ? /COVERING INDEX people_tenant_id_email_lc_id_ix/
          : /Index Only Scan using people_tenant_id_email_lc_id_ix/,
      );
    } finally {
      await store.close();
    }
  });
});
