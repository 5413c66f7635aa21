import { STATUS_CODES } from 'node:http';
import type { ErrorRenderer } from '../http/errors.js';

/**
 * The management face's error body, per the Torii contract: `{error, message}` — `error` is the
 * HTTP reason phrase, `message` says what is wrong and names the field. Sightline adds the
 * status, its error code, details and the request id.
 */
export const renderManageError: ErrorRenderer = (error, requestId) => ({
  body: {
    statusCode: error.status,
    error: STATUS_CODES[error.status] ?? 'Error',
    message: error.message,
    code: error.code,
    ...(error.details ? { details: error.details } : {}),
    requestId,
  },
});
