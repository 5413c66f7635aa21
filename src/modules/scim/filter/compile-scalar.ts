import { type Expression, type SqlBool, sql } from 'kysely';
import type { CompareOp } from './ast.js';
import type { ScalarAttribute } from './attributes.js';
import { invalidFilter } from './resolve.js';

/** The SQL dialects a filter compiles to (same values as the store's `Dialect`). */
export type SqlDialect = 'sqlite' | 'postgres';

type Value = string | number | boolean;
type Operand = Expression<unknown>;

const SQL_OPS: Record<Exclude<CompareOp, 'co' | 'sw' | 'ew'>, string> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

/**
 * One comparison on one scalar attribute (a non-null literal): the attribute's own `compare` first,
 * else by SCIM type. Unsupported operators and wrong literal types are invalidFilter.
 */
export function compareScalar(
  attribute: ScalarAttribute,
  name: string,
  op: CompareOp,
  raw: Value,
  dialect: SqlDialect,
): Expression<SqlBool> {
  const value = attribute.type === 'boolean' ? toBoolean(raw) : raw;
  if (attribute.compare) {
    const custom = attribute.compare(op, value);
    if (!custom)
      throw invalidFilter(
        `Operator '${op}' is not supported for attribute '${name}' with value ${json(raw)}`,
      );
    return sql<SqlBool>`(${custom})`; // parenthesised: the override may use `or`
  }
  switch (attribute.type) {
    case 'boolean':
      if (op !== 'eq' && op !== 'ne') throw unsupported(op, name);
      if (typeof value !== 'boolean')
        throw invalidFilter(`Attribute '${name}' is boolean: compare it with true or false`);
      return plain(attribute.column, op, value ? 1 : 0);
    case 'integer':
    case 'decimal':
      return compareNumber(attribute, name, op, value);
    case 'dateTime':
      return compareDate(attribute, name, op, value);
    default:
      return compareString(attribute, name, op, value, dialect);
  }
}

function compareNumber(attribute: ScalarAttribute, name: string, op: CompareOp, value: Value) {
  if (op === 'co' || op === 'sw' || op === 'ew') throw unsupported(op, name);
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidFilter(`Attribute '${name}' is a number: compare it with a number, not ${json(value)}`);
  if (attribute.type === 'integer' && !Number.isInteger(value))
    throw invalidFilter(`Attribute '${name}' is an integer: compare it with an integer, not ${value}`);
  return plain(attribute.column, op, value);
}

/** Timestamps are ISO-8601 UTC text in every store, so the literal is normalised to that form. */
function compareDate(attribute: ScalarAttribute, name: string, op: CompareOp, value: Value) {
  if (op === 'co' || op === 'sw' || op === 'ew') throw unsupported(op, name);
  const date = typeof value === 'string' ? parseDateTime(value) : undefined;
  if (!date) throw invalidFilter(`Attribute '${name}' is a dateTime: ${json(value)} is not a valid date`);
  return plain(attribute.column, op, date.toISOString());
}

function compareString(
  attribute: ScalarAttribute,
  name: string,
  op: CompareOp,
  raw: Value,
  dialect: SqlDialect,
) {
  if (typeof raw === 'boolean')
    throw invalidFilter(`Attribute '${name}' is a string: compare it with a "string"`);
  const value = String(raw);
  if (attribute.caseExact) {
    if (op === 'co' || op === 'sw' || op === 'ew') return exactMatch(attribute.column, op, value, dialect);
    return plain(ordered(attribute.column, op, dialect), op, value);
  }
  // Case-insensitive: an indexed lower-cased copy when the map has one (value lowered here, as the
  // copy was), else lower() on both sides so the database's own folding applies to both.
  const lowerColumn = attribute.lowerColumn;
  const target: Operand = lowerColumn ?? sql`lower(${attribute.column})`;
  const lowered = (v: string): Operand => (lowerColumn ? sql`${v.toLowerCase()}` : sql`lower(${v})`);
  if (op === 'co' || op === 'sw' || op === 'ew')
    return sql<SqlBool>`(${target} like ${lowered(likePattern(op, value))} escape '\\')`;
  return plain(ordered(target, op, dialect), op, lowered(value), lowerColumn ?? attribute.column);
}

/** Case-sensitive co/sw/ew: LIKE on PostgreSQL; instr/substr on SQLite, whose LIKE ignores case. */
function exactMatch(column: Operand, op: 'co' | 'sw' | 'ew', value: string, dialect: SqlDialect) {
  if (value === '') return sql<SqlBool>`(${column} is not null)`;
  if (dialect === 'postgres') return sql<SqlBool>`(${column} like ${likePattern(op, value)} escape '\\')`;
  if (op === 'co') return sql<SqlBool>`(instr(${column}, ${value}) > 0)`;
  if (op === 'sw') return sql<SqlBool>`(substr(${column}, 1, length(${value})) = ${value})`;
  return sql<SqlBool>`(length(${column}) >= length(${value}) and substr(${column}, -length(${value})) = ${value})`;
}

/** `ne` also matches a missing value (SCIM: an absent attribute is "not equal"). */
function plain(
  column: Operand,
  op: Exclude<CompareOp, 'co' | 'sw' | 'ew'>,
  value: unknown,
  nullable: Operand = column,
): Expression<SqlBool> {
  if (op === 'ne') return sql<SqlBool>`(${nullable} is null or ${column} <> ${value})`;
  return sql<SqlBool>`(${column} ${sql.raw(SQL_OPS[op])} ${value})`;
}

/** Orders strings by code point on PostgreSQL too (SQLite's BINARY collation already does). */
function ordered(column: Operand, op: CompareOp, dialect: SqlDialect): Operand {
  const isOrdering = op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
  return isOrdering && dialect === 'postgres' ? sql`(${column} collate "C")` : column;
}

/**
 * A SCIM dateTime literal as a Date, or undefined when unparsable. A time without a zone is read as
 * UTC (not the server's local time), so results do not depend on where the server runs.
 */
export function parseDateTime(text: string): Date | undefined {
  const zoneless = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text);
  const date = new Date(zoneless ? `${text}Z` : text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A LIKE pattern matching `value` literally (with `\` as the escape character). */
export function likePattern(op: 'co' | 'sw' | 'ew', value: string): string {
  const escaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
  if (op === 'sw') return `${escaped}%`;
  if (op === 'ew') return `%${escaped}`;
  return `%${escaped}%`;
}

function toBoolean(value: Value): Value {
  if (typeof value !== 'string') return value;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : value;
}

function unsupported(op: CompareOp, name: string) {
  return invalidFilter(`Operator '${op}' is not supported for attribute '${name}'`);
}

function json(value: Value): string {
  return JSON.stringify(value);
}
