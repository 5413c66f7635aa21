import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('list cursors', () => {
  it('round-trips the sort value and id', () => {
    const token = encodeCursor({ sort: '-annualCost', value: 1200, id: 'app_1' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token, '-annualCost')).toEqual({ value: 1200, id: 'app_1' });
  });

  it('refuses garbage and cursors of another sort, naming the parameter', () => {
    expect(() => decodeCursor('!!!', 'id')).toThrow(/^cursor: /);
    expect(() => decodeCursor(Buffer.from('{"a":1}').toString('base64url'), 'id')).toThrow(/^cursor: /);
    const token = encodeCursor({ sort: 'name', value: 'a', id: 'x' });
    expect(() => decodeCursor(token, 'id')).toThrow(/cursor: was issued for sort 'name'/);
  });
});
