import { describe, expect, it } from 'vitest';
import { createRandom, hashString } from './random.js';

const draw = (seed: number, n = 20) => {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => random.next());
};

describe('createRandom', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const x of draw(7, 1000)) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const random = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(random.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('picks by weight and never picks a zero weight', () => {
    const random = createRandom(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 10_000; i++) {
      const k = random.weighted([1, 0, 3]);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect((counts[2] ?? 0) / (counts[0] ?? 1)).toBeGreaterThan(2.5);
    expect((counts[2] ?? 0) / (counts[0] ?? 1)).toBeLessThan(3.5);
  });

  it('forks independent streams that do not depend on how much the parent drew', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    b.next();
    b.next();
    expect(a.fork('people').next()).toBe(b.fork('people').next());
    expect(a.fork('people').next()).not.toBe(a.fork('apps').next());
  });

  it('refuses to pick from an empty list', () => {
    expect(() => createRandom(1).pick([])).toThrow('empty');
  });
});

describe('hashString', () => {
  it('is stable and spreads nearby labels', () => {
    expect(hashString('people')).toBe(hashString('people'));
    expect(hashString('a')).not.toBe(hashString('b'));
  });
});
