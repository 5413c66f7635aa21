import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../platform/errors/app-error.js';
import { compileFilter } from './compile-sql.js';
import { parseFilter } from './parse.js';
import {
  CORE_USER,
  ENTERPRISE_USER,
  type FilterTestDb,
  filterTestMap,
  PEOPLE,
  postgresCompiler,
  seedFilterTestDb,
} from './test-fixture.js';

let db: Kysely<FilterTestDb>;
beforeAll(async () => {
  db = new Kysely<FilterTestDb>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await seedFilterTestDb(db);
});
afterAll(() => db.destroy());

async function ids(filter: string): Promise<string[]> {
  const where = compileFilter(parseFilter(filter), filterTestMap, 'sqlite');
  const rows = await db.selectFrom('people as p').select('p.id').where(where).orderBy('p.id').execute();
  return rows.map((row) => row.id);
}

const all = PEOPLE.map((p) => p.id);
const except = (...excluded: string[]) => all.filter((id) => !excluded.includes(id));
const pg = postgresCompiler();
function postgres(filter: string) {
  const where = compileFilter(parseFilter(filter), filterTestMap, 'postgres');
  return pg.selectFrom('people as p').select('p.id').where(where).compile();
}

describe('compileFilter on SQLite: each filter returns exactly the expected rows', () => {
  it.each<[string, string[] | 'invalid']>([
    // strings, case-insensitive (lowerColumn and lower())
    ['userName eq "alice@example.com"', ['u01']],
    ['USERNAME eq "ALICE@EXAMPLE.COM"', ['u01']],
    ['userName ne "alice@example.com"', except('u01')],
    ['title eq "engineer"', ['u01', 'u08']],
    ['title ne "engineer"', except('u01', 'u08')],
    ['title eq ""', ['u06']],
    ['title co "engineer"', ['u01', 'u02', 'u08', 'u09', 'u10']],
    ['title sw "ENGINEER"', ['u01', 'u08', 'u09', 'u10']],
    ['title ew "engineer"', ['u01', 'u02', 'u08']],
    ['title co ""', except('u03')],
    ['title gt "manager"', ['u02', 'u05']],
    ['title ge "Manager"', ['u02', 'u05', 'u07']],
    ['title lt "b"', ['u04', 'u06']],
    ['title le "engineer"', ['u01', 'u04', 'u06', 'u08']],
    ['title eq "x\' or 1=1 --"', []],
    // LIKE metacharacters are literal
    ['title co "%"', ['u04']],
    ['title co "_"', ['u09']],
    ['title sw "Engineer_"', ['u09']],
    ['userName ew "%"', ['u05']],
    ['userName co "_x"', ['u04']],
    ['userName co "\\\\"', []],
    // caseExact strings
    ['externalId eq "EXT-1"', ['u01']],
    ['externalId eq "ext-1"', []],
    ['externalId sw "ext"', ['u02', 'u05']],
    ['externalId sw "EXT"', ['u01', 'u04']],
    ['externalId co "def"', ['u09']],
    ['externalId ew "Def"', ['u08']],
    ['externalId co "_"', ['u04']],
    ['externalId co "\\\\"', ['u05']],
    ['externalId gt "a"', ['u02', 'u05', 'u09']],
    ['id eq "u01"', ['u01']],
    ['id eq "U01"', []],
    // presence and null
    ['title pr', except('u03', 'u06')],
    ['title ne null', except('u03', 'u06')],
    ['title eq null', ['u03', 'u06']],
    ['externalId pr', ['u01', 'u02', 'u04', 'u05', 'u08', 'u09']],
    ['name.givenName pr', except('u06')],
    ['name pr', except('u06')],
    ['emails pr', ['u01', 'u02', 'u04', 'u05', 'u07']],
    ['emails eq null', ['u03', 'u06', 'u08', 'u09', 'u10']],
    ['emails.type pr', ['u01', 'u02', 'u04', 'u05']],
    ['phoneNumbers pr', ['u02']],
    ['active pr', all],
    // not, with NULLs counted as "not matching"
    ['not (title eq "engineer")', except('u01', 'u08')],
    ['not (title co "e")', ['u03', 'u06']],
    ['not (score gt 5)', except('u01', 'u02')],
    ['not (not (score gt 5))', ['u01', 'u02']],
    ['not (active eq true) and not (title pr)', ['u03']],
    // numbers
    ['score gt 5', ['u01', 'u02']],
    ['score ge 5', ['u01', 'u02', 'u04']],
    ['score lt 0', ['u05']],
    ['score le 10', ['u01', 'u04', 'u05']],
    ['score eq 10', ['u01']],
    ['score ne 10', except('u01')],
    ['rating gt 4', ['u01', 'u05']],
    ['rating ge 4.5', ['u01', 'u05']],
    ['rating eq 3', ['u02']],
    // booleans: a 0/1 column, and `active` through its compare override
    ['admin eq true', ['u01']],
    ['admin eq FALSE', ['u02', 'u04']],
    ['admin ne true', except('u01')],
    ['admin eq "TRUE"', ['u01']],
    ['active eq true', except('u03', 'u05')],
    ['active eq True', except('u03', 'u05')],
    ['active eq "false"', ['u03', 'u05']],
    ['active ne true', ['u03', 'u05']],
    // dateTime
    ['meta.created gt "2026-01-01T00:00:00Z"', ['u02', 'u03', 'u07']],
    ['meta.created ge "2026-01-01T00:00:00Z"', except('u04')],
    ['meta.created lt "2026-01-01"', ['u04']],
    ['meta.created eq "2026-01-05T13:00:00+01:00"', ['u02']],
    ['meta.created eq "2026-01-05T12:00:00"', ['u02']],
    ['meta.lastModified pr', 'invalid'],
    // multi-valued attributes and value paths
    ['emails.value eq "alice@example.com"', ['u01']],
    ['emails eq "BOB@WORK.COM"', ['u02']],
    ['Emails.Value co "@x.com"', ['u04', 'u05', 'u07']],
    ['emails.type eq "work"', ['u01', 'u02', 'u04', 'u05']],
    ['emails.primary eq true', ['u01', 'u02', 'u05']],
    ['emails.type eq "work" and emails.value co "@x.com"', ['u04', 'u05']],
    ['emails[type eq "work" and value co "@x.com"]', ['u05']],
    ['emails[type eq "home" or primary eq true]', ['u01', 'u02', 'u04', 'u05']],
    ['emails[not (type eq "work")]', ['u01', 'u04', 'u07']],
    ['emails[type eq "work"].value eq "dave@corp.com"', ['u04']],
    ['emails[type eq "home"].value eq "dave@corp.com"', []],
    ['EMAILS[TYPE eq "work"].VALUE sw "ALICE"', ['u01']],
    ['emails[type eq "work"].value pr', ['u01', 'u02', 'u04', 'u05']],
    ['name.givenName eq "alice"', ['u01']],
    ['NAME.GIVENNAME ne "alice"', except('u01')],
    // schema URNs
    [`${CORE_USER}:userName eq "carol"`, ['u03']],
    [`${CORE_USER.toUpperCase()}:USERNAME eq "carol"`, ['u03']],
    [`${CORE_USER}:name.givenName sw "a"`, ['u01']],
    [`${CORE_USER}:emails[type eq "work"].value co "@x"`, ['u05']],
    [`${ENTERPRISE_USER}:employeeNumber eq "1002"`, ['u02']],
    [`${ENTERPRISE_USER}:manager.value eq "u01"`, ['u02']],
    ['employeeNumber sw "100"', ['u01', 'u02']],
    ['manager.value eq "U01"', ['u04']],
    // precedence
    ['title eq "sales" or title eq "manager" and active eq false', ['u05']],
    ['(title eq "sales" or title eq "manager") and active eq true', ['u07']],
    ['title eq "sales" or userName eq "carol" and active eq false', ['u03', 'u05']],
    ['userName eq "carol" and active eq false or title eq "sales"', ['u03', 'u05']],
    ['userName eq "carol" and (active eq true or title eq "sales")', []],
  ])('%s', async (filter, expected) => {
    if (expected === 'invalid') {
      await expect(ids(filter)).rejects.toMatchObject({ details: { scimType: 'invalidFilter' } });
      return;
    }
    expect(await ids(filter)).toEqual(expected);
  });

  it('finds nothing for a random GUID', async () => {
    expect(await ids(`id eq "${randomUUID()}"`)).toEqual([]);
    expect(await ids(`userName eq "${randomUUID()}" or externalId eq "${randomUUID()}"`)).toEqual([]);
  });
});

describe('compileFilter errors', () => {
  it.each([
    ['foo eq "x"', "Unknown attribute 'foo'"],
    ['constructor eq "x"', "Unknown attribute 'constructor'"],
    ['emails.foo eq "x"', "Unknown attribute 'emails.foo'"],
    ['userName.x eq "y"', "has no sub-attribute 'x'"],
    ['emails[foo eq 1]', "Unknown attribute 'emails.foo'"],
    ['title[value eq "x"]', 'cannot take a value filter'],
    [`${ENTERPRISE_USER}:userName eq "carol"`, 'Unknown attribute'],
    [`${CORE_USER}:employeeNumber eq "1"`, 'Unknown attribute'],
    ['urn:example:nope:userName eq "x"', 'Unknown attribute'],
    ['name eq "x"', 'is complex'],
    ['title co null', "cannot compare 'title' with null"],
    ['title eq true', 'is a string'],
    ['score eq 1.5', 'is an integer'],
    ['score eq "10"', 'is a number'],
    ['score co 1', "Operator 'co' is not supported"],
    ['rating eq 1e999', 'is a number'],
    ['admin gt true', "Operator 'gt' is not supported"],
    ['admin eq 1', 'is boolean'],
    ['active gt true', "Operator 'gt' is not supported for attribute 'active'"],
    ['active eq "yes"', 'not supported'],
    ['meta.created gt "yesterday"', 'not a valid date'],
    ['meta.created eq 5', 'not a valid date'],
    ['meta.created co "2026"', "Operator 'co' is not supported"],
  ])('%s → invalidFilter (%s)', (filter, message) => {
    let caught: unknown;
    try {
      compileFilter(parseFilter(filter), filterTestMap, 'sqlite');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect(caught).toMatchObject({ code: 'bad_request', details: { scimType: 'invalidFilter' } });
    expect(caught instanceof Error ? caught.message : '').toContain(message);
  });

  it('rejects a nested value path built by hand', () => {
    const inner = parseFilter('emails[type eq "work"]');
    expect(() =>
      compileFilter(
        { kind: 'valuePath', path: { attribute: 'emails' }, filter: inner },
        filterTestMap,
        'sqlite',
      ),
    ).toThrow(/Nested value filter/);
  });
});

describe('compileFilter SQL shape', () => {
  it('uses the lower-cased column with a JS-lowered value for eq', () => {
    const query = postgres('userName eq "Alice@Example.COM"');
    expect(query.sql).toContain('"p"."user_name_lc" = $1');
    expect(query.parameters).toEqual(['alice@example.com']);
  });

  it('escapes LIKE patterns and compares lower() on PostgreSQL', () => {
    const query = postgres('title co "50%_off\\\\"');
    expect(query.sql).toContain(`(lower("p"."title") like lower($1) escape '\\')`);
    expect(query.parameters).toEqual(['%50\\%\\_off\\\\%']);
  });

  it('uses case-sensitive LIKE for caseExact on PostgreSQL, substr on SQLite', () => {
    const query = postgres('externalId sw "Ab"');
    expect(query.sql).toContain(`("p"."external_id" like $1 escape '\\')`);
    expect(query.parameters).toEqual(['Ab%']);
    const where = compileFilter(parseFilter('externalId sw "Ab"'), filterTestMap, 'sqlite');
    const sqlite = db.selectFrom('people as p').select('p.id').where(where).compile();
    expect(sqlite.sql).toContain('substr("p"."external_id", 1, length(?)) = ?');
  });

  it('orders strings by code point on PostgreSQL', () => {
    expect(postgres('title gt "m"').sql).toContain('(lower("p"."title") collate "C") > lower($1)');
  });

  it('keeps NULL rows in ne and not', () => {
    expect(postgres('title ne "x"').sql).toContain(
      '("p"."title" is null or lower("p"."title") <> lower($1))',
    );
    expect(postgres('not (title pr)').sql).toContain(
      '(not coalesce((("p"."title" is not null and "p"."title" <> \'\')), false))',
    );
  });

  it('compiles a value path into ONE exists over the whole inner predicate', () => {
    const query = postgres('emails[type eq "work" and value co "@x.com"]');
    expect(query.sql.match(/exists/g)).toHaveLength(1);
    expect(query.sql).toContain(
      `and (((lower("v"."type") = lower($1)) and ("v"."value_lc" like $2 escape '\\')))`,
    );
    expect(query.parameters).toEqual(['work', '%@x.com%']);
  });

  it('normalises dates to ISO-8601 UTC text and booleans to 0/1', () => {
    expect(postgres('meta.created gt "2026-01-05T13:00:00+01:00"').parameters).toEqual([
      '2026-01-05T12:00:00.000Z',
    ]);
    expect(postgres('admin eq true').parameters).toEqual([1]);
  });
});
