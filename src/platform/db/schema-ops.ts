/** Row types of the operational tables: webhooks and deliveries, events, audit, files and parsings, workflows, custom fields. */
import type { ColumnType } from 'kysely';
import type { Flag, Json, Timestamp } from './schema.js';

export interface WebhooksTable {
  tenant_id: string;
  id: string;
  url: string;
  description: string | null;
  events: Json;
  status: string;
  secret: string;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  tenant_id: string;
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: Timestamp | null;
  response_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EventsTable {
  tenant_id: string;
  id: string;
  type: string;
  subject_type: string | null;
  subject_id: string | null;
  payload: Json;
  created_at: Timestamp;
  dispatched_at: Timestamp | null;
}

export interface AuditEntriesTable {
  tenant_id: string;
  id: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  actor_email: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Json;
  request_id: string | null;
  created_at: Timestamp;
}

export interface FilesTable {
  tenant_id: string;
  id: string;
  name: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  storage_key: string;
  purpose: string | null;
  created_by: string | null;
  created_at: Timestamp;
  /** `pending` while a signed upload URL is outstanding, then `stored`. */
  status: ColumnType<string, string | undefined, string>;
  expires_at: ColumnType<Timestamp | null, Timestamp | null | undefined, Timestamp | null>;
}

export interface ParsingsTable {
  tenant_id: string;
  id: string;
  file_id: string;
  status: string;
  columns: Json;
  target: string | null;
  mappings: Json | null;
  sync_id: string | null;
  result: Json | null;
  failure_reason: string | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WorkflowsTable {
  tenant_id: string;
  id: string;
  name: string;
  name_lc: string;
  description: string | null;
  /** The event type that starts a run (`user.created`, `user.deactivated`, …). */
  trigger: string;
  /** A SCIM filter the event's person must match, or null for every person. */
  condition: string | null;
  actions: Json;
  /** Signs `http_request` actions (Standard Webhooks), encrypted at rest. */
  secret: string;
  enabled: number;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WorkflowActionExecutionsTable {
  tenant_id: string;
  id: string;
  workflow_id: string;
  event_id: string;
  event_type: string;
  person_id: string;
  action_index: number;
  action_type: string;
  /** `pending` → `running` → `completed` | `failed` | `skipped` (condition false, or an earlier action failed). */
  status: string;
  attempts: number;
  error: string | null;
  created_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface CustomFieldsTable {
  tenant_id: string;
  id: string;
  entity: string;
  key: string;
  name: string;
  type: string;
  options: Json;
  is_required: Flag;
  created_at: Timestamp;
  updated_at: Timestamp;
}
