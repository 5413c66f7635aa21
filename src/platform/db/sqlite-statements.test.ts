import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteDatabase } from './sqlite-statements.js';

describe('sqliteDatabase', () => {
  const open = () => {
    const sqlite = new SQLite(':memory:');
    sqlite.exec(`create table t (id integer primary key, name text, "odd ""name""" text)`);
    sqlite.exec(`insert into t values (1, 'a', 'x'), (2, null, 'y')`);
    return { sqlite, db: sqliteDatabase(sqlite) };
  };

  it('gives reader rows as the objects better-sqlite3 would', () => {
    const { sqlite, db } = open();
    const text = 'select * from t order by id';
    expect(db.prepare(text).all([])).toEqual(sqlite.prepare(text).all());
    expect(db.prepare(text).all([])[0]).toEqual({ id: 1, name: 'a', 'odd "name"': 'x' });
    const returning = db.prepare('insert into t (id, name) values (?, ?) returning id, name');
    expect(returning.reader).toBe(true);
    expect(returning.all([3, 'c'])).toEqual([{ id: 3, name: 'c' }]);
    const write = db.prepare('update t set name = ? where id = ?');
    expect(write.reader).toBe(false);
    expect(write.run(['b', 2]).changes).toBe(1);
  });

  it('keeps a column named __proto__ as a plain property', () => {
    const { db } = open();
    const [row] = db.prepare(`select 1 as "__proto__", 2 as b`).all([]) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row ?? {})).toEqual(['__proto__', 'b']);
    expect(row?.b).toBe(2);
  });

  it('follows a cached statement whose columns changed with the schema', () => {
    const { sqlite, db } = open();
    const text = 'select * from t where id = ?';
    expect(db.prepare(text).all([1])).toEqual([{ id: 1, name: 'a', 'odd "name"': 'x' }]);
    sqlite.exec(`alter table t add column extra text default 'e'`);
    expect(db.prepare(text).all([1])).toEqual([{ id: 1, name: 'a', 'odd "name"': 'x', extra: 'e' }]);
  });
});
