/**
 * Date arithmetic for demo data, all in UTC and relative to one reference instant, so the same
 * seed and reference always produce the same dates whatever the machine's time zone.
 */

export const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of an instant (UTC). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The instant `days` days (fractions allowed) before the reference, as stored (ISO-8601). */
export function isoDaysAgo(reference: number, days: number): string {
  return new Date(reference - Math.round(days * DAY_MS)).toISOString();
}

/** Midnight UTC of the reference's day: date-only values count whole days from it. */
export function startOfDay(reference: number): number {
  return Math.floor(reference / DAY_MS) * DAY_MS;
}

/**
 * The day `months` months after `day` (negative goes back), clamped to the month's last day, so
 * Jan 31 + 1 month is Feb 28/29 rather than spilling into March.
 */
export function addMonths(day: number, months: number): number {
  const d = new Date(day);
  const targetMonth = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), targetMonth + 1, 0)).getUTCDate();
  return Date.UTC(d.getUTCFullYear(), targetMonth, Math.min(d.getUTCDate(), lastDay));
}

/** The given day of the month `monthsBack` months before the reference's month (day ≤ 28). */
export function dayOfMonthBefore(reference: number, monthsBack: number, dayOfMonth: number): number {
  const d = new Date(reference);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack, dayOfMonth);
}
