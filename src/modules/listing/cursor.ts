import { AppError } from '../../platform/errors/app-error.js';
import type { SortValueType } from './list.types.js';

/** What a cursor carries: the sort it was issued for, the last row's sort value and id. */
export interface CursorState {
  sort: string;
  value: unknown;
  id: string;
}

/** Encodes a keyset position as an opaque base64url token. */
export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify([state.sort, state.value, state.id]), 'utf8').toString('base64url');
}

function isSortValue(value: unknown, type: SortValueType): boolean {
  return type === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === 'string';
}

/**
 * Decodes a cursor issued for `sort`, whose values are of `valueType`; a malformed cursor, one
 * issued for another sort, or one whose value is not of the sort's type (sort values are never
 * null) is a 400 naming the `cursor` parameter.
 */
export function decodeCursor(
  token: string,
  sort: string,
  valueType: SortValueType,
): { value: unknown; id: string } {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('bad_request', 'cursor: is not a cursor returned by this list');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[2] !== 'string'
  ) {
    throw new AppError('bad_request', 'cursor: is not a cursor returned by this list');
  }
  if (parsed[0] !== sort) {
    throw new AppError('bad_request', `cursor: was issued for sort '${parsed[0]}', not '${sort}'`);
  }
  // The id sort's value is the id itself (text); other sorts compare the value in SQL, where a
  // value of another type would compare across types instead of failing.
  if (!isSortValue(parsed[1], valueType)) {
    throw new AppError('bad_request', `cursor: is not a cursor returned by this list (bad ${sort} value)`);
  }
  return { value: parsed[1], id: parsed[2] };
}
