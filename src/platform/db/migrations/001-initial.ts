import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';
import { domainTables } from './001-initial-tables/domain.js';
import { platformTables } from './001-initial-tables/platform.js';
import type { ColumnKind, TableSpec } from './001-initial-tables/spec.js';

/** The whole domain's schema. tenant_id leads every primary key and index (see ARCHITECTURE.md). */
const tables: Record<string, TableSpec> = { ...domainTables, ...platformTables };

function columnType(kind: ColumnKind, dialect: MigrationContext['dialect']) {
  switch (kind) {
    case 'json':
      return dialect === 'postgres' ? sql`jsonb` : sql`text`;
    case 'int':
      return sql`integer`;
    case 'bigint':
      return sql`bigint`;
    default:
      return sql`text`;
  }
}

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  for (const [name, spec] of Object.entries(tables)) {
    let builder = db.schema.createTable(name);
    const nullable = new Set(spec.nullable ?? []);
    for (const [column, kind] of Object.entries(spec.columns)) {
      builder = builder.addColumn(column, columnType(kind, dialect), (c) => {
        let col = nullable.has(column) ? c : c.notNull();
        const value = spec.defaults?.[column];
        if (value !== undefined) col = col.defaultTo(value);
        return col;
      });
    }
    builder = builder.addPrimaryKeyConstraint(`${name}_pk`, spec.primaryKey as never);
    for (const columns of spec.unique ?? []) {
      builder = builder.addUniqueConstraint(`${name}_${columns.join('_')}_uq`, columns as never);
    }
    await builder.execute();
    for (const columns of spec.indexes ?? []) {
      await db.schema
        .createIndex(`${name}_${columns.join('_')}_ix`)
        .on(name)
        .columns(columns)
        .execute();
    }
  }
  // Lookups that happen before a tenant is known. They still carry tenant_id in the row.
  // Authentication: the token hash identifies the tenant.
  await db.schema
    .createIndex('api_tokens_token_hash_uq')
    .unique()
    .on('api_tokens')
    .column('token_hash')
    .execute();
  // Workers claim due jobs and undispatched events across tenants.
  await db.schema.createIndex('jobs_due_ix').on('jobs').columns(['status', 'run_at']).execute();
  await db.schema
    .createIndex('events_pending_ix')
    .on('events')
    .column('id')
    .where(sql.ref('dispatched_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('jobs_singleton_uq')
    .unique()
    .on('jobs')
    .columns(['tenant_id', 'name', 'singleton_key'])
    .where(sql.ref('status'), 'in', sql`('queued', 'running')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of Object.keys(tables).reverse()) await db.schema.dropTable(name).execute();
}
