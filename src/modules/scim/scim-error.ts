import { AppError, type ErrorCode } from '../../platform/errors/app-error.js';

/** RFC 7644 §3.12 scimType values Sightline raises. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** An AppError carrying the SCIM error type (the SCIM face renders it per RFC 7644 §3.12). */
export function scimError(scimType: ScimType, detail: string, code: ErrorCode = 'bad_request'): AppError {
  return new AppError(code, detail, { scimType });
}
