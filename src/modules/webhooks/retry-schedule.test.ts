import { describe, expect, it } from 'vitest';
import { defaultRetryScheduleMs, maxAttempts, retryDelayAfter, retryWindowMs } from './retry-schedule.js';

describe('webhook retry schedule', () => {
  it('keeps retrying for more than 24 hours, with growing waits', () => {
    expect(retryWindowMs(defaultRetryScheduleMs)).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(retryWindowMs(defaultRetryScheduleMs)).toBe(
      5_000 + 5 * 60_000 + 30 * 60_000 + (2 + 5 + 10 + 10) * 3600_000,
    );
    for (let i = 1; i < defaultRetryScheduleMs.length; i++) {
      expect(defaultRetryScheduleMs[i]).toBeGreaterThanOrEqual(defaultRetryScheduleMs[i - 1] ?? 0);
    }
    expect(maxAttempts(defaultRetryScheduleMs)).toBe(8);
  });

  it('gives the wait after each failed attempt, then none', () => {
    expect(retryDelayAfter(defaultRetryScheduleMs, 1)).toBe(5_000);
    expect(retryDelayAfter(defaultRetryScheduleMs, 2)).toBe(300_000);
    expect(retryDelayAfter(defaultRetryScheduleMs, 7)).toBe(10 * 3600_000);
    expect(retryDelayAfter(defaultRetryScheduleMs, 8)).toBeUndefined();
    expect(retryDelayAfter(defaultRetryScheduleMs, 0)).toBeUndefined();
  });

  it('follows an injected schedule', () => {
    expect(retryDelayAfter([10, 20], 1)).toBe(10);
    expect(retryDelayAfter([10, 20], 2)).toBe(20);
    expect(retryDelayAfter([10, 20], 3)).toBeUndefined();
    expect(retryDelayAfter([], 1)).toBeUndefined();
  });
});
