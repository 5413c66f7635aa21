/** Row types of the IAM tables (resource types, actions, resources, permissions, roles, assignments) and API tokens. */
import type { Flag, Json, Timestamp } from './schema.js';

export interface IamResourceTypesTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string | null;
  is_builtin: Flag;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IamActionsTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string | null;
  resource_type_id: string | null;
  is_builtin: Flag;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IamResourcesTable {
  tenant_id: string;
  id: string;
  resource_type_id: string;
  name: string;
  description: string | null;
  external_id: string | null;
  attributes: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IamPermissionsTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string | null;
  is_builtin: Flag;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IamPermissionStatementsTable {
  tenant_id: string;
  permission_id: string;
  action_name: string;
  /** `*` for every resource, else an iam_resources id. */
  resource: string;
}

export interface IamRolesTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string | null;
  claim_mapper: Json;
  is_builtin: Flag;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IamRolePermissionsTable {
  tenant_id: string;
  role_id: string;
  permission_id: string;
}

export interface IamRoleAssignmentsTable {
  tenant_id: string;
  role_id: string;
  /** `person` or `group`; tokens carry their role in api_tokens.role_id. */
  principal_type: string;
  principal_id: string;
  created_at: Timestamp;
}

export interface ApiTokensTable {
  tenant_id: string;
  id: string;
  name: string;
  token_hash: string;
  token_hint: string;
  role_id: string;
  person_id: string | null;
  api_version: string;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
  created_by: string | null;
  created_at: Timestamp;
}
