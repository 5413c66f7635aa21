export const customFieldEntities = ['apps', 'users', 'contracts'] as const;
export type CustomFieldEntity = (typeof customFieldEntities)[number];

export const customFieldTypes = ['string', 'number', 'date', 'boolean', 'single-select'] as const;
export type CustomFieldType = (typeof customFieldTypes)[number];

/** A custom field definition of one entity of a tenant. */
export interface CustomField {
  id: string;
  entity: CustomFieldEntity;
  key: string;
  name: string;
  type: CustomFieldType;
  /** The allowed values of a single-select field (empty for other types). */
  options: string[];
  isRequired: boolean;
  createdAt: string;
  updatedAt: string;
}

/** One field of the metadata endpoints (`/apps/metadata`, …), predefined or custom. */
export interface FieldMetadata {
  key: string;
  name: string;
  type: string;
  isCustom: boolean;
  isRequired: boolean;
  options?: string[];
}
