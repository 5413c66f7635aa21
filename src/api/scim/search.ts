import type { ListRequest } from '../../modules/scim/list-params.js';
import { scimError } from '../../modules/scim/scim-error.js';

/** A SearchRequest body (RFC 7644 §3.4.3) as list parameters; attribute lists may be arrays. */
export function searchRequest(body: unknown): ListRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw scimError('invalidSyntax', 'The search body must be a SearchRequest object');
  }
  const b = body as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
    if (typeof v === 'string') return v;
    throw scimError('invalidValue', `${key}: expected a string`);
  };
  const int = (key: string): number | undefined => {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
    throw scimError('invalidValue', `${key}: expected an integer`);
  };
  return {
    filter: text('filter'),
    startIndex: int('startIndex'),
    count: int('count'),
    sortBy: text('sortBy'),
    sortOrder: text('sortOrder'),
    attributes: text('attributes'),
    excludedAttributes: text('excludedAttributes'),
  };
}
