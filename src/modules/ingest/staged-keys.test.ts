import { describe, expect, it } from 'vitest';
import { recordDigest } from './staged-keys.js';

describe('recordDigest', () => {
  it('is a non-negative integer below 2^53, the same for the same record', () => {
    const digest = recordDigest({
      id: 'u1',
      email: 'a@b.co',
      role: 'member',
      custom_fields: { a: [1, true] },
    });
    expect(Number.isSafeInteger(digest)).toBe(true);
    expect(digest).toBeGreaterThanOrEqual(0);
    expect(
      recordDigest(JSON.parse('{"id":"u1","email":"a@b.co","role":"member","custom_fields":{"a":[1,true]}}')),
    ).toBe(digest);
  });

  it('tells values apart by type and by where they sit', () => {
    const digests = [
      { role: null },
      { role: 'null' },
      { role: 1 },
      { role: '1' },
      { role: true },
      { role: 'true' },
      { role: ['a', 'b'] },
      { role: ['ab'] },
      { role: { a: 'b' } },
      { ro: 'lea' },
      { role: 'a', team: 'b' },
      { role: 'ab', team: '' },
    ].map(recordDigest);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('differs when any character differs (no collisions over 100k near-identical records)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      seen.add(recordDigest({ id: `u${i}`, email: `user${i}@acme.com`, role: 'member' }));
    }
    expect(seen.size).toBe(100_000);
    expect(recordDigest({ id: 'u1', role: 'member' })).not.toBe(recordDigest({ id: 'u1', role: 'membes' }));
  });
});
