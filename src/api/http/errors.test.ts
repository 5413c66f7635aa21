import { describe, expect, it } from 'vitest';
import { toAppError } from './errors.js';

describe('toAppError', () => {
  it('maps a unique-constraint violation that escaped a service (a lost race) to 409, not 500', () => {
    for (const code of ['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']) {
      const error = Object.assign(new Error('duplicate key'), { code });
      expect(toAppError(error)).toMatchObject({ code: 'conflict', status: 409 });
    }
    expect(toAppError(new Error('boom'))).toMatchObject({ code: 'internal', status: 500 });
  });

  it('maps a write that waited out the SQLite lock to 503 with a retry delay', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT']) {
      const error = Object.assign(new Error('database is locked'), { code });
      expect(toAppError(error)).toMatchObject({
        code: 'unavailable',
        status: 503,
        details: { retryAfterSeconds: 5 },
      });
    }
  });
});
