import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('list cursors', () => {
  it('round-trips the sort value and id', () => {
    const token = encodeCursor({ sort: '-annualCost', value: 1200, id: 'app_1' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token, '-annualCost', 'number')).toEqual({ value: 1200, id: 'app_1' });
  });

  it('refuses garbage and cursors of another sort, naming the parameter', () => {
    expect(() => decodeCursor('!!!', 'id', 'text')).toThrow(/^cursor: /);
    expect(() => decodeCursor(Buffer.from('{"a":1}').toString('base64url'), 'id', 'text')).toThrow(
      /^cursor: /,
    );
    const token = encodeCursor({ sort: 'name', value: 'a', id: 'x' });
    expect(() => decodeCursor(token, 'id', 'text')).toThrow(/cursor: was issued for sort 'name'/);
  });

  it('refuses values of another type than the sort, and nulls', () => {
    const token = (value: unknown) =>
      Buffer.from(JSON.stringify(['annualCost', value, 'app_x'])).toString('base64url');
    expect(decodeCursor(token(1200), 'annualCost', 'number')).toEqual({ value: 1200, id: 'app_x' });
    expect(() => decodeCursor(token('abc'), 'annualCost', 'number')).toThrow(/^cursor: /);
    expect(() => decodeCursor(token('12'), 'annualCost', 'number')).toThrow(/^cursor: /);
    expect(() => decodeCursor(token(null), 'annualCost', 'number')).toThrow(/^cursor: /);
    expect(() => decodeCursor(token(1), 'annualCost', 'text')).toThrow(/^cursor: /);
    expect(() => decodeCursor(token(null), 'annualCost', 'text')).toThrow(/^cursor: /);
    expect(() => decodeCursor(token([1]), 'annualCost', 'text')).toThrow(/^cursor: /);
    expect(() => decodeCursor(encodeCursor({ sort: 'name', value: 1, id: 'x' }), 'name', 'text')).toThrow(
      /^cursor: /,
    );
  });
});
