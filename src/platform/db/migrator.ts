import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import * as initial from './migrations/001-initial.js';
import * as ingest from './migrations/002-ingest.js';
import * as pageJsonb from './migrations/003-page-jsonb.js';
import * as scim from './migrations/004-scim.js';
import * as manage from './migrations/005-manage.js';
import * as files from './migrations/006-files.js';
import * as workflows from './migrations/007-workflows.js';
import * as dropRedundantIndex from './migrations/008-drop-redundant-index.js';
import * as groupMembersByPerson from './migrations/009-group-members-by-person.js';
import * as stagedKeys from './migrations/010-staged-keys.js';
import * as appFiguresRow from './migrations/011-app-figures-row.js';
import * as partialPeopleIndexes from './migrations/012-partial-people-indexes.js';
import * as peopleEmailCovering from './migrations/013-people-email-covering.js';

export interface MigrationContext {
  dialect: 'sqlite' | 'postgres';
}

interface MigrationModule {
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
  down?(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}

/** Every migration in order. A new migration is a new file in ./migrations added here. */
const migrations: Record<string, MigrationModule> = {
  '001-initial': initial,
  '002-ingest': ingest,
  '003-page-jsonb': pageJsonb,
  '004-scim': scim,
  '005-manage': manage,
  '006-files': files,
  '007-workflows': workflows,
  '008-drop-redundant-index': dropRedundantIndex,
  '009-group-members-by-person': groupMembersByPerson,
  '010-staged-keys': stagedKeys,
  '011-app-figures-row': appFiguresRow,
  '012-partial-people-indexes': partialPeopleIndexes,
  '013-people-email-covering': peopleEmailCovering,
};

/** Names of every migration, in the order they apply. */
export const migrationNames: readonly string[] = Object.keys(migrations);

function withContext(context: MigrationContext): Record<string, Migration> {
  const out: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(migrations)) {
    out[name] = {
      up: (db) => m.up(db, context),
      down: m.down ? (db) => m.down?.(db, context) ?? Promise.resolve() : undefined,
    };
  }
  return out;
}

function createMigrator(db: Kysely<unknown>, context: MigrationContext): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => withContext(context) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<unknown>, context: MigrationContext): Promise<string[]> {
  const result: MigrationResultSet = await createMigrator(db, context).migrateToLatest();
  if (result.error) throw result.error;
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Applies pending migrations up to and including `target` (e.g. to upgrade step by step). */
export async function migrateTo(
  db: Kysely<unknown>,
  context: MigrationContext,
  target: string,
): Promise<string[]> {
  const result: MigrationResultSet = await createMigrator(db, context).migrateTo(target);
  if (result.error) throw result.error;
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied (empty when the schema is current). */
export async function pendingMigrations(db: Kysely<unknown>, context: MigrationContext): Promise<string[]> {
  const all = await createMigrator(db, context).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
