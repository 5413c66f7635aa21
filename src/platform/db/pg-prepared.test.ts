import { describe, expect, it } from 'vitest';
import { type PgClient, withPreparedReads } from './pg-prepared.js';

type Call = { name?: string; text: string; values: unknown[] };

/** A pg client double: records each query and answers one row, or fails named ones with `failCode`. */
function fakeClient(failCode?: string) {
  const calls: Call[] = [];
  let released = 0;
  const answer = (call: Call) => {
    calls.push(call);
    if (call.name && failCode)
      return Promise.reject(Object.assign(new Error('prepared'), { code: failCode }));
    return Promise.resolve({ command: 'SELECT', rowCount: 1, rows: [{ ok: 1 }] });
  };
  function query(text: string, values: unknown[]): ReturnType<typeof answer>;
  function query(config: Call & { name: string }): ReturnType<typeof answer>;
  function query(textOrConfig: string | (Call & { name: string }), values?: unknown[]) {
    return typeof textOrConfig === 'string'
      ? answer({ text: textOrConfig, values: values ?? [] })
      : answer(textOrConfig);
  }
  const client: PgClient = { query, release: () => released++ };
  return { client, calls, released: () => released };
}

function poolOf(client: PgClient, options?: { size?: number; maxLength?: number }) {
  return withPreparedReads({ connect: async () => client, end: async () => undefined }, options);
}

describe('prepared reads on PostgreSQL', () => {
  it('names a read from its second run on a connection, with a name derived from its text', async () => {
    const fake = fakeClient();
    const connection = await poolOf(fake.client).connect();
    const text = 'select * from people where tenant_id = $1';
    for (let i = 0; i < 3; i++) await connection.query(text, [`t${i}`]);
    expect(fake.calls.map((c) => c.name)).toEqual([
      undefined,
      expect.stringMatching(/^sl_/),
      expect.stringMatching(/^sl_/),
    ]);
    expect(fake.calls[1]?.name).toBe(fake.calls[2]?.name);
    expect(fake.calls[2]?.values).toEqual(['t2']);
    const other = fakeClient();
    const second = await poolOf(other.client).connect();
    for (let i = 0; i < 2; i++) await second.query(text, []);
    expect(other.calls[1]?.name).toBe(fake.calls[1]?.name);
    connection.release();
    expect(fake.released()).toBe(1);
  });

  it('leaves writes, statements inside transactions and long statements unnamed', async () => {
    const fake = fakeClient();
    const connection = await poolOf(fake.client, { maxLength: 100 }).connect();
    const run = async (text: string) => {
      for (let i = 0; i < 3; i++) await connection.query(text, []);
    };
    await run('update people set status = $1');
    await run('with d as (delete from events returning id) select count(*) from d');
    await run(`select 1 ${' '.repeat(100)}`);
    await connection.query('begin', []);
    await run('select * from user_diff');
    await connection.query('rollback to savepoint a', []);
    await run('select * from new_people');
    await connection.query('commit', []);
    expect(fake.calls.filter((c) => c.name)).toEqual([]);
    await run('select 2');
    expect(fake.calls.filter((c) => c.name)).toHaveLength(2);
    // A list page: WITH … SELECT that writes nothing is a read.
    await run('with k as (select id from apps limit 101) select k.id, a.updated_at from k, apps a');
    expect(fake.calls.filter((c) => c.name)).toHaveLength(4);
  });

  it('names at most `size` statements per connection', async () => {
    const fake = fakeClient();
    const connection = await poolOf(fake.client, { size: 2 }).connect();
    for (const text of ['select 1', 'select 2', 'select 3']) {
      for (let i = 0; i < 2; i++) await connection.query(text, []);
    }
    expect(fake.calls.filter((c) => c.name).map((c) => c.text)).toEqual(['select 1', 'select 2']);
  });

  it('falls back to unnamed statements on a connection where a name fails (a pooler in between)', async () => {
    const fake = fakeClient('26000');
    const connection = await poolOf(fake.client).connect();
    for (let i = 0; i < 3; i++) {
      expect((await connection.query<{ ok: number }>('select 1', [])).rows).toEqual([{ ok: 1 }]);
    }
    expect(fake.calls.map((c) => c.name === undefined)).toEqual([true, false, true, true]);
  });

  it('passes other errors through', async () => {
    const fake = fakeClient('23505');
    const connection = await poolOf(fake.client).connect();
    await connection.query('select 1', []);
    await expect(connection.query('select 1', [])).rejects.toMatchObject({ code: '23505' });
  });
});
