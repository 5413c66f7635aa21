import { describe, expect, it } from 'vitest';
import { newId, newIdBlock } from './ids.js';

const ID = /^usr_[0-9a-hjkmnp-tv-z]{26}$/;

describe('newId', () => {
  it('is the prefix, an underscore and 26 lower-case Crockford base32 characters', () => {
    const id = newId('usr');
    expect(id).toMatch(ID);
    expect(newId('job').startsWith('job_')).toBe(true);
  });

  it('encodes the creation time first, so ids sort by time', async () => {
    const before = newId('evt');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = newId('evt');
    expect(before < after).toBe(true);
    expect(after.slice(4, 14) > before.slice(4, 14)).toBe(true);
  });

  it('stays sorted and unique within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('usr'));
    for (const id of ids) expect(id).toMatch(ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // Many of them share a millisecond (the time part), and still sort in creation order.
    const perMs = new Map<string, number>();
    for (const id of ids) perMs.set(id.slice(4, 14), (perMs.get(id.slice(4, 14)) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeGreaterThan(1);
  });

  it('draws a fresh random part for each millisecond, across refills of the random pool', async () => {
    // 4 KiB of pool is 409 random parts: 600 milliseconds cross at least one refill.
    const parts = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const ms = Date.now();
      while (Date.now() === ms) {
        // wait for the next millisecond
      }
      parts.add(newId('usr').slice(14));
    }
    expect(parts.size).toBe(600);
    expect([...parts].some((p) => /^0+$/.test(p))).toBe(false);
  });
});

describe('newIdBlock', () => {
  it('gives heads whose blocks sort between the ids made before and after, without overlapping', () => {
    // Within one millisecond (mostly): ids, a block, ids, another block, ids.
    const before = Array.from({ length: 50 }, () => newId('evt'));
    const first = newIdBlock('evt');
    const between = Array.from({ length: 50 }, () => newId('evt'));
    const second = newIdBlock('evt');
    const after = newId('evt');
    expect(first).toMatch(/^evt_[0-9a-hjkmnp-tv-z]{16}$/);
    expect(second).not.toBe(first);
    // A block is its head and a 10-digit counter (rowId in SQL): the smallest and largest members.
    const low = (head: string) => `${head}0000000001`;
    const high = (head: string) => `${head}9999999999`;
    for (const id of before) expect(id < low(first)).toBe(true);
    for (const id of between) {
      expect(id > high(first)).toBe(true);
      expect(id < low(second)).toBe(true);
    }
    expect(after > high(second)).toBe(true);
  });
});
