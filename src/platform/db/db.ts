import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { migrateToLatest, pendingMigrations } from './migrator.js';
import { withPreparedReads } from './pg-prepared.js';
import type { Database } from './schema.js';
import { sqliteDialect } from './sqlite-driver.js';
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

/** Which store an executor talks to, for code handed only an executor (read off its placeholders). */
export function dialectOf(db: Executor): Dialect {
  return sql`select ${0}`.compile(db).sql.includes('$1') ? 'postgres' : 'sqlite';
}

export interface StoreOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Maximum pooled PostgreSQL connections. */
  poolSize?: number;
  /** SQLite: how long a write waits for another connection's write lock (default 30 s). */
  lockWaitMs?: number;
  /** SQLite: the connection's page cache, in MiB (default 16). */
  cacheMb?: number;
}

/** Change stamps handed out while the real one could not be read (each one unique). */
let unknownStamps = 0;

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
  // A sync apply (worker thread) may hold the write lock for seconds: writers wait for it without
  // blocking the event loop (sqlite-driver.ts), so no busy timeout; readers (WAL) never wait.
  sqlite.pragma('busy_timeout = 0');
  // The page cache, in KiB (a negative cache_size). It grows only as pages are read or written:
  // larger makes lookups in a large directory faster (a SCIM userName lookup among 100k people
  // spends a third of its time reading pages the 16 MiB cache lost) and costs resident memory
  // (during a 1M-record sync the cache fills with the pages written).
  sqlite.pragma(`cache_size = -${Math.round((options.cacheMb ?? 16) * 1024)}`);
  // No memory map (mmap_size): it made a SCIM lookup on 100k people 27 → 20 µs in better-sqlite3,
  // but a 100k-row CSV import 21–22k → 14–15k rows/s (npm run bench -- manage).
  // Commits by other connections change data_version; this connection's writes, total_changes().
  const otherCommits = sqlite.prepare('pragma data_version').pluck();
  const ownChanges = sqlite.prepare('select total_changes()').pluck();
  return makeStore(
    new Kysely<Database>({ dialect: sqliteDialect(() => sqliteDatabase(sqlite), options.lockWaitMs) }),
    'sqlite',
    () => {
      try {
        return `${String(ownChanges.get())}.${String(otherCommits.get())}`;
      } catch {
        // Unreadable for a moment (SQLITE_BUSY while another connection recovers the WAL): a
        // stamp no cache holds, so the caller reads afresh.
        return `unknown.${++unknownStamps}`;
      }
    },
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
