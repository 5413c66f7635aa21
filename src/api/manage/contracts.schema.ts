import { Type } from '@sinclair/typebox';
import { CustomValues, Item, Nullable } from './common.schema.js';

export const Contract = Item({
  id: Type.String(),
  appId: Type.String(),
  appName: Type.String(),
  name: Type.String(),
  status: Type.String(),
  startDate: Type.String({ format: 'date' }),
  endDate: Type.String({ format: 'date' }),
  renewalDate: Type.String({ format: 'date' }),
  annualCost: Type.Number(),
  currency: Type.String(),
  owner: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ContractParams = Type.Object({ idContract: Type.String({ minLength: 1, maxLength: 100 }) });

const Day = Nullable(Type.String({ format: 'date' }));

const updatable = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  status: Type.Optional(Type.String({ enum: ['active', 'expired', 'cancelled'] })),
  startDate: Type.Optional(Day),
  endDate: Type.Optional(Day),
  renewalDate: Type.Optional(Day),
  annualCost: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1e12 }))),
  currency: Type.Optional(Nullable(Type.String({ minLength: 3, maxLength: 3 }))),
  owner: Type.Optional(Nullable(Type.String({ maxLength: 320, description: 'Owner email or user id' }))),
  customFields: Type.Optional(CustomValues),
};

/** The contract's ContractUpdate: every field optional; Sightline adds customFields. */
export const ContractUpdate = Type.Object(updatable, { additionalProperties: false });

export const ContractCreate = Type.Object(
  {
    ...updatable,
    appId: Type.String({ minLength: 1, maxLength: 100 }),
    name: Type.String({ minLength: 1, maxLength: 300 }),
  },
  { additionalProperties: false },
);
