import { Type } from '@sinclair/typebox';

export const Token = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  hint: Type.String({
    description: 'The prefix and last four characters; the secret is never returned again',
  }),
  apiVersion: Type.String(),
  personId: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'owner, admin, viewer, integration, provisioning or a custom role',
    }),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    personId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    apiVersion: Type.Optional(Type.Union([Type.Literal('1.0'), Type.Literal('1.1')])),
  },
  { additionalProperties: false },
);

export const CreatedToken = Type.Object({
  token: Type.String({ description: 'The secret: shown once, store it now' }),
  tokenInfo: Token,
});
