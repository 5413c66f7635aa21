import { ERROR } from '../../modules/scim/schemas.js';
import type { ErrorRenderer } from '../http/errors.js';

/**
 * The IAM face's error body. The contract documents no error responses; StackSpot's IAM is a SCIM
 * provider, so errors take the RFC 7644 §3.12 shape (`status` as a string, `detail`). `scimType`
 * comes from the error's details (`uniqueness` for duplicate names, `mutability` for built-in
 * rows); a plain 400 is `invalidValue`. A 409 for an object still in use carries no `scimType`:
 * SCIM's only 409 type, `uniqueness`, would mislead.
 */
export const renderIamError: ErrorRenderer = (error, requestId) => {
  const scimType =
    typeof error.details?.scimType === 'string'
      ? error.details.scimType
      : error.status === 400
        ? 'invalidValue'
        : undefined;
  return {
    contentType: 'application/scim+json; charset=utf-8',
    body: {
      schemas: [ERROR],
      status: String(error.status),
      ...(scimType ? { scimType } : {}),
      detail: error.message,
      requestId,
    },
  };
};
