import { Type } from '@sinclair/typebox';

/** SCIM bodies are checked by the SCIM module (lenient coercion, RFC error types), not by JSON Schema. */
export const ScimBody = Type.Object(
  {},
  { additionalProperties: true, description: 'A SCIM resource (RFC 7643)' },
);

export const PatchBody = Type.Object(
  {},
  {
    additionalProperties: true,
    description: 'A PatchOp message: {schemas, Operations: [{op, path, value}]}',
  },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export const ListQuery = Type.Object({
  filter: Type.Optional(Type.String({ maxLength: 4096, description: 'RFC 7644 §3.4.2.2 filter' })),
  startIndex: Type.Optional(Type.Integer({ description: '1-based index of the first result' })),
  count: Type.Optional(Type.Integer({ description: 'Page size: default 100, at most 200' })),
  sortBy: Type.Optional(Type.String({ maxLength: 200 })),
  sortOrder: Type.Optional(Type.String({ maxLength: 20 })),
  attributes: Type.Optional(Type.String({ maxLength: 2000 })),
  excludedAttributes: Type.Optional(Type.String({ maxLength: 2000 })),
});

export const ProjectionQuery = Type.Object({
  attributes: Type.Optional(Type.String({ maxLength: 2000 })),
  excludedAttributes: Type.Optional(Type.String({ maxLength: 2000 })),
});
