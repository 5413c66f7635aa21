import { AppError } from '../../platform/errors/app-error.js';
import { decodeCursor } from './cursor.js';
import type { ListCustomField, ListDefinition, ListFilter, ListRequest } from './list.types.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Query parameters of every list; any other parameter is a filter. */
const RESERVED = new Set(['size', 'cursor', 'sort', 'fields']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function bad(message: string): AppError {
  return new AppError('bad_request', message);
}

/** A single text value of a query parameter (a repeated parameter is refused). */
function single(name: string, value: unknown): string {
  if (Array.isArray(value)) throw bad(`${name}: must be given once`);
  return String(value);
}

function parseSize(value: unknown, maxSize: number): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const text = single('size', value);
  if (!/^\d+$/.test(text)) throw bad('size: must be an integer');
  const size = Number(text);
  if (size < 1 || size > maxSize) throw bad(`size: must be between 1 and ${maxSize}`);
  return size;
}

function parseSort(value: unknown, def: ListDefinition): { key: string; descending: boolean } {
  const text = value === undefined || value === '' ? def.defaultSort : single('sort', value).trim();
  const descending = text.startsWith('-');
  const key = descending ? text.slice(1) : text;
  if (!def.fields[key]?.sort) {
    const sortable = Object.keys(def.fields).filter((k) => def.fields[k]?.sort);
    throw bad(`sort: cannot sort by '${key}' (sortable: ${sortable.join(', ')})`);
  }
  return { key, descending };
}

function parseFields(value: unknown, def: ListDefinition, custom: ListCustomField[]): string[] {
  const known = [...Object.keys(def.fields), ...custom.map((c) => c.key)];
  if (value === undefined || value === '') return known;
  const requested = single('fields', value)
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const key of requested) {
    if (!known.includes(key)) throw bad(`fields: unknown field '${key}'`);
  }
  return ['id', ...requested.filter((k) => k !== 'id')];
}

function parseNumber(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw bad(`${name}: must be a number`);
  return n;
}

function parseBoolean(name: string, text: string): number {
  if (text === 'true') return 1;
  if (text === 'false') return 0;
  throw bad(`${name}: must be true or false`);
}

function parseDate(name: string, text: string): string {
  if (!DATE.test(text)) throw bad(`${name}: must be a date (YYYY-MM-DD)`);
  return text;
}

function predefinedFilter(def: ListDefinition, key: string, text: string): ListFilter {
  const field = def.fields[key];
  switch (field?.filter) {
    case 'text':
      return { key, kind: 'text', values: [text] };
    case 'text_ci':
      return { key, kind: 'text_ci', values: [text.toLowerCase()] };
    case 'number':
      return { key, kind: 'number', values: [parseNumber(key, text)] };
    case 'boolean':
      return { key, kind: 'boolean', values: [parseBoolean(key, text)] };
    case 'date':
      return { key, kind: 'date', values: [parseDate(key, text)] };
    case 'enum': {
      const values = text.split(',').map((v) => v.trim());
      const allowed = field.values ?? [];
      const wrong = values.find((v) => !allowed.includes(v));
      if (wrong !== undefined) throw bad(`${key}: '${wrong}' is not one of ${allowed.join(', ')}`);
      return { key, kind: 'enum', values };
    }
    default:
      throw bad(`${key}: is not a filter of this list`);
  }
}

function customFilter(field: ListCustomField, text: string): ListFilter {
  const key = field.key;
  switch (field.type) {
    case 'number':
      return { key, kind: 'custom', values: [parseNumber(key, text)] };
    case 'boolean':
      return { key, kind: 'custom', values: [parseBoolean(key, text)] };
    case 'date':
      return { key, kind: 'custom', values: [parseDate(key, text)] };
    case 'single-select':
      if (!field.options.includes(text))
        throw bad(`${key}: '${text}' is not one of ${field.options.join(', ')}`);
      return { key, kind: 'custom', values: [text] };
    default:
      return { key, kind: 'custom', values: [text] };
  }
}

/**
 * Validates a list's query parameters against its definition and the entity's custom fields:
 * every problem is a 400 naming the parameter (`size`, `sort`, `fields`, `cursor`, or the filter).
 */
export function parseListRequest(
  query: Record<string, unknown>,
  def: ListDefinition,
  custom: ListCustomField[] = [],
  options: { maxSize?: number } = {},
): ListRequest {
  const size = parseSize(query.size, options.maxSize ?? MAX_PAGE_SIZE);
  const sort = parseSort(query.sort, def);
  const fields = parseFields(query.fields, def, custom);
  const filters: ListFilter[] = [];
  for (const [name, raw] of Object.entries(query)) {
    if (RESERVED.has(name) || raw === undefined) continue;
    const text = single(name, raw);
    const customField = def.fields[name] ? undefined : custom.find((c) => c.key === name);
    if (customField) filters.push(customFilter(customField, text));
    else if (def.fields[name]?.filter) filters.push(predefinedFilter(def, name, text));
    else throw bad(`${name}: unknown filter`);
  }
  const sortName = `${sort.descending ? '-' : ''}${sort.key}`;
  const cursor =
    query.cursor === undefined || query.cursor === ''
      ? undefined
      : decodeCursor(single('cursor', query.cursor), sortName, def.fields[sort.key]?.sortType ?? 'text');
  return { size, sort, fields, filters, cursor };
}
