import { ERROR } from '../../modules/scim/schemas.js';
import type { ErrorRenderer } from '../http/errors.js';

const defaultType: Record<number, string | undefined> = { 400: 'invalidValue', 409: 'uniqueness' };

/** The SCIM face's error body (RFC 7644 §3.12): `status` as a string, `scimType` where defined. */
export const renderScimError: ErrorRenderer = (error, requestId) => {
  const scimType =
    typeof error.details?.scimType === 'string' ? error.details.scimType : defaultType[error.status];
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
