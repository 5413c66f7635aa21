import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { encodeCursor } from './cursor.js';
import type { ListCustomField, ListDefinition } from './list.types.js';
import { parseListRequest } from './list-params.js';

const def: ListDefinition = {
  from: sql`t`,
  tenantColumn: 't.tenant_id',
  idColumn: 't.id',
  customColumn: 't.custom',
  defaultSort: 'name',
  fields: {
    id: { select: sql.ref('t.id'), sort: true },
    name: { select: sql.ref('t.name'), sort: true, filter: 'text_ci' },
    state: { select: sql.ref('t.state'), filter: 'enum', values: ['a', 'b'] },
    seats: { select: sql.ref('t.seats'), filter: 'number' },
    open: { select: sql.ref('t.open'), filter: 'boolean' },
  },
};
const custom: ListCustomField[] = [
  { key: 'region', type: 'single-select', options: ['EU', 'US'] },
  { key: 'score', type: 'number', options: [] },
];

describe('list parameters', () => {
  it('defaults: size 100, the default sort, every field', () => {
    const request = parseListRequest({}, def, custom);
    expect(request.size).toBe(100);
    expect(request.sort).toEqual({ key: 'name', descending: false });
    expect(request.fields).toEqual(['id', 'name', 'state', 'seats', 'open', 'region', 'score']);
  });

  it('parses sort, projection, filters and cursor', () => {
    const cursor = encodeCursor({ sort: '-name', value: 'x', id: 'i1' });
    const request = parseListRequest(
      {
        size: 5,
        sort: '-name',
        fields: 'name,region',
        state: 'a,b',
        open: 'true',
        score: '2.5',
        region: 'EU',
        cursor,
      },
      def,
      custom,
    );
    expect(request.size).toBe(5);
    expect(request.sort).toEqual({ key: 'name', descending: true });
    expect(request.fields).toEqual(['id', 'name', 'region']);
    expect(request.filters).toEqual([
      { key: 'state', kind: 'enum', values: ['a', 'b'] },
      { key: 'open', kind: 'boolean', values: [1] },
      { key: 'score', kind: 'custom', values: [2.5] },
      { key: 'region', kind: 'custom', values: ['EU'] },
    ]);
    expect(request.cursor).toEqual({ value: 'x', id: 'i1' });
  });

  it('answers 400 naming the parameter', () => {
    expect(() => parseListRequest({ size: '0' }, def)).toThrow(/^size: /);
    expect(() => parseListRequest({ size: '1001' }, def)).toThrow(/^size: /);
    expect(() => parseListRequest({ size: 'x' }, def)).toThrow(/^size: /);
    expect(() => parseListRequest({ sort: 'state' }, def)).toThrow(/^sort: cannot sort by 'state'/);
    expect(() => parseListRequest({ fields: 'name,bogus' }, def)).toThrow(/^fields: unknown field 'bogus'/);
    expect(() => parseListRequest({ bogus: '1' }, def)).toThrow(/^bogus: unknown filter/);
    expect(() => parseListRequest({ state: 'c' }, def)).toThrow(/^state: 'c' is not one of a, b/);
    expect(() => parseListRequest({ seats: 'many' }, def)).toThrow(/^seats: must be a number/);
    expect(() => parseListRequest({ region: 'APAC' }, def, custom)).toThrow(/^region: /);
    expect(() => parseListRequest({ cursor: 'nope' }, def)).toThrow(/^cursor: /);
  });
});
