import { Type } from '@sinclair/typebox';
import { ClientId, Description, PatchBody, Statements } from './common.schema.js';

const Name = Type.String({ minLength: 1, maxLength: 1000 });

/** Create Permission (contract `PermissionCreateRequest`): statements are actions on a resource or `*`. */
export const CreatePermissionBody = Type.Object(
  { name: Name, description: Description, statements: Statements, client_id: ClientId },
  { additionalProperties: false },
);

/** Update Permissions (contract `PermissionUpdateRequest`); statements given replace the permission's. */
export const ReplacePermissionBody = Type.Object(
  { name: Name, description: Description, statements: Type.Optional(Statements), client_id: ClientId },
  { additionalProperties: false },
);

export const PatchPermissionBody = PatchBody(
  Type.Object({
    name: Type.Optional(Name),
    description: Description,
    statements: Type.Optional(Statements),
    client_id: ClientId,
  }),
  'Patch Operation Permission',
);
