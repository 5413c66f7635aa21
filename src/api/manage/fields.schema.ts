import { Type } from '@sinclair/typebox';

const Entity = Type.Unsafe<'apps' | 'users' | 'contracts'>(
  Type.String({ enum: ['apps', 'users', 'contracts'] }),
);
const FieldType = Type.Unsafe<'string' | 'number' | 'date' | 'boolean' | 'single-select'>(
  Type.String({ enum: ['string', 'number', 'date', 'boolean', 'single-select'] }),
);
const Options = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500 });

export const CustomField = Type.Object({
  id: Type.String(),
  entity: Type.String(),
  key: Type.String(),
  name: Type.String(),
  type: Type.String(),
  options: Type.Array(Type.String()),
  isRequired: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const CustomFieldParams = Type.Object({ idField: Type.String({ minLength: 1, maxLength: 100 }) });

export const CustomFieldQuery = Type.Object(
  { entity: Type.Optional(Entity) },
  { additionalProperties: false },
);

export const CustomFieldCreate = Type.Object(
  {
    entity: Entity,
    key: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: FieldType,
    options: Type.Optional(Options),
    isRequired: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const CustomFieldUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    options: Type.Optional(Options),
    isRequired: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
