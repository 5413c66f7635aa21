import { PostgresQueryCompiler, type RawBuilder, SqliteQueryCompiler, sql } from 'kysely';
import { type IdPrefix, newIdBlock, newUuid } from '../ids/ids.js';
import type { Dialect, Executor } from './db.js';

// JSON keys are code constants, inlined as literals: PostgreSQL cannot type parameters there.
/**
 * The few places where SQLite and PostgreSQL differ, in one helper. Everything else is plain
 * Kysely or SQL both understand.
 */
export function dialectHelpers(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    dialect,
    /** Text of a JSON field of a record column (`rec`), or null. */
    text: (rec: string, key: string): RawBuilder<string | null> =>
      pg
        ? sql`(${sql.ref(rec)} ->> ${sql.lit(key)})`
        : sql`cast(json_extract(${sql.ref(rec)}, ${sql.lit(`$.${key}`)}) as text)`,
    /** A JSON sub-value (object/array) of a record column, as JSON. */
    json: (rec: string, key: string): RawBuilder<unknown> =>
      pg
        ? sql`(${sql.ref(rec)} -> ${sql.lit(key)})`
        : sql`json_extract(${sql.ref(rec)}, ${sql.lit(`$.${key}`)})`,
    /** Numeric JSON field. */
    number: (rec: string, key: string): RawBuilder<number | null> =>
      pg
        ? sql`((${sql.ref(rec)} ->> ${sql.lit(key)})::double precision)`
        : sql`json_extract(${sql.ref(rec)}, ${sql.lit(`$.${key}`)})`,
    /** Boolean JSON field as 0/1. */
    flag: (rec: string, key: string): RawBuilder<number | null> =>
      pg
        ? sql`(case (${sql.ref(rec)} ->> ${sql.lit(key)}) when 'true' then 1 when 'false' then 0 end)`
        : sql`json_extract(${sql.ref(rec)}, ${sql.lit(`$.${key}`)})`,
    /**
     * Rows `(page, pos, rec)` of the JSON arrays stored in sync_pages.data for a sync's kind/entity.
     * Used as a FROM source.
     */
    pageRecords: (tenantId: string, syncId: string, kind: string, entity: string): RawBuilder<unknown> =>
      pg
        ? sql`(select p.page, j.pos, j.rec from sync_pages p
              cross join lateral jsonb_array_elements(p.data) with ordinality as j(rec, pos)
              where p.tenant_id = ${tenantId} and p.sync_id = ${syncId} and p.kind = ${kind} and p.entity = ${entity})`
        : sql`(select p.page, cast(j.key as integer) as pos, j.value as rec from sync_pages p, jsonb_each(p.data) j
              where p.tenant_id = ${tenantId} and p.sync_id = ${syncId} and p.kind = ${kind} and p.entity = ${entity})`,
    /**
     * Rows `(c.*, rec)` of the records a table of candidates names by `(page, pos)` (pos: 0-based
     * index in the page's JSON array): each page is expanded once and joined with its candidates
     * (reading a record by position instead reads the whole page again for each). SQLite wants an
     * index on the candidates' (page, pos). Used as a FROM source.
     */
    pageRecordsAt: (
      tenantId: string,
      syncId: string,
      entity: string,
      candidates: string,
    ): RawBuilder<unknown> =>
      pg
        ? sql`(select c.*, j.rec from sync_pages p
              cross join lateral jsonb_array_elements(p.data) with ordinality as j(rec, ord)
              join ${sql.id(candidates)} c on c.page = p.page and c.pos = j.ord - 1
              where p.tenant_id = ${tenantId} and p.sync_id = ${syncId} and p.kind = 'snapshot' and p.entity = ${entity})`
        : sql`(select c.*, j.value as rec from sync_pages p cross join jsonb_each(p.data) j cross join ${sql.id(candidates)} c
              where p.tenant_id = ${tenantId} and p.sync_id = ${syncId} and p.kind = 'snapshot' and p.entity = ${entity}
                and c.page = p.page and c.pos = j.key)`,
    /**
     * A page's records as stored: parsed once, at upload (JSONB on SQLite, jsonb on PostgreSQL).
     */
    pageData: (json: string): RawBuilder<string> => (pg ? sql`${json}` : sql`jsonb(${json})`),
    /** A record from pageRecords as JSON text (for reading into JavaScript). */
    recordText: (rec: string): RawBuilder<unknown> => (pg ? sql.ref(rec) : sql`json(${sql.ref(rec)})`),
    /** `a` and `b` differ, nulls compared as values. */
    differs: (a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<boolean> =>
      pg ? sql`(${a} is distinct from ${b})` : sql`(${a} is not ${b})`,
    /**
     * A new prefixed, time-sortable id per row, generated in SQL (same layout as newId): a block
     * head fixed per statement (newIdBlock: time and six random characters, ordered with the ids
     * made before and after it), then a counter in `orderBy` order, so a large insert appends to
     * the primary key instead of scattering across it.
     */
    rowId: (prefix: IdPrefix, orderBy: RawBuilder<unknown>): RawBuilder<string> => {
      // The head is a literal: PostgreSQL cannot infer a parameter's type inside ||.
      const head = sql.lit(newIdBlock(prefix));
      return pg
        ? sql`(${head} || lpad((row_number() over (order by ${orderBy}))::text, 10, '0'))`
        : sql`(${head} || printf('%010d', row_number() over (order by ${orderBy})))`;
    },
    /**
     * A new UUIDv7 per row, generated in SQL: time and random head fixed per statement, the last
     * ten hex digits a decimal counter in `orderBy` order (still valid hex, still ordered).
     */
    rowUuid: (orderBy: RawBuilder<unknown>): RawBuilder<string> => {
      const head = sql.lit(newUuid().slice(0, 26));
      return pg
        ? sql`(${head} || lpad((row_number() over (order by ${orderBy}))::text, 10, '0'))`
        : sql`(${head} || printf('%010d', row_number() over (order by ${orderBy})))`;
    },
    /**
     * A SQL fragment that binds no values, compiled to text once. Kysely compiles every node of a
     * query on each execution: for a hot statement's fixed part (dozens of column references) that
     * costs about as much as SQLite takes to run it.
     */
    precompile: <T>(fragment: RawBuilder<T>): RawBuilder<T> => {
      const compiler = pg ? new PostgresQueryCompiler() : new SqliteQueryCompiler();
      const compiled = compiler.compileQuery(fragment.toOperationNode(), { queryId: 'precompile' });
      if (compiled.parameters.length > 0) throw new Error('precompile: the fragment binds values');
      return sql.raw<T>(compiled.sql);
    },
    /** A JSON array of the values (SQL expressions), e.g. one row's element for jsonArrayAgg. */
    jsonArray: (values: RawBuilder<unknown>[]): RawBuilder<unknown> =>
      pg ? sql`json_build_array(${sql.join(values)})` : sql`json_array(${sql.join(values)})`,
    /**
     * Aggregate: the JSON array of `value` over the group's rows, in `orderBy` order, or in no
     * particular order without one. Over no rows SQLite gives `[]` and PostgreSQL null: read it with
     * parseJson(value, []). On SQLite an ordered aggregate sorts in a temporary b-tree, which costs
     * a temporary file per run (~150 µs): hot per-row subqueries leave it out and sort in JS.
     */
    jsonArrayAgg: (value: RawBuilder<unknown>, orderBy?: RawBuilder<unknown>): RawBuilder<unknown> => {
      const order = orderBy ? sql` order by ${orderBy}` : sql``;
      return pg ? sql`json_agg(${value}${order})` : sql`json_group_array(${value}${order})`;
    },
    /** JSON object from key/value pairs, stored in a json column. */
    jsonObject: (pairs: [string, RawBuilder<unknown>][]): RawBuilder<unknown> => {
      const args = sql.join(pairs.flatMap(([k, v]) => [sql.lit(k), v]));
      return pg ? sql`jsonb_build_object(${args})` : sql`json_object(${args})`;
    },
    /**
     * Creates a temporary table from a query, private to this connection; on PostgreSQL it is
     * dropped at commit, on SQLite any leftover of the same name is dropped first.
     */
    async createTempAs(db: Executor, name: string, query: RawBuilder<unknown>): Promise<void> {
      if (pg) {
        await sql`create temp table ${sql.id(name)} on commit drop as ${query}`.execute(db);
      } else {
        await sql`drop table if exists temp.${sql.id(name)}`.execute(db);
        await sql`create temp table ${sql.id(name)} as ${query}`.execute(db);
      }
    },
  };
}

export type DialectHelpers = ReturnType<typeof dialectHelpers>;
