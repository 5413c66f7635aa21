import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  type Dialect as KyselyDialect,
  PostgresDialect,
  SqliteAdapter,
  type SqliteDialectConfig,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { migrateToLatest, pendingMigrations } from './migrator.js';
import { withPreparedReads } from './pg-prepared.js';
import type { Database } from './schema.js';
import { sqliteDatabase } from './sqlite-statements.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** Either the database or an open transaction: repos accept both. */
export type Executor = Db | Trx;

export interface Store {
  db: Db;
  dialect: Dialect;
  /** Runs pending migrations. */
  migrate(): Promise<string[]>;
  /** True when the database answers and no migration is pending. */
  isReady(): Promise<boolean>;
  /**
   * SQLite only: a value that changes whenever anything is written to the database, by this
   * connection or any other (the sync apply worker, a CLI in another process). Taken before a
   * read, it tells a cache whether that read may still be reused. Uncommitted writes of an open
   * transaction change it too, so it errs towards reading again.
   */
  changeStamp: (() => string) | undefined;
  close(): Promise<void>;
}

// int8 (counts, money) as numbers: values stay below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

/**
 * SQLite transactions start with BEGIN IMMEDIATE: a deferred transaction that reads and then
 * writes fails at once (SQLITE_BUSY, no waiting) when another connection, such as the sync apply
 * worker, committed in between. Taking the write lock up front makes it wait its turn instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

function sqliteDialect(config: SqliteDialectConfig): KyselyDialect {
  return {
    createDriver: () => new ImmediateSqliteDriver(config),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
}

/** Which store an executor talks to, for code handed only an executor (read off its placeholders). */
export function dialectOf(db: Executor): Dialect {
  return sql`select ${0}`.compile(db).sql.includes('$1') ? 'postgres' : 'sqlite';
}

export interface StoreOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Maximum pooled PostgreSQL connections. */
  poolSize?: number;
}

/** Opens the store: PostgreSQL when a URL is given, else SQLite (WAL) in dataDir/sightline.db. */
export function openStore(options: StoreOptions): Store {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    return makeStore(
      new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedReads(pool) }) }),
      'postgres',
    );
  }
  mkdirSync(options.dataDir, { recursive: true });
  const sqlite = new SQLite(join(options.dataDir, 'sightline.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // A sync apply (worker thread) may hold the write lock for seconds: writers wait, readers don't.
  sqlite.pragma('busy_timeout = 30000');
  sqlite.pragma('cache_size = -16000');
  // Commits by other connections change data_version; this connection's writes, total_changes().
  const otherCommits = sqlite.prepare('pragma data_version').pluck();
  const ownChanges = sqlite.prepare('select total_changes()').pluck();
  return makeStore(
    new Kysely<Database>({ dialect: sqliteDialect({ database: sqliteDatabase(sqlite) }) }),
    'sqlite',
    () => `${String(ownChanges.get())}.${String(otherCommits.get())}`,
  );
}

function makeStore(db: Db, dialect: Dialect, changeStamp?: () => string): Store {
  const context = { dialect };
  return {
    db,
    dialect,
    changeStamp,
    migrate: () => migrateToLatest(db as never, context),
    async isReady() {
      try {
        await sql`select 1`.execute(db);
        return (await pendingMigrations(db as never, context)).length === 0;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}
