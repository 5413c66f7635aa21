import type { FastifyError } from 'fastify';
import { isSqliteBusy } from '../../platform/db/sqlite-driver.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { AppError, badRequest } from '../../platform/errors/app-error.js';
import { validationProblems } from './validation.js';

/** How a face writes an AppError: its contract's error body, and extra headers. */
export type ErrorRenderer = (error: AppError, requestId: string) => { body: unknown; contentType?: string };

/** Maps anything thrown in a request to an AppError; unknown errors become `internal`. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // A race the service's own check lost (two creates of one name at once): a conflict, not a 500.
  if (isUniqueViolation(error))
    return new AppError('conflict', 'A record with the same name or key already exists', {
      scimType: 'uniqueness',
    });
  // A write that waited SQLITE_LOCK_WAIT_MS for SQLite's write lock (a long sync apply holds it).
  if (isSqliteBusy(error))
    return new AppError('unavailable', 'The database is busy applying a large write; retry shortly', {
      retryAfterSeconds: 5,
    });
  const fe = error as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (fe.validation && Array.isArray(fe.validation)) {
    return badRequest(validationProblems(fe.validation, fe.validationContext ?? 'body'));
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'Request body is larger than this route accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        'unsupported_media_type',
        'Content-Type is not supported by this route; send application/json',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('bad_request', 'body: is empty but Content-Type is application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('bad_request', `body: is not valid JSON (${fe.message ?? 'parse error'})`);
  }
  if (fe instanceof SyntaxError || fe.statusCode === 400) {
    return new AppError('bad_request', `body: is not valid JSON (${fe.message ?? 'parse error'})`);
  }
  if (fe.statusCode === 413) return new AppError('payload_too_large', 'Request body is too large');
  if (fe.statusCode === 415)
    return new AppError('unsupported_media_type', fe.message ?? 'Unsupported media type');
  if (fe.statusCode === 429) return new AppError('rate_limited', fe.message ?? 'Rate limit exceeded');
  if (fe.statusCode === 404) return new AppError('not_found', fe.message ?? 'Not found');
  return new AppError('internal', 'Internal server error');
}

/** The native admin API's error shape: `{error: {code, message, details}, requestId}`. */
export const renderNativeError: ErrorRenderer = (error, requestId) => ({
  body: {
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
    requestId,
  },
});
