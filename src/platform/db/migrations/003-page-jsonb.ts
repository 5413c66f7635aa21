import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migrator.js';

/**
 * Staged pages are parsed once, at upload: jsonb on PostgreSQL. (SQLite stores JSONB blobs in the
 * same column; its columns are dynamically typed, so there is nothing to change there.)
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`alter table sync_pages alter column data type jsonb using data::jsonb`.execute(db);
}
