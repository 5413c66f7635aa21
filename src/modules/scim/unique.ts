import type { Db, Executor } from '../../platform/db/db.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { scimError } from './scim-error.js';

/**
 * A transaction runner for one resource type: a unique-index violation (a userName or displayName
 * taken meanwhile by another request) becomes SCIM's 409 `uniqueness` naming the attribute.
 */
export function uniqueTransaction(db: Db, attribute: string) {
  return async <T>(fn: (trx: Executor) => Promise<T>): Promise<T> => {
    try {
      return await db.transaction().execute(fn);
    } catch (error) {
      if (isUniqueViolation(error))
        throw scimError('uniqueness', `${attribute} is already taken`, 'conflict');
      throw error;
    }
  };
}
