import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

/** How long a write waits for another connection's write lock before it fails (by default). */
export const SQLITE_LOCK_WAIT_MS = 30_000;

/** True when SQLite refused a statement because another connection holds the lock it needs. */
export function isSqliteBusy(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('SQLITE_BUSY')
  );
}

/** One holder at a time of the connection: a transaction for its whole length, else a statement. */
class Mutex {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.#held) await this.#held;
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  unlock(): void {
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
  }
}

function execute<R>(database: SqliteDatabase, { sql, parameters }: CompiledQuery): QueryResult<R> {
  const statement = database.prepare(sql);
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return {
    numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
    insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
    rows: [],
  };
}

/** A caller's use of the connection: its statements, and whether it has a transaction open. */
class Session implements DatabaseConnection {
  inTransaction = false;
  constructor(readonly driver: LockWaitingSqliteDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.inTransaction ? Promise.resolve(this.driver.run<R>(query)) : this.driver.runAlone<R>(query);
  }

  // biome-ignore lint/correctness/useYield: Sightline never streams from SQLite.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported on SQLite');
  }
}

/**
 * Kysely's SQLite driver holds its one connection for as long as a statement waits, and
 * better-sqlite3 waits for a write lock by sleeping the thread (busy timeout): while the sync apply
 * worker held the lock for seconds, one waiting write stalled the event loop and every request,
 * reads included. Here connections have no busy timeout; a write or a transaction's BEGIN refused
 * with SQLITE_BUSY lets go of the connection, sleeps with the event loop free, and tries again
 * (for up to `lockWaitMs`), so reads go on in the meantime. A statement refused with
 * SQLITE_BUSY did nothing, so trying it again is safe. Transactions begin IMMEDIATE: a deferred one
 * that reads then writes would fail at once when another connection committed in between.
 */
class LockWaitingSqliteDriver implements Driver {
  readonly #mutex = new Mutex();
  #database: SqliteDatabase | undefined;

  constructor(
    private readonly open: () => SqliteDatabase,
    private readonly lockWaitMs: number,
  ) {}

  async init(): Promise<void> {
    this.#database = this.open();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Session(this);
  }

  async releaseConnection(): Promise<void> {}

  run<R>(query: CompiledQuery): QueryResult<R> {
    if (!this.#database) throw new Error('The SQLite store is closed');
    return execute<R>(this.#database, query);
  }

  /** A statement outside any transaction: it waits for the connection, and for the write lock. */
  async runAlone<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#holdWhenUnlocked(() => this.run<R>(query));
    this.#mutex.unlock();
    return result;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#holdWhenUnlocked(() => this.run(CompiledQuery.raw('begin immediate')));
    // The transaction keeps the connection until commit or rollback.
    (connection as Session).inTransaction = true;
  }

  /**
   * Takes the connection and runs `statement`; while SQLite answers SQLITE_BUSY, lets go of the
   * connection, sleeps and tries again until `lockWaitMs` have passed. Returns holding the
   * connection (the caller releases it); throws having released it.
   */
  async #holdWhenUnlocked<T>(statement: () => T): Promise<T> {
    const deadline = Date.now() + this.lockWaitMs;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      await this.#mutex.lock();
      try {
        return statement();
      } catch (error) {
        this.#mutex.unlock();
        if (!isSqliteBusy(error) || Date.now() + delay > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.run(CompiledQuery.raw('commit'));
    this.#end(connection as Session);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      this.run(CompiledQuery.raw('rollback'));
    } finally {
      this.#end(connection as Session);
    }
  }

  #end(session: Session): void {
    session.inTransaction = false;
    this.#mutex.unlock();
  }

  async destroy(): Promise<void> {
    this.#database?.close();
    this.#database = undefined;
  }
}

/** Kysely's SQLite dialect with the lock-waiting driver. */
export function sqliteDialect(open: () => SqliteDatabase, lockWaitMs = SQLITE_LOCK_WAIT_MS): Dialect {
  return {
    createDriver: () => new LockWaitingSqliteDriver(open, lockWaitMs),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
}
