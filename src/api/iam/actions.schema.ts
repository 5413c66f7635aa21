import { Type } from '@sinclair/typebox';
import { ClientId, Description, PatchBody } from './common.schema.js';

const Name = Type.String({ minLength: 1, maxLength: 128, description: 'e.g. `vault:open`' });

/** Create Action (contract `ActionCreateRequest`). */
export const CreateActionBody = Type.Object(
  { name: Name, description: Description, client_id: ClientId },
  { additionalProperties: false },
);

/** Update Actions (contract `ActionUpdateRequest`): the whole action. */
export const ReplaceActionBody = CreateActionBody;

export const PatchActionBody = PatchBody(
  Type.Object({ name: Type.Optional(Name), description: Description, client_id: ClientId }),
  'Patch Operation Action',
);
