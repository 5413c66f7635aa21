/** The table specs of the first migration: column kinds and their shorthands. */
export type ColumnKind = 'text' | 'int' | 'bigint' | 'json' | 'ts';
/** name → kind, with `?` for nullable and `=value` for a default (`'status=active'`). */
export type Columns = Record<string, ColumnKind>;

export interface TableSpec {
  columns: Columns;
  /** Columns that may be null. Everything else is NOT NULL. */
  nullable?: string[];
  defaults?: Record<string, string | number>;
  primaryKey: string[];
  unique?: string[][];
  indexes?: string[][];
}

export const T = 'text' as const;
export const I = 'int' as const;
export const B = 'bigint' as const;
export const J = 'json' as const;
export const S = 'ts' as const;
export const audit = { created_at: S, updated_at: S };
