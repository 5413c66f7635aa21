import { Type } from '@sinclair/typebox';

export const FieldMetadata = Type.Object({
  key: Type.String(),
  name: Type.String(),
  type: Type.String(),
  isCustom: Type.Boolean(),
  isRequired: Type.Boolean(),
  options: Type.Optional(Type.Array(Type.String())),
});

export const MetadataQuery = Type.Object(
  { search: Type.Optional(Type.String({ maxLength: 200, description: 'Matches field name or key' })) },
  { additionalProperties: false },
);
