import { Type } from '@sinclair/typebox';
import { ClientId, Description, PatchBody, Statements } from './common.schema.js';

const Name = Type.String({ minLength: 1, maxLength: 1000 });
const ClaimMapper = Type.Union([
  Type.Record(Type.String(), Type.String({ maxLength: 1000 }), {
    description: 'Identity-provider claim → value that maps a login to this role',
  }),
  Type.Null(),
]);
const Permissions = Type.Array(Type.String({ maxLength: 1000 }), {
  maxItems: 500,
  description: 'Permission ids or names',
});
const Member = Type.Object(
  {
    type: Type.Optional(Type.String({ description: '`User` (default) or `Group`' })),
    value: Type.String({ maxLength: 200, description: 'The person or group id' }),
    display: Type.Optional(Type.String()),
  },
  // SCIM clients may add `$ref`; a `$ref` property in the schema itself would read as a reference.
  { additionalProperties: true },
);
const Members = Type.Array(Member, {
  maxItems: 10000,
  description: 'People and groups holding the role (Sightline extension); group members inherit it',
});

/** Create Role (contract `RoleCreateRequest`, plus `members`). */
export const CreateRoleBody = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Accepted and ignored: ids are assigned' })),
    name: Name,
    description: Description,
    claim_mapper: Type.Optional(ClaimMapper),
    permissions: Type.Optional(Permissions),
    statements: Type.Optional(Statements),
    members: Type.Optional(Members),
    client_id: ClientId,
  },
  { additionalProperties: false },
);

/** Update Roles (contract `RoleUpdateRequest`, plus `members`); lists given replace the role's. */
export const ReplaceRoleBody = Type.Object(
  {
    name: Name,
    description: Description,
    claim_mapper: Type.Optional(ClaimMapper),
    permissions: Type.Optional(Permissions),
    members: Type.Optional(Members),
    client_id: ClientId,
  },
  { additionalProperties: false },
);

export const PatchRoleBody = PatchBody(
  Type.Object({
    name: Type.Optional(Name),
    description: Description,
    claim_mapper: Type.Optional(ClaimMapper),
    permissions: Type.Optional(Permissions),
    members: Type.Optional(Members),
    client_id: ClientId,
  }),
  'Patch Operation Role (`permissions` and `members` take add/remove/replace)',
);
