import { type TObject, type TSchema, Type } from '@sinclair/typebox';

/** The contract's error body `{error, message}`, with Sightline's additions. */
export const ManageError = Type.Object({
  statusCode: Type.Optional(Type.Integer()),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
  details: Type.Optional(Type.Unknown()),
  requestId: Type.Optional(Type.String()),
});

/** Error responses every management route can give. */
export function manageErrors(responses: Record<number, TSchema>): Record<number, TSchema> {
  return {
    400: ManageError,
    401: ManageError,
    403: ManageError,
    404: ManageError,
    409: ManageError,
    413: ManageError,
    415: ManageError,
    429: ManageError,
    ...responses,
  };
}

/** Query parameters of every list; any other parameter filters by the field it names. */
export const ListQuery = Type.Object(
  {
    size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100)' })),
    cursor: Type.Optional(Type.String({ maxLength: 4000, description: 'nextCursor of the previous page' })),
    sort: Type.Optional(Type.String({ maxLength: 100, description: '`field` or `-field` (descending)' })),
    fields: Type.Optional(Type.String({ maxLength: 2000, description: 'Comma-separated fields to return' })),
  },
  { additionalProperties: Type.String({ maxLength: 1000 }) },
);

/** A page of a list: the contract's `data`, plus `nextCursor` (null on the last page). */
export function Page(item: TObject) {
  return Type.Object({
    data: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  });
}

/** An item with optional predefined fields and custom field values under their keys. */
export function Item(properties: Record<string, TSchema>): TObject {
  return Type.Object(Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)])), {
    additionalProperties: true,
  });
}

export const CustomValues = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean(), Type.Null()]),
  { description: 'Custom field values by key; null clears a value' },
);

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
