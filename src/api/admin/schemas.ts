import { type TSchema, Type } from '@sinclair/typebox';

/** The native admin API's error body. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
  requestId: Type.String(),
});

/** Error responses every authenticated admin route can give. */
export function withErrors(responses: Record<number, TSchema>): Record<number, TSchema> {
  return { ...responses, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody };
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
