/**
 * Error codes the domain raises, each with its HTTP status. Faces render them in their contract's
 * format; modules never know about HTTP beyond this table.
 */
export const errorStatus = {
  /** The request is malformed: bad JSON, a field of the wrong type, an unknown field. */
  bad_request: 400,
  /** No credentials, or credentials that do not match an active token. */
  unauthorized: 401,
  /** The caller is authenticated but its roles lack the action. */
  forbidden: 403,
  /** The object does not exist in the caller's tenant (other tenants' objects included). */
  not_found: 404,
  /** The operation conflicts with current state (a running sync, a duplicate name). */
  conflict: 409,
  /** A precondition header (If-Match) does not hold. */
  precondition_failed: 412,
  /** The body exceeds the route's size limit. */
  payload_too_large: 413,
  /** The content type is not accepted by the route. */
  unsupported_media_type: 415,
  /** The request is well-formed but its records break the domain rules. */
  unprocessable: 422,
  /** A sync finish would deactivate more of an instance's accounts than the guard allows; held for approval. */
  mass_deactivation_guard: 400,
  /** The caller exceeded its rate limit. */
  rate_limited: 429,
  /** Something unexpected; details are logged, never returned. */
  internal: 500,
  /** A dependency (database, queue) is unavailable. */
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface FieldProblem {
  /** Where: a JSON pointer-ish path (`/data/3/email`) or a parameter name. */
  field: string;
  problem: string;
  /** Index of the record in a page or row in a file, when the problem is record-level. */
  index?: number;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: { problems?: FieldProblem[]; [key: string]: unknown },
  ) {
    super(message);
    this.name = 'AppError';
    this.status = errorStatus[code];
  }
}

export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `${what} ${id} not found`);
}

export function badRequest(problems: FieldProblem[]): AppError {
  const first = problems[0];
  const message = first ? `${first.field}: ${first.problem}` : 'Invalid request';
  return new AppError(
    'bad_request',
    problems.length > 1 ? `${message} (and ${problems.length - 1} more)` : message,
    {
      problems,
    },
  );
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
