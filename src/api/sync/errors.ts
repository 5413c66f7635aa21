import type { ErrorRenderer } from '../http/errors.js';

/**
 * The push-sync face's error body, per the Zluri contract: `{error: <message>, code: <code>}`.
 * Record-level problems of a page ride along in `details` (an extension the contract allows).
 */
export const renderSyncError: ErrorRenderer = (error, requestId) => ({
  body: {
    error: error.message,
    code: error.code,
    ...(error.details ? { details: error.details } : {}),
    requestId,
  },
});
