import type { CustomFieldEntity, FieldMetadata } from './fields.types.js';

function field(key: string, name: string, type: string, isRequired = false): FieldMetadata {
  return { key, name, type, isCustom: false, isRequired };
}

/** The predefined fields of each entity, as the management face presents them. */
export const predefinedFields: Record<CustomFieldEntity, FieldMetadata[]> = {
  apps: [
    field('id', 'ID', 'string', true),
    field('name', 'Name', 'string', true),
    field('category', 'Category', 'string'),
    field('state', 'State', 'single-select', true),
    field('url', 'URL', 'string'),
    field('owner', 'Owner', 'string'),
    field('activeUsers', 'Active users', 'number'),
    field('totalUsers', 'Total users', 'number'),
    field('totalLicenses', 'Total licenses', 'number'),
    field('annualCost', 'Annual cost', 'number'),
    field('createdAt', 'Created at', 'date'),
  ],
  users: [
    field('id', 'ID', 'string', true),
    field('email', 'Email', 'string', true),
    field('firstName', 'First name', 'string'),
    field('lastName', 'Last name', 'string'),
    field('status', 'Status', 'single-select', true),
    field('department', 'Department', 'string'),
    field('isExternal', 'External', 'boolean'),
    field('appsCount', 'Apps', 'number'),
    field('createdAt', 'Created at', 'date'),
  ],
  contracts: [
    field('id', 'ID', 'string', true),
    field('appId', 'App ID', 'string', true),
    field('appName', 'App name', 'string'),
    field('name', 'Name', 'string', true),
    field('status', 'Status', 'single-select', true),
    field('startDate', 'Start date', 'date'),
    field('endDate', 'End date', 'date'),
    field('renewalDate', 'Renewal date', 'date'),
    field('annualCost', 'Annual cost', 'number'),
    field('currency', 'Currency', 'string'),
    field('owner', 'Owner', 'string'),
    field('createdAt', 'Created at', 'date'),
  ],
};

/** True when `key` names a predefined field of the entity (custom keys may not shadow them). */
export function isPredefinedKey(entity: CustomFieldEntity, key: string): boolean {
  return predefinedFields[entity].some((f) => f.key === key);
}
