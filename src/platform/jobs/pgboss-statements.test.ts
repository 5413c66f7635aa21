import pg from 'pg';
import PgBoss from 'pg-boss';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/log.js';
import { bossStatements } from './pgboss-queue.js';

describe('pg-boss statements after the queue stopped', () => {
  it('answer as a closed pg-boss database: a job settling during shutdown fails nothing, unhandled', async () => {
    // A pool that never connects: after end(), no statement reaches it.
    const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    const statements = bossStatements(pool, createLogger('silent'));
    await statements.end();
    const boss = new PgBoss({ db: { executeSql: statements.executeSql }, schema: 'pgboss' });
    // What pg-boss does, unawaited, when a handler settles just before stop().
    await expect(
      boss.fail('some-queue', '00000000-0000-0000-0000-000000000001', { message: 'late' }),
    ).resolves.toMatchObject({
      affected: 0,
    });
    await expect(boss.complete('some-queue', '00000000-0000-0000-0000-000000000001')).resolves.toMatchObject({
      affected: 0,
    });
    await expect(boss.fetch('some-queue')).resolves.toEqual([]);
  });
});
