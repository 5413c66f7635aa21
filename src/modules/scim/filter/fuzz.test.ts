import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** mulberry32: a small seeded PRNG, so every run feeds the same inputs. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(20260102);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] ?? items[0]!;

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
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Co', 'xx'];
const VALUES = [
  '"x"',
  '""',
  '"%"',
  '"_"',
  '"\\\\"',
  '"\\""',
  '"\\u00e9"',
  '"Alice"',
  '"2026-01-01T00:00:00Z"',
  '"yesterday"',
  '"true"',
  '0',
  '-1.5',
  '10',
  '1e999',
  'true',
  'False',
  'null',
  '"a\' or 1=1 --"',
];
const SUB_FILTERS = ['type eq "work"', 'value co "@x"', 'primary eq true', 'not (type pr)', 'nope eq 1'];
const NOISE = [
  ' ',
  '(',
  ')',
  '[',
  ']',
  '"',
  '.',
  ':',
  '\\',
  '%',
  '_',
  'and',
  'or',
  'not',
  'pr',
  'eq',
  'a',
  '1',
  '-',
];

function generate(depth: number): string {
  const roll = depth > 3 ? int(4) : int(9);
  if (roll === 0) return `${pick(PATHS)} pr`;
  if (roll <= 3) return `${pick(PATHS)} ${pick(OPS)} ${pick(VALUES)}`;
  if (roll === 4) return `${generate(depth + 1)} ${pick(['and', 'or', 'AND', 'Or'])} ${generate(depth + 1)}`;
  if (roll === 5) return `not (${generate(depth + 1)})`;
  if (roll === 6) return `(${generate(depth + 1)})`;
  if (roll === 7) return `emails[${pick(SUB_FILTERS)} ${pick(['and', 'or'])} ${pick(SUB_FILTERS)}]`;
  return `emails[${pick(SUB_FILTERS)}].${pick(['value', 'type', 'Value', 'nope'])} ${pick(OPS)} ${pick(VALUES)}`;
}

function mutate(text: string): string {
  let out = text;
  for (let n = 1 + int(3); n > 0; n--) {
    const at = int(out.length + 1);
    const roll = int(5);
    if (roll === 0) out = out.slice(0, at) + out.slice(at + 1 + int(3));
    else if (roll === 1) out = out.slice(0, at) + pick(NOISE) + out.slice(at);
    else if (roll === 2) out = out.slice(0, at);
    else if (roll === 3) out = out.slice(0, at) + out.slice(int(out.length)) + out.slice(at);
    else out = out.slice(0, at) + String.fromCharCode(int(0x3000)) + out.slice(at);
  }
  return out;
}

function inputs(count: number): string[] {
  const out: string[] = [];
  while (out.length < count) {
    const roll = int(10);
    if (roll < 4) out.push(generate(0));
    else if (roll < 8) out.push(mutate(generate(0)));
    else out.push(Array.from({ length: int(30) }, () => pick(NOISE)).join(int(2) ? ' ' : ''));
  }
  // Hostile shapes: deep nesting, long chains, long literals.
  const nested = (n: number, open: string, close: string) => `${open.repeat(n)}title pr${close.repeat(n)}`;
  out.push(nested(49, '(', ')'), nested(51, '(', ')'), nested(2000, '(', ')'), nested(60, 'not (', ')'));
  out.push(Array.from({ length: 250 }, (_, i) => `score eq ${i}`).join(' or '));
  out.push(
    Array.from({ length: 250 }, (_, i) => `not (title co "${i}")`)
      .join(' and ')
      .slice(0, 4096),
  );
  out.push(
    `title eq "${'x'.repeat(4000)}"`,
    `title eq "${'x'.repeat(5000)}"`,
    '['.repeat(3000),
    '"'.repeat(4097),
  );
  return out;
}

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
    const cases = inputs(3000);
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
