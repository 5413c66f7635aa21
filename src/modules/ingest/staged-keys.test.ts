import { describe, expect, it } from 'vitest';
import { recordDigest } from './staged-keys.js';

describe('recordDigest', () => {
  it('is a non-negative integer below 2^53, the same for the same text', () => {
    const text = JSON.stringify({ id: 'u1', email: 'a@b.co', role: 'member' });
    const digest = recordDigest(text);
    expect(Number.isSafeInteger(digest)).toBe(true);
    expect(digest).toBeGreaterThanOrEqual(0);
    expect(recordDigest(text)).toBe(digest);
  });

  it('differs when any character differs (no collisions over 100k near-identical records)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      seen.add(recordDigest(JSON.stringify({ id: `u${i}`, email: `user${i}@acme.com`, role: 'member' })));
    }
    expect(seen.size).toBe(100_000);
    const a = JSON.stringify({ id: 'u1', role: 'member' });
    const b = JSON.stringify({ id: 'u1', role: 'membes' });
    expect(recordDigest(a)).not.toBe(recordDigest(b));
  });
});
