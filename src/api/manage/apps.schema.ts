import { Type } from '@sinclair/typebox';
import { CustomValues, Item, Nullable } from './common.schema.js';

const State = Type.Unsafe<'discovered' | 'managed' | 'closed'>(
  Type.String({ enum: ['discovered', 'managed', 'closed'] }),
);

/** The contract's App (every field optional under `fields=`; custom values under their keys). */
export const App = Item({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  state: Type.String(),
  url: Type.String({ format: 'uri' }),
  activeUsers: Type.Integer(),
  totalUsers: Type.Integer(),
  totalLicenses: Type.Integer(),
  annualCost: Type.Number(),
  owner: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const AppParams = Type.Object({ idApp: Type.String({ minLength: 1, maxLength: 100 }) });

const appFields = {
  category: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  url: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  state: Type.Optional(State),
  owner: Type.Optional(Nullable(Type.String({ maxLength: 320, description: 'Owner email or user id' }))),
  customFields: Type.Optional(CustomValues),
};

export const AppCreate = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), ...appFields },
  { additionalProperties: false },
);

export const AppUpdate = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...appFields },
  { additionalProperties: false, minProperties: 1 },
);
