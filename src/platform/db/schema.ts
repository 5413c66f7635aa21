import type { ColumnType, Generated } from 'kysely';
import type {
  ApiTokensTable,
  IamActionsTable,
  IamPermissionStatementsTable,
  IamPermissionsTable,
  IamResourcesTable,
  IamResourceTypesTable,
  IamRoleAssignmentsTable,
  IamRolePermissionsTable,
  IamRolesTable,
} from './schema-iam.js';
import type {
  AuditEntriesTable,
  CustomFieldsTable,
  EventsTable,
  FilesTable,
  ParsingsTable,
  WebhookDeliveriesTable,
  WebhooksTable,
  WorkflowActionExecutionsTable,
  WorkflowsTable,
} from './schema-ops.js';

/** JSON columns: jsonb on PostgreSQL, text on SQLite. Written as JSON text, read through parseJson. */
export type Json = ColumnType<unknown, string, string>;
/** Timestamps are ISO-8601 UTC text (`2026-01-02T03:04:05.678Z`) on both stores: they sort as text. */
export type Timestamp = string;
/** Booleans are 0/1 integers on both stores. */
export type Flag = ColumnType<number, number | undefined, number>;

export interface TenantsTable {
  id: string;
  name: string;
  slug: string;
  domains: Json;
  is_system: Flag;
  settings: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PeopleTable {
  tenant_id: string;
  id: string;
  external_id: string | null;
  user_name: string;
  user_name_lc: string;
  email: string | null;
  email_lc: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  status: string;
  department: string | null;
  title: string | null;
  employee_number: string | null;
  cost_center: string | null;
  organization: string | null;
  division: string | null;
  manager_id: string | null;
  is_external: Flag;
  source: string;
  attributes: Json;
  custom: Json;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  deactivated_at: Timestamp | null;
  /** Set when deleted through SCIM: the row stays (history), SCIM no longer shows it. */
  deleted_at: ColumnType<Timestamp | null, Timestamp | null | undefined, Timestamp | null>;
}

/** A person's multi-valued SCIM attributes (`emails`, `phoneNumbers`), one row per element. */
export interface PersonValuesTable {
  tenant_id: string;
  person_id: string;
  attr: string;
  position: number;
  type: string | null;
  value: string;
  value_lc: string;
  display: string | null;
  is_primary: Flag;
}

export interface GroupsTable {
  tenant_id: string;
  id: string;
  display_name: string;
  display_name_lc: string;
  external_id: string | null;
  description: string | null;
  source: string;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GroupMembersTable {
  tenant_id: string;
  group_id: string;
  person_id: string;
  created_at: Timestamp;
}

export interface AppsTable {
  tenant_id: string;
  id: string;
  name: string;
  name_lc: string;
  state: string;
  category: string | null;
  url: string | null;
  description: string | null;
  vendor: string | null;
  owner_id: string | null;
  source: string;
  custom: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
  closed_at: Timestamp | null;
}

export interface IntegrationsTable {
  tenant_id: string;
  id: string;
  key: string;
  name: string;
  app_id: string | null;
  created_at: Timestamp;
}

export interface InstancesTable {
  tenant_id: string;
  id: string;
  integration_id: string;
  app_id: string;
  name: string;
  status: string;
  notification_emails: Json;
  settings: Json;
  secrets: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AppAccountsTable {
  tenant_id: string;
  id: string;
  app_id: string;
  instance_id: string;
  person_id: string | null;
  external_id: string;
  email: string | null;
  email_lc: string | null;
  name: string | null;
  status: string;
  role: string | null;
  license: string | null;
  last_used_at: Timestamp | null;
  first_seen_at: Timestamp;
  attributes: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
  deactivated_at: Timestamp | null;
  /** Digest of the sync record the account was last written from (null: compare field by field). */
  digest: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface LicensesTable {
  tenant_id: string;
  id: string;
  app_id: string;
  instance_id: string | null;
  external_id: string | null;
  name: string;
  total: number | null;
  used: number | null;
  price_per_unit_minor: number | null;
  currency: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ContractsTable {
  tenant_id: string;
  id: string;
  app_id: string | null;
  external_id: string | null;
  name: string;
  status: string;
  start_date: string | null;
  end_date: string | null;
  renewal_date: string | null;
  auto_renew: Flag;
  cost_minor: number | null;
  currency: string | null;
  billing_period: string | null;
  owner_id: string | null;
  notes: string | null;
  custom: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Derived figures of an app, kept current by refreshAppFigures (src/modules/apps/app-figures.ts). */
export interface AppFiguresTable {
  tenant_id: string;
  app_id: string;
  active_users: number;
  total_users: number;
  total_licenses: number;
  annual_cost_minor: number;
  updated_at: Timestamp;
}

export interface TransactionsTable {
  tenant_id: string;
  id: string;
  app_id: string | null;
  instance_id: string | null;
  external_id: string | null;
  occurred_on: string;
  amount_minor: number;
  currency: string;
  description: string | null;
  vendor: string | null;
  payment_method: string | null;
  created_at: Timestamp;
}

export interface ActivitiesTable {
  tenant_id: string;
  id: string;
  person_id: string | null;
  app_id: string | null;
  instance_id: string | null;
  external_id: string | null;
  occurred_at: Timestamp;
  activity_type: string;
  details: Json;
  created_at: Timestamp;
}

export interface SyncsTable {
  tenant_id: string;
  id: string;
  instance_id: string;
  status: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  last_activity_at: Timestamp;
  failure_reason: string | null;
  stats: Json;
  result: Json;
  created_by: string | null;
  /** How many users record keys the sync staged (see staged-keys.ts). */
  staged_keys: Flag;
  /** 1 when some users record id came in more than one page (the last page wins at finish). */
  repeated_ids: Flag;
}

export interface SyncPagesTable {
  tenant_id: string;
  sync_id: string;
  kind: string;
  entity: string;
  page: number;
  record_count: number;
  received_at: Timestamp;
  /** The page's records as JSON text; expanded in SQL at finish. */
  data: string | null;
}

export interface FreshnessTable {
  tenant_id: string;
  instance_id: string;
  entity: string;
  complete_as_of: Timestamp;
  sync_id: string;
  updated_at: Timestamp;
}

export interface AppRolesTable {
  tenant_id: string;
  id: string;
  app_id: string;
  instance_id: string;
  external_id: string;
  name: string;
  description: string | null;
  status: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface JobsTable {
  tenant_id: string;
  id: string;
  name: string;
  payload: Json;
  status: string;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  run_at: Timestamp;
  locked_until: Timestamp | null;
  last_error: string | null;
  singleton_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface Database {
  tenants: TenantsTable;
  people: PeopleTable;
  person_values: PersonValuesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  apps: AppsTable;
  integrations: IntegrationsTable;
  instances: InstancesTable;
  app_accounts: AppAccountsTable;
  app_figures: AppFiguresTable;
  licenses: LicensesTable;
  contracts: ContractsTable;
  transactions: TransactionsTable;
  activities: ActivitiesTable;
  syncs: SyncsTable;
  sync_pages: SyncPagesTable;
  freshness: FreshnessTable;
  app_roles: AppRolesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  events: EventsTable;
  audit_entries: AuditEntriesTable;
  files: FilesTable;
  parsings: ParsingsTable;
  custom_fields: CustomFieldsTable;
  workflows: WorkflowsTable;
  workflow_action_executions: WorkflowActionExecutionsTable;
  iam_resource_types: IamResourceTypesTable;
  iam_actions: IamActionsTable;
  iam_resources: IamResourcesTable;
  iam_permissions: IamPermissionsTable;
  iam_permission_statements: IamPermissionStatementsTable;
  iam_roles: IamRolesTable;
  iam_role_permissions: IamRolePermissionsTable;
  iam_role_assignments: IamRoleAssignmentsTable;
  api_tokens: ApiTokensTable;
  jobs: JobsTable;
}

export type * from './schema-iam.js';
export type * from './schema-ops.js';
export type { Generated };
