import { type TSchema, Type } from '@sinclair/typebox';

/** The contract's `client_id` (StackSpot's OAuth client): accepted and ignored. */
export const ClientId = Type.Optional(Type.String({ maxLength: 200, description: 'Accepted and ignored' }));
/** A description; `null` clears it. */
export const Description = Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]));

/** A PATCH path: an attribute name, or StackSpot's `{attributePath: {attributeName}}` object. */
const PatchPath = Type.Union([
  Type.String({ minLength: 1, maxLength: 200 }),
  Type.Object(
    {
      attributePath: Type.Optional(
        Type.Object(
          {
            attributeName: Type.String({ minLength: 1, maxLength: 200 }),
            subAttribute: Type.Optional(Type.Union([Type.String(), Type.Null()])),
            uriprefix: Type.Optional(Type.Union([Type.String(), Type.Null()])),
          },
          { additionalProperties: true },
        ),
      ),
      subAttribute: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      valueExpression: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: true },
  ),
  Type.Null(),
]);

const Operation = (value: TSchema) =>
  Type.Object(
    {
      op: Type.String({ description: 'add, replace or remove (any case)' }),
      path: Type.Optional(PatchPath),
      value: Type.Optional(value),
    },
    { additionalProperties: false },
  );

/**
 * A PatchOp body as the contract shows it: `Operations` (or `operations`, as the source's
 * Resource-Type sample spells it), `schemas` as a string. `value` is the kind's patch value when
 * there is no path, else the value of the attribute the path names.
 */
export function PatchBody(value: TSchema, description: string) {
  const operations = Type.Array(Operation(Type.Union([value, Type.Unknown()])), { maxItems: 100 });
  return Type.Object(
    {
      schemas: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
      Operations: Type.Optional(operations),
      operations: Type.Optional(operations),
    },
    { additionalProperties: false, description },
  );
}

/** A statement of Create Permission / Create Role (`actions`), or of Update Permissions (`action`). */
export const StatementInput = Type.Object(
  {
    actions: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 })),
    action: Type.Optional(Type.String({ maxLength: 200 })),
    resource: Type.Optional(
      Type.String({ maxLength: 200, description: '`*` (default), or a resource id or slug' }),
    ),
  },
  { additionalProperties: false },
);
export const Statements = Type.Array(StatementInput, { maxItems: 500 });
