import { hash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/** What this module needs of a `pg` client (a pooled `pg.PoolClient` satisfies it). */
export interface PgClient {
  query(text: string, values: unknown[]): Promise<PgResult>;
  query(config: { name: string; text: string; values: unknown[] }): Promise<PgResult>;
  release(): void;
}

/** What this module needs of a `pg` pool. */
export interface PgPool<C extends PgClient> {
  connect(): Promise<C>;
  end(): Promise<void>;
}

interface PgResult {
  command: string;
  rowCount: number | null;
  // biome-ignore lint/suspicious/noExplicitAny: pg types rows as any; Kysely types them per query.
  rows: any[];
}

export interface PreparedReadsOptions {
  /** Statements named per connection at most; past that, new ones run unnamed. */
  size?: number;
  /** Longer statements (bulk writes' texts vary with their row count) are never named. */
  maxLength?: number;
}

/**
 * Error codes after which a connection stops naming statements and the read runs again unnamed:
 * the statement is gone or taken (a pooler such as PgBouncer between us and PostgreSQL), or its
 * result type changed under it (a migration from another node).
 */
const PREPARED_STATEMENT_ERRORS = new Set(['26000', '42P05', '0A000']);

const commands = new Set<string>(['UPDATE', 'DELETE', 'INSERT', 'SELECT', 'MERGE']);
function isCommand(value: string): value is PostgresQueryResult<unknown>['command'] {
  return commands.has(value);
}

function result<R>(r: PgResult): PostgresQueryResult<R> {
  // Kysely reads the command only to count affected rows of writes: others read as SELECT.
  return { command: isCommand(r.command) ? r.command : 'SELECT', rowCount: r.rowCount ?? 0, rows: r.rows };
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The first word of a statement, lower-cased (`select`, `begin`, `commit`, …). */
function verb(text: string): string {
  return /^\s*([a-z]+)/i.exec(text)?.[1]?.toLowerCase() ?? '';
}

/** A SELECT, or a WITH … SELECT whose parts write nothing (list pages run as one). */
function isRead(first: string, text: string): boolean {
  return first === 'select' || (first === 'with' && !/\b(insert|update|delete|merge)\b/i.test(text));
}

/**
 * A Kysely pool whose connections run repeated reads as named (prepared) statements.
 * PostgreSQL parses and plans every unnamed statement anew, and Sightline's hot reads
 * (authentication with its effective actions, SCIM pages with their relations, list pages) take
 * several times longer to plan than to run. A read (SELECT, or WITH … SELECT) outside a
 * transaction that a connection has already run once is prepared on it under a name derived from
 * its text (so one name always means one text, on any server connection behind a pooler):
 * PostgreSQL then skips parsing and, after five runs, uses a generic plan when that costs no more
 * than a custom one. Writes, statements in transactions (temporary tables, DDL) and statements
 * run once are left unnamed, as before.
 */
export function withPreparedReads<C extends PgClient>(
  pool: PgPool<C>,
  options: PreparedReadsOptions = {},
): PostgresPool {
  const size = options.size ?? 200;
  const maxLength = options.maxLength ?? 8000;
  const clients = new WeakMap<C, PostgresPoolClient>();

  function wrap(client: C): PostgresPoolClient {
    /** Statements prepared on this connection: text → name. */
    const named = new Map<string, string>();
    /** Reads seen once (candidates), bounded: cleared when full. */
    let seen = new Set<string>();
    let inTransaction = false;
    let isNaming = true;

    async function run<R>(text: string, values: unknown[]): Promise<PostgresQueryResult<R>> {
      const first = verb(text);
      if (first === 'begin' || first === 'start') inTransaction = true;
      else if (
        first === 'commit' ||
        first === 'end' ||
        (first === 'rollback' && !/^\s*rollback\s+to\b/i.test(text))
      )
        inTransaction = false;
      let name = named.get(text);
      if (!name && isNaming && !inTransaction && isRead(first, text) && text.length <= maxLength) {
        if (seen.has(text) && named.size < size) {
          name = `sl_${hash('sha256', text, 'base64url').slice(0, 40)}`;
          named.set(text, name);
        } else {
          if (seen.size >= size * 5) seen = new Set();
          seen.add(text);
        }
      }
      if (!name || !isNaming) return result<R>(await client.query(text, values));
      try {
        return result<R>(await client.query({ name, text, values }));
      } catch (error) {
        const code = errorCode(error);
        if (!code || !PREPARED_STATEMENT_ERRORS.has(code)) throw error;
        isNaming = false;
        return result<R>(await client.query(text, values));
      }
    }

    function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query<R>(
      sqlOrCursor: string | PostgresCursor<R>,
      parameters?: ReadonlyArray<unknown>,
    ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      if (typeof sqlOrCursor !== 'string') throw new Error('Streaming (cursors) is not configured');
      return run<R>(sqlOrCursor, [...(parameters ?? [])]);
    }

    return { query, release: () => client.release() };
  }

  return {
    async connect() {
      const client = await pool.connect();
      // One wrapper per connection: Kysely keys its connection objects by it.
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = wrap(client);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}
