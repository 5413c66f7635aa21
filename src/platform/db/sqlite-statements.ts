import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Row = Record<string, unknown>;

/**
 * Builds the object of a raw row (an array) for a statement's column names. better-sqlite3 makes
 * each row object in C++, setting its columns one by one through V8's API (a 22-column person row
 * cost ~6 µs of its 29); an object literal made in JavaScript gets its shape at once. Names are
 * JSON-quoted, so the source compiled here holds nothing but string literals and indexes.
 */
function rowFactory(names: readonly string[]): (values: unknown[]) => Row {
  if (names.includes('__proto__')) {
    return (values) => {
      const row: Row = {};
      for (const [i, name] of names.entries()) {
        Object.defineProperty(row, name, {
          value: values[i],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return row;
    };
  }
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  return new Function('v', `return { ${fields} };`) as (values: unknown[]) => Row;
}

/** A reader statement (select, or a write with `returning`) that runs in raw mode. */
function objectRows(statement: SQLite.Statement): SqliteStatement {
  statement.raw(true);
  let names = statement.columns().map((c) => c.name);
  let make = rowFactory(names);
  return {
    reader: true,
    all(parameters) {
      const rows = statement.all(parameters) as unknown[][];
      // A schema change re-prepares the statement; a different column count means new columns.
      if (rows.length > 0 && rows[0]?.length !== names.length) {
        names = statement.columns().map((c) => c.name);
        make = rowFactory(names);
      }
      return rows.map(make);
    },
    run: (parameters) => statement.run(parameters),
    *iterate(parameters) {
      for (const values of statement.iterate(parameters) as IterableIterator<unknown[]>) yield make(values);
    },
  };
}

/**
 * The database Kysely's SQLite dialect is given. better-sqlite3 prepares a statement per call, and
 * Kysely prepares on every query: a small LRU of prepared statements, keyed by SQL text, saves that
 * work on the hot paths (token lookup, SCIM filters, list pages). Long statements (bulk inserts
 * whose text varies with the row count) are not kept. Safe because Sightline never streams from
 * SQLite: a cached statement is never mid-iteration. Reader statements hand rows over as arrays
 * that become objects here (see rowFactory).
 */
export function sqliteDatabase(sqlite: SQLite.Database, size = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      const hit = cache.get(text);
      if (hit) {
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const prepared = sqlite.prepare(text);
      const statement = prepared.reader ? objectRows(prepared) : prepared;
      if (text.length <= 2000) {
        cache.set(text, statement);
        if (cache.size > size) cache.delete(cache.keys().next().value ?? '');
      }
      return statement;
    },
  };
}
