import { Type } from '@sinclair/typebox';
import { ClientId, Description, PatchBody } from './common.schema.js';

const Name = Type.String({ minLength: 1, maxLength: 1000 });
const Slug = Type.String({ minLength: 1, maxLength: 128, description: 'Lower-case; statements may name it' });
const TypeRef = Type.String({ minLength: 1, maxLength: 200, description: 'Resource type id or name' });

/** Create Resource (contract `ResourceCreateRequest`). */
export const CreateResourceBody = Type.Object(
  { name: Name, slug: Type.Optional(Slug), description: Description, type: TypeRef, client_id: ClientId },
  { additionalProperties: false },
);

/** Replace Resource (contract `ResourceReplaceRequest`): may move the resource to another type. */
export const ReplaceResourceBody = Type.Object(
  { name: Name, slug: Slug, description: Description, type: TypeRef, client_id: ClientId },
  { additionalProperties: false },
);

export const PatchResourceBody = PatchBody(
  Type.Object({
    name: Type.Optional(Name),
    slug: Type.Optional(Slug),
    description: Description,
    type: Type.Optional(TypeRef),
    client_id: ClientId,
  }),
  'Patch Operation Resource',
);
