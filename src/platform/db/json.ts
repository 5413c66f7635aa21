/** Reads a JSON column: PostgreSQL returns parsed jsonb, SQLite returns text. */
export function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return fallback;
    }
  }
  return value as T;
}

/** Writes a JSON column (both stores accept JSON text). */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Current time as stored: ISO-8601 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** A time `ms` milliseconds from now, as stored. */
export function isoIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}
