import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterInputs } from '../../../../test/helpers/filter-inputs.js';
import { AppError } from '../../../platform/errors/app-error.js';
import { compileFilter } from './compile-sql.js';
import { evaluateFilter } from './evaluate.js';
import { parseFilter } from './parse.js';
import {
  CORE_USER,
  ENTERPRISE_USER,
  type FilterTestDb,
  filterTestMap,
  seedFilterTestDb,
} from './test-fixture.js';

const PATHS = [
  'userName',
  'USERNAME',
  'title',
  'externalId',
  'id',
  'score',
  'rating',
  'admin',
  'active',
  'name.givenName',
  'Name.GivenName',
  'name',
  'emails',
  'emails.value',
  'Emails.Type',
  'emails.primary',
  'phoneNumbers',
  'meta.created',
  'meta.lastModified',
  'employeeNumber',
  'manager.value',
  `${CORE_USER}:userName`,
  `${ENTERPRISE_USER}:manager.value`,
  `${ENTERPRISE_USER}:employeeNumber`,
  'unknown',
  'emails.nope',
  'a.b',
];

let db: Kysely<FilterTestDb>;
beforeAll(async () => {
  db = new Kysely<FilterTestDb>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await seedFilterTestDb(db);
});
afterAll(() => db.destroy());

const element = {
  userName: 'a',
  emails: [{ type: 'work', value: 'a@x.com', primary: true }],
  meta: { created: '2026-01-01T00:00:00.000Z' },
};

describe('filter fuzzing', () => {
  it('answers every input with a result or an invalidFilter AppError', async () => {
    const cases = filterInputs({ seed: 20260102, count: 3000, paths: PATHS });
    expect(cases.length).toBeGreaterThanOrEqual(2000);
    let accepted = 0;
    let rejected = 0;
    for (const text of cases) {
      try {
        const node = parseFilter(text);
        try {
          evaluateFilter(node, element);
        } catch (error) {
          if (!(error instanceof AppError) || error.details?.scimType !== 'invalidFilter') throw error;
        }
        const where = compileFilter(node, filterTestMap, 'sqlite');
        await db.selectFrom('people as p').select('p.id').where(where).execute();
        accepted++;
      } catch (error) {
        if (!(error instanceof AppError) || error.details?.scimType !== 'invalidFilter') {
          throw new Error(`Input ${JSON.stringify(text)} failed with ${String(error)}`, { cause: error });
        }
        rejected++;
      }
    }
    // Both outcomes must be well represented, or the generator is not exercising the compiler.
    expect(accepted).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(300);
  });
});
