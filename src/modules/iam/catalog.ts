/**
 * The actions Sightline knows, grouped by resource type. Every route of every face declares one of
 * these; built-in roles are defined over them. Seeded into each tenant's IAM tables at start.
 */
export const resourceTypes: Record<string, { description: string; actions: Record<string, string> }> = {
  apps: {
    description: 'SaaS applications, their accounts, licenses and derived figures',
    actions: {
      'apps:read': 'List and read apps, accounts and licenses',
      'apps:write': 'Create, update and close apps',
    },
  },
  users: {
    description: 'People of the directory',
    actions: { 'users:read': 'List and read people', 'users:write': 'Create and update people' },
  },
  groups: {
    description: 'Groups of people',
    actions: { 'groups:read': 'List and read groups', 'groups:write': 'Create, update and delete groups' },
  },
  contracts: {
    description: 'Contracts and renewals',
    actions: {
      'contracts:read': 'List and read contracts',
      'contracts:write': 'Create, update and delete contracts',
    },
  },
  spend: {
    description: 'Transactions and spend figures',
    actions: { 'spend:read': 'List and read transactions', 'spend:write': 'Record transactions' },
  },
  activity: {
    description: 'Usage activities',
    actions: { 'activity:read': 'List and read activities' },
  },
  instances: {
    description: 'Integration instances (one connection of one app)',
    actions: {
      'instances:read': 'List and read instances',
      'instances:write': 'Create and update instances',
    },
  },
  sync: {
    description: 'Push-sync sessions and their pages',
    actions: {
      'sync:read': 'Read sync sessions',
      'sync:write': 'Start syncs, upload pages, finish syncs',
      'sync:approve': 'Approve held syncs, force finishes, cancel running syncs',
    },
  },
  webhooks: {
    description: 'Outbound webhooks and their deliveries',
    actions: {
      'webhooks:read': 'List webhooks, events and deliveries',
      'webhooks:write': 'Create, update and delete webhooks',
    },
  },
  audit: {
    description: 'The append-only audit log',
    actions: { 'audit:read': 'Read the audit log' },
  },
  files: {
    description: 'Uploaded files and their parsings',
    actions: { 'files:read': 'Read files and parsings', 'files:write': 'Upload files and start imports' },
  },
  fields: {
    description: 'Field metadata and custom field definitions',
    actions: { 'fields:read': 'Read field metadata', 'fields:write': 'Define custom fields' },
  },
  tokens: {
    description: 'API tokens',
    actions: { 'tokens:read': 'List API tokens', 'tokens:write': 'Create and revoke API tokens' },
  },
  tenants: {
    description: 'Tenants (organizations) of this server',
    actions: {
      'tenants:read': 'Read the current tenant',
      'tenants:write': 'Update the current tenant',
      'tenants:admin': 'Create and list every tenant (system tenant only)',
    },
  },
  iam: {
    description: 'Identity and access management: actions, resources, permissions, roles',
    actions: {
      'iam:read': 'Read IAM actions, resources, permissions and roles',
      'iam:write': 'Create and change IAM actions, resource types and resources',
      'iam:roles:write': 'Create and change roles, permissions and role assignments',
    },
  },
  scim: {
    description: 'SCIM 2.0 provisioning of people and groups',
    actions: {
      'scim:users:read': 'Read SCIM users',
      'scim:users:write': 'Provision SCIM users',
      'scim:groups:read': 'Read SCIM groups',
      'scim:groups:write': 'Provision SCIM groups',
    },
  },
  workflows: {
    description: 'Onboarding and offboarding workflows',
    actions: {
      'workflows:read': 'Read workflows and runs',
      'workflows:write': 'Create and change workflows',
    },
  },
  demo: {
    description: 'Demo data',
    actions: { 'demo:write': 'Fill the tenant with demo data' },
  },
};

export type ActionName = string;

export const allActions: ActionName[] = Object.values(resourceTypes).flatMap((t) => Object.keys(t.actions));

/** Built-in roles: ordinary IAM roles seeded per tenant. Their permissions are kept current at start. */
export const builtinRoles: Record<string, { description: string; actions: ActionName[] }> = {
  owner: {
    description: 'Everything, including tokens and roles',
    actions: allActions,
  },
  admin: {
    description: 'Everything except managing tenants',
    actions: allActions.filter((a) => !a.startsWith('tenants:admin')),
  },
  viewer: {
    description: 'Read-only access to everything but tokens',
    actions: allActions.filter((a) => a.endsWith(':read') && a !== 'tokens:read'),
  },
  integration: {
    description: 'Push-sync only: instances, syncs and webhooks of the /v2 API',
    actions: [
      'instances:read',
      'instances:write',
      'sync:read',
      'sync:write',
      'webhooks:read',
      'webhooks:write',
    ],
  },
  provisioning: {
    description: 'SCIM provisioning only',
    actions: ['scim:users:read', 'scim:users:write', 'scim:groups:read', 'scim:groups:write'],
  },
};

export const builtinRoleNames = Object.keys(builtinRoles);
