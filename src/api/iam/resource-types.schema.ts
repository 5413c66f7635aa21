import { Type } from '@sinclair/typebox';
import { ClientId, Description, PatchBody } from './common.schema.js';

const Name = Type.String({ minLength: 1, maxLength: 128 });
const Actions = Type.Array(Type.String({ maxLength: 128 }), {
  maxItems: 200,
  description: 'Names of the actions of this type; new names are created',
});

/** Create Resource-Type (contract `ResourceTypeCreateRequest`); `slug`, when given, is the type's name. */
export const CreateResourceTypeBody = Type.Object(
  { name: Name, slug: Type.Optional(Name), description: Description, actions: Actions, client_id: ClientId },
  { additionalProperties: false },
);

/** Replace Resource-Type (contract `ResourceTypeReplaceRequest`); `actions` adds actions (ours). */
export const ReplaceResourceTypeBody = Type.Object(
  {
    name: Name,
    slug: Name,
    description: Description,
    actions: Type.Optional(Actions),
    client_id: ClientId,
  },
  { additionalProperties: false },
);

export const PatchResourceTypeBody = PatchBody(
  Type.Object({
    name: Type.Optional(Name),
    slug: Type.Optional(Name),
    description: Description,
    actions: Type.Optional(Actions),
    client_id: ClientId,
  }),
  'Patch Operation Resource-Type',
);
