import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../../platform/db/db.js';
import type { AttributeMap } from './filter/attributes.js';
import { compileFilter } from './filter/compile-sql.js';
import { parseFilter } from './filter/parse.js';
import type { SortColumn } from './filter-maps.js';
import { scimError } from './scim-error.js';

/** The query of a list or `.search` request (RFC 7644 §3.4.2). */
export interface ListRequest {
  filter?: string | undefined;
  startIndex?: number | undefined;
  count?: number | undefined;
  sortBy?: string | undefined;
  sortOrder?: string | undefined;
  attributes?: string | undefined;
  excludedAttributes?: string | undefined;
}

export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 200;

export interface CompiledList {
  where: Expression<SqlBool> | undefined;
  sortColumn: string;
  /** Whether the sort column may be null (such rows then go last ascending, first descending). */
  sortNullable: boolean;
  descending: boolean;
  offset: number;
  limit: number;
  startIndex: number;
}

/**
 * Turns list parameters into SQL pieces: the filter compiled (never evaluated in memory), the sort
 * column from an allow-list (whether it may be null too: RFC 7644 §3.4.2.3 sorts resources without
 * a value last when ascending, first when descending), and 1-based `startIndex`/`count` clamped per RFC 7644 §3.4.2.4.
 */
/** 1-based `startIndex` and `count` clamped per RFC 7644 §3.4.2.4 (count 100 unless given, at most 200). */
export function pageBounds(request: { startIndex?: number | undefined; count?: number | undefined }): {
  startIndex: number;
  count: number;
} {
  return {
    startIndex: Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, Math.floor(request.startIndex ?? 1) || 1)),
    count: Math.min(MAX_COUNT, Math.max(0, Math.floor(request.count ?? DEFAULT_COUNT) || 0)),
  };
}

export function compileList(
  request: ListRequest,
  map: AttributeMap,
  sortColumns: Record<string, SortColumn>,
  dialect: Dialect,
): CompiledList {
  const where = request.filter?.trim() ? compileFilter(parseFilter(request.filter), map, dialect) : undefined;
  const { startIndex, count } = pageBounds(request);
  let sort = sortColumns.id ?? { column: 'id', nullable: false };
  if (request.sortBy) {
    const key = request.sortBy.replace(/^urn:[^ ]*:(?=[^:]+$)/i, '').toLowerCase();
    const column = sortColumns[key];
    if (!column) throw scimError('invalidValue', `sortBy: '${request.sortBy}' is not a sortable attribute`);
    sort = column;
  }
  const order = request.sortOrder?.toLowerCase();
  if (order && order !== 'ascending' && order !== 'descending')
    throw scimError('invalidValue', `sortOrder: must be ascending or descending, got '${request.sortOrder}'`);
  return {
    where,
    sortColumn: sort.column,
    sortNullable: sort.nullable,
    descending: order === 'descending',
    offset: startIndex - 1,
    limit: count,
    startIndex,
  };
}

/**
 * The sort column's direction, with `nulls last` (ascending) or `nulls first` (descending) when the
 * column may be null: SQLite and PostgreSQL otherwise disagree on where nulls go. The tie-break
 * on id takes the bare direction.
 */
export function sortDirection(q: { descending: boolean; sortNullable: boolean }): RawBuilder<unknown> {
  if (!q.sortNullable) return sql.raw(q.descending ? 'desc' : 'asc');
  return sql.raw(q.descending ? 'desc nulls first' : 'asc nulls last');
}
