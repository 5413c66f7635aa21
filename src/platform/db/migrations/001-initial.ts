import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

type ColumnKind = 'text' | 'int' | 'bigint' | 'json' | 'ts';
/** name → kind, with `?` for nullable and `=value` for a default (`'status=active'`). */
type Columns = Record<string, ColumnKind>;

interface TableSpec {
  columns: Columns;
  /** Columns that may be null. Everything else is NOT NULL. */
  nullable?: string[];
  defaults?: Record<string, string | number>;
  primaryKey: string[];
  unique?: string[][];
  indexes?: string[][];
}

const T = 'text' as const;
const I = 'int' as const;
const B = 'bigint' as const;
const J = 'json' as const;
const S = 'ts' as const;
const audit = { created_at: S, updated_at: S };

/** The whole domain's schema. tenant_id leads every primary key and index (see ARCHITECTURE.md). */
const tables: Record<string, TableSpec> = {
  tenants: {
    columns: { id: T, name: T, slug: T, domains: J, is_system: I, settings: J, ...audit },
    defaults: { is_system: 0 },
    primaryKey: ['id'],
    unique: [['slug']],
  },
  people: {
    columns: {
      tenant_id: T,
      id: T,
      external_id: T,
      user_name: T,
      user_name_lc: T,
      email: T,
      email_lc: T,
      first_name: T,
      last_name: T,
      display_name: T,
      status: T,
      department: T,
      title: T,
      employee_number: T,
      cost_center: T,
      organization: T,
      division: T,
      manager_id: T,
      is_external: I,
      source: T,
      attributes: J,
      custom: J,
      version: I,
      ...audit,
      deactivated_at: S,
    },
    nullable: [
      'external_id',
      'email',
      'email_lc',
      'first_name',
      'last_name',
      'display_name',
      'department',
      'title',
      'employee_number',
      'cost_center',
      'organization',
      'division',
      'manager_id',
      'deactivated_at',
    ],
    defaults: { status: 'active', is_external: 0, version: 1 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'user_name_lc']],
    indexes: [
      ['tenant_id', 'email_lc'],
      ['tenant_id', 'external_id'],
      ['tenant_id', 'status', 'id'],
      ['tenant_id', 'department'],
    ],
  },
  groups: {
    columns: {
      tenant_id: T,
      id: T,
      display_name: T,
      display_name_lc: T,
      external_id: T,
      description: T,
      source: T,
      version: I,
      ...audit,
    },
    nullable: ['external_id', 'description'],
    defaults: { version: 1 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'display_name_lc']],
    indexes: [['tenant_id', 'external_id']],
  },
  group_members: {
    columns: { tenant_id: T, group_id: T, person_id: T, created_at: S },
    primaryKey: ['tenant_id', 'group_id', 'person_id'],
    indexes: [['tenant_id', 'person_id']],
  },
  apps: {
    columns: {
      tenant_id: T,
      id: T,
      name: T,
      name_lc: T,
      state: T,
      category: T,
      url: T,
      description: T,
      vendor: T,
      owner_id: T,
      source: T,
      custom: J,
      ...audit,
      closed_at: S,
    },
    nullable: ['category', 'url', 'description', 'vendor', 'owner_id', 'closed_at'],
    defaults: { state: 'discovered' },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'name_lc']],
    indexes: [
      ['tenant_id', 'state', 'id'],
      ['tenant_id', 'category'],
    ],
  },
  integrations: {
    columns: { tenant_id: T, id: T, key: T, name: T, app_id: T, created_at: S },
    nullable: ['app_id'],
    primaryKey: ['tenant_id', 'id'],
    indexes: [['tenant_id', 'key']],
  },
  instances: {
    columns: {
      tenant_id: T,
      id: T,
      integration_id: T,
      app_id: T,
      name: T,
      status: T,
      notification_emails: J,
      settings: J,
      secrets: T,
      ...audit,
    },
    nullable: ['secrets'],
    defaults: { status: 'active' },
    primaryKey: ['tenant_id', 'id'],
    indexes: [['tenant_id', 'app_id']],
  },
  app_accounts: {
    columns: {
      tenant_id: T,
      id: T,
      app_id: T,
      instance_id: T,
      person_id: T,
      external_id: T,
      email: T,
      email_lc: T,
      name: T,
      status: T,
      role: T,
      license: T,
      last_used_at: S,
      first_seen_at: S,
      attributes: J,
      ...audit,
      deactivated_at: S,
    },
    nullable: ['person_id', 'email', 'email_lc', 'name', 'role', 'license', 'last_used_at', 'deactivated_at'],
    defaults: { status: 'active' },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'instance_id', 'external_id']],
    indexes: [
      ['tenant_id', 'app_id', 'status'],
      ['tenant_id', 'person_id'],
    ],
  },
  licenses: {
    columns: {
      tenant_id: T,
      id: T,
      app_id: T,
      instance_id: T,
      external_id: T,
      name: T,
      total: I,
      used: I,
      price_per_unit_minor: B,
      currency: T,
      ...audit,
    },
    nullable: ['instance_id', 'external_id', 'total', 'used', 'price_per_unit_minor', 'currency'],
    primaryKey: ['tenant_id', 'id'],
    indexes: [['tenant_id', 'app_id']],
  },
  contracts: {
    columns: {
      tenant_id: T,
      id: T,
      app_id: T,
      external_id: T,
      name: T,
      status: T,
      start_date: T,
      end_date: T,
      renewal_date: T,
      auto_renew: I,
      cost_minor: B,
      currency: T,
      billing_period: T,
      owner_id: T,
      notes: T,
      custom: J,
      ...audit,
    },
    nullable: [
      'app_id',
      'external_id',
      'start_date',
      'end_date',
      'renewal_date',
      'cost_minor',
      'currency',
      'billing_period',
      'owner_id',
      'notes',
    ],
    defaults: { status: 'active', auto_renew: 0 },
    primaryKey: ['tenant_id', 'id'],
    indexes: [
      ['tenant_id', 'app_id'],
      ['tenant_id', 'renewal_date'],
    ],
  },
  transactions: {
    columns: {
      tenant_id: T,
      id: T,
      app_id: T,
      instance_id: T,
      external_id: T,
      occurred_on: T,
      amount_minor: B,
      currency: T,
      description: T,
      vendor: T,
      payment_method: T,
      created_at: S,
    },
    nullable: ['app_id', 'instance_id', 'external_id', 'description', 'vendor', 'payment_method'],
    primaryKey: ['tenant_id', 'id'],
    indexes: [
      ['tenant_id', 'app_id', 'occurred_on'],
      ['tenant_id', 'instance_id', 'external_id'],
    ],
  },
  activities: {
    columns: {
      tenant_id: T,
      id: T,
      person_id: T,
      app_id: T,
      instance_id: T,
      external_id: T,
      occurred_at: S,
      activity_type: T,
      details: J,
      created_at: S,
    },
    nullable: ['person_id', 'app_id', 'instance_id', 'external_id'],
    primaryKey: ['tenant_id', 'id'],
    indexes: [
      ['tenant_id', 'person_id', 'occurred_at'],
      ['tenant_id', 'app_id', 'occurred_at'],
    ],
  },
  syncs: {
    columns: {
      tenant_id: T,
      id: T,
      instance_id: T,
      status: T,
      started_at: S,
      finished_at: S,
      last_activity_at: S,
      failure_reason: T,
      stats: J,
      result: J,
      created_by: T,
    },
    nullable: ['finished_at', 'failure_reason', 'created_by'],
    primaryKey: ['tenant_id', 'id'],
    indexes: [['tenant_id', 'instance_id', 'status']],
  },
  sync_pages: {
    columns: { tenant_id: T, sync_id: T, kind: T, entity: T, page: I, record_count: I, received_at: S },
    primaryKey: ['tenant_id', 'sync_id', 'kind', 'entity', 'page'],
  },
  webhooks: {
    columns: {
      tenant_id: T,
      id: T,
      url: T,
      description: T,
      events: J,
      status: T,
      secret: T,
      created_by: T,
      ...audit,
    },
    nullable: ['description', 'created_by'],
    defaults: { status: 'active' },
    primaryKey: ['tenant_id', 'id'],
  },
  webhook_deliveries: {
    columns: {
      tenant_id: T,
      id: T,
      webhook_id: T,
      event_id: T,
      event_type: T,
      status: T,
      attempts: I,
      next_attempt_at: S,
      response_status: I,
      last_error: T,
      ...audit,
    },
    nullable: ['next_attempt_at', 'response_status', 'last_error'],
    defaults: { attempts: 0 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'webhook_id', 'event_id']],
  },
  events: {
    columns: {
      tenant_id: T,
      id: T,
      type: T,
      subject_type: T,
      subject_id: T,
      payload: J,
      created_at: S,
      dispatched_at: S,
    },
    nullable: ['subject_type', 'subject_id', 'dispatched_at'],
    primaryKey: ['tenant_id', 'id'],
    indexes: [['tenant_id', 'type', 'id']],
  },
  audit_entries: {
    columns: {
      tenant_id: T,
      id: T,
      actor_type: T,
      actor_id: T,
      actor_name: T,
      actor_email: T,
      action: T,
      target_type: T,
      target_id: T,
      details: J,
      request_id: T,
      created_at: S,
    },
    nullable: ['actor_id', 'actor_name', 'actor_email', 'target_type', 'target_id', 'request_id'],
    primaryKey: ['tenant_id', 'id'],
    indexes: [
      ['tenant_id', 'action', 'id'],
      ['tenant_id', 'target_id'],
    ],
  },
  files: {
    columns: {
      tenant_id: T,
      id: T,
      name: T,
      content_type: T,
      size_bytes: B,
      sha256: T,
      storage_key: T,
      purpose: T,
      created_by: T,
      created_at: S,
    },
    nullable: ['purpose', 'created_by'],
    primaryKey: ['tenant_id', 'id'],
  },
  custom_fields: {
    columns: {
      tenant_id: T,
      id: T,
      entity: T,
      key: T,
      name: T,
      type: T,
      options: J,
      is_required: I,
      ...audit,
    },
    defaults: { is_required: 0 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'entity', 'key']],
  },
  iam_resource_types: {
    columns: { tenant_id: T, id: T, name: T, description: T, is_builtin: I, ...audit },
    nullable: ['description'],
    defaults: { is_builtin: 0 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'name']],
  },
  iam_actions: {
    columns: { tenant_id: T, id: T, name: T, description: T, resource_type_id: T, is_builtin: I, ...audit },
    nullable: ['description', 'resource_type_id'],
    defaults: { is_builtin: 0 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'name']],
  },
  iam_resources: {
    columns: {
      tenant_id: T,
      id: T,
      resource_type_id: T,
      name: T,
      description: T,
      external_id: T,
      attributes: J,
      ...audit,
    },
    nullable: ['description', 'external_id'],
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'resource_type_id', 'name']],
  },
  iam_permissions: {
    columns: { tenant_id: T, id: T, name: T, description: T, is_builtin: I, ...audit },
    nullable: ['description'],
    defaults: { is_builtin: 0 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'name']],
  },
  iam_permission_statements: {
    columns: { tenant_id: T, permission_id: T, action_name: T, resource: T },
    primaryKey: ['tenant_id', 'permission_id', 'action_name', 'resource'],
  },
  iam_roles: {
    columns: { tenant_id: T, id: T, name: T, description: T, claim_mapper: J, is_builtin: I, ...audit },
    nullable: ['description'],
    defaults: { is_builtin: 0 },
    primaryKey: ['tenant_id', 'id'],
    unique: [['tenant_id', 'name']],
  },
  iam_role_permissions: {
    columns: { tenant_id: T, role_id: T, permission_id: T },
    primaryKey: ['tenant_id', 'role_id', 'permission_id'],
    indexes: [['tenant_id', 'permission_id']],
  },
  iam_role_assignments: {
    columns: { tenant_id: T, role_id: T, principal_type: T, principal_id: T, created_at: S },
    primaryKey: ['tenant_id', 'principal_type', 'principal_id', 'role_id'],
    indexes: [['tenant_id', 'role_id']],
  },
  api_tokens: {
    columns: {
      tenant_id: T,
      id: T,
      name: T,
      token_hash: T,
      token_hint: T,
      role_id: T,
      person_id: T,
      api_version: T,
      expires_at: S,
      revoked_at: S,
      last_used_at: S,
      created_by: T,
      created_at: S,
    },
    nullable: ['person_id', 'expires_at', 'revoked_at', 'last_used_at', 'created_by'],
    defaults: { api_version: '1.1' },
    primaryKey: ['tenant_id', 'id'],
    indexes: [
      ['tenant_id', 'role_id'],
      ['tenant_id', 'person_id'],
    ],
  },
  jobs: {
    columns: {
      tenant_id: T,
      id: T,
      name: T,
      payload: J,
      status: T,
      attempts: I,
      max_attempts: I,
      backoff_ms: I,
      run_at: S,
      locked_until: S,
      last_error: T,
      singleton_key: T,
      ...audit,
      finished_at: S,
    },
    nullable: ['locked_until', 'last_error', 'singleton_key', 'finished_at'],
    defaults: { status: 'queued', attempts: 0 },
    primaryKey: ['tenant_id', 'id'],
  },
};

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
