const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Delays before each retry of a failed delivery: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, so a
 * receiver that is down for a day still gets the event (8 attempts over about 27.6 hours).
 */
export const defaultRetryScheduleMs: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];

/**
 * The wait before the next attempt after attempt number `attempt` (1-based) failed, or undefined
 * when the schedule is exhausted and the delivery fails.
 */
export function retryDelayAfter(schedule: readonly number[], attempt: number): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1) return undefined;
  return schedule[attempt - 1];
}

/** Attempts a delivery gets in all: the first plus one per scheduled retry. */
export function maxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}

/** Time from the first attempt to the last one. */
export function retryWindowMs(schedule: readonly number[]): number {
  return schedule.reduce((sum, delay) => sum + delay, 0);
}
