import pg from 'pg';
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres, testDb } from './helpers/db.js';
import { sleep } from './helpers/net.js';

// pg-boss polls at most every 0.5 s and counts retry delays in whole seconds: allow it longer.
const WAIT_MS = testDb === 'postgres' ? 20_000 : 5_000;
/** Polls until `fn` returns something truthy. */
async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A promise with its resolve function, to hold a handler mid-run. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

type JobState = { status: 'queued' | 'running' | 'succeeded' | 'failed'; attempts: number };

describe.skipIf(skipPostgres)(`durable job queue (${testDb})`, () => {
  let t: TestApp;
  let tenantId: string;
  const others: TestApp[] = [];
  const pgClients = new Map<string, pg.Client>();

  /** A client on the app's own PostgreSQL database, to read the pgboss schema. */
  async function pgClientOf(app: TestApp): Promise<pg.Client> {
    const url = app.env.DATABASE_URL ?? '';
    let client = pgClients.get(url);
    if (!client) {
      client = new pg.Client({ connectionString: url });
      await client.connect();
      pgClients.set(url, client);
    }
    return client;
  }

  /** A job as stored: the jobs table (embedded) or the pgboss schema (pg-boss), in one vocabulary. */
  async function jobState(app: TestApp, name: string, id: string): Promise<JobState | undefined> {
    if (testDb === 'sqlite') {
      const row = await app.app.store.db
        .selectFrom('jobs')
        .select(['status', 'attempts'])
        .where('id', '=', id)
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? { status: row.status as JobState['status'], attempts: row.attempts } : undefined;
    }
    const { rows } = await (await pgClientOf(app)).query<{
      state: string;
      retry_count: number;
      started_on: Date | null;
    }>('select state, retry_count, started_on from pgboss.job where name = $1 and id = $2', [name, id]);
    const row = rows[0];
    if (!row) return undefined;
    const status = (
      {
        created: 'queued',
        retry: 'queued',
        active: 'running',
        completed: 'succeeded',
        failed: 'failed',
      } as const
    )[row.state as 'created'];
    return { status, attempts: row.started_on ? row.retry_count + 1 : 0 };
  }

  beforeAll(async () => {
    t = await startTestApp();
    const tenant = await t.app.services.tenants.find('default');
    if (!tenant) throw new Error('no default tenant');
    tenantId = tenant.id;
    await t.app.queue.start();
  });
  afterAll(async () => {
    for (const other of others) await other.close();
    await t.close();
    for (const client of pgClients.values()) await client.end();
  });

  it('retries a failing job with growing delays until it succeeds', async () => {
    const runs: { at: number; attempt: number }[] = [];
    t.app.queue.register<{ n: number }>({
      name: 'test-flaky',
      retryLimit: 3,
      backoffMs: 100,
      async handler(payload, context) {
        expect(payload).toEqual({ n: 7 });
        expect(context.tenantId).toBe(tenantId);
        runs.push({ at: Date.now(), attempt: context.attempt });
        if (runs.length < 3) throw new Error(`flaky ${runs.length}`);
      },
    });
    const id = await t.app.queue.enqueue(tenantId, 'test-flaky', { n: 7 });
    expect(id).toBeTruthy();
    await until(
      'the third run to succeed',
      async () => (await jobState(t, 'test-flaky', `${id}`))?.status === 'succeeded',
    );

    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
    const [first, second, third] = runs.map((r) => r.at);
    const gaps = [Number(second) - Number(first), Number(third) - Number(second)];
    // The first retry waits the backoff, the second twice that (pg-boss: whole seconds, jittered up).
    const backoff = testDb === 'postgres' ? 1000 : 100;
    expect(gaps[0]).toBeGreaterThanOrEqual(backoff * 0.9);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * backoff * 0.9);
    if (testDb === 'sqlite') expect(gaps[1]).toBeGreaterThan(Number(gaps[0]));
    expect(await jobState(t, 'test-flaky', `${id}`)).toEqual({ status: 'succeeded', attempts: 3 });
  });

  it('fails a job for good after retryLimit + 1 attempts', async () => {
    let runs = 0;
    t.app.queue.register({
      name: 'test-doomed',
      retryLimit: 5,
      backoffMs: 5000,
      async handler() {
        runs += 1;
        throw new Error('always broken');
      },
    });
    // Per-enqueue options override the definition's.
    const id = `${await t.app.queue.enqueue(tenantId, 'test-doomed', {}, { retryLimit: 1, backoffMs: 50 })}`;
    await until(
      'the job to fail for good',
      async () => (await jobState(t, 'test-doomed', id))?.status === 'failed',
    );
    expect(await jobState(t, 'test-doomed', id)).toEqual({ status: 'failed', attempts: 2 });
    await sleep(testDb === 'postgres' ? 1500 : 200);
    expect(runs).toBe(2);
    if (testDb === 'sqlite') {
      const row = await t.app.store.db
        .selectFrom('jobs')
        .select(['last_error', 'finished_at'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.last_error).toBe('always broken');
      expect(row.finished_at).toBeTruthy();
    }
  });

  it('keeps a job enqueued while no runner works the queue, and runs it in the next process', async () => {
    const first = await startTestApp();
    const firstTenant = (await first.app.services.tenants.find('default'))?.id ?? '';
    const noop = { name: 'test-durable', handler: async () => {} };
    first.app.queue.register(noop);
    const id = `${await first.app.queue.enqueue(firstTenant, 'test-durable', { hello: 'world' })}`;
    await sleep(testDb === 'postgres' ? 1000 : 150);
    expect((await jobState(first, 'test-durable', id))?.status).toBe('queued');
    await first.close();

    const second = await startTestApp({}, first.env);
    others.push(second);
    const seen: unknown[] = [];
    second.app.queue.register({
      name: 'test-durable',
      async handler(payload, context) {
        seen.push({ payload, jobId: context.jobId, tenantId: context.tenantId });
      },
    });
    await second.app.queue.start();
    await until('the job to run in the new process', () => seen.length > 0);
    expect(seen).toEqual([{ payload: { hello: 'world' }, jobId: id, tenantId: firstTenant }]);
    await until(
      'the job to be recorded as done',
      async () => (await jobState(second, 'test-durable', id))?.status === 'succeeded',
    );
  });

  it('takes a job again when the runner that claimed it died mid-handler (at-least-once)', async () => {
    let id: string;
    if (testDb === 'sqlite') {
      // What a process killed mid-handler leaves behind: a running row whose lock has expired.
      id = 'job_00000000000000000000000001';
      const past = new Date(Date.now() - 60_000).toISOString();
      await t.app.store.db
        .insertInto('jobs')
        .values({
          tenant_id: tenantId,
          id,
          name: 'test-orphan',
          payload: '{}',
          status: 'running',
          attempts: 1,
          max_attempts: 4,
          backoff_ms: 50,
          run_at: past,
          locked_until: past,
          last_error: null,
          singleton_key: null,
          created_at: past,
          updated_at: past,
          finished_at: null,
        })
        .execute();
    } else {
      // Another process claims the job through pg-boss and dies without finishing it...
      const other = new PgBoss({
        connectionString: t.env.DATABASE_URL,
        schema: 'pgboss',
        supervise: false,
        schedule: false,
      });
      other.on('error', () => {});
      await other.start();
      // This app has no worker on the queue yet, so the other process is the one to get the job.
      await other.createQueue('test-orphan');
      id = `${await other.send('test-orphan', { tenantId, payload: {} }, { retryLimit: 3, retryDelay: 1, retryBackoff: true })}`;
      const [claimed] = await other.fetch('test-orphan');
      expect(claimed?.id).toBe(id);
      await other.stop({ graceful: false });
      // ...and its lease runs out; pg-boss's supervisor (any process) then puts the job up for retry.
      await (await pgClientOf(t)).query(
        `update pgboss.job set started_on = now() - interval '1 hour' where id = $1`,
        [id],
      );
      const supervisor = new PgBoss({
        connectionString: t.env.DATABASE_URL,
        schema: 'pgboss',
        supervise: false,
        schedule: false,
      });
      supervisor.on('error', () => {});
      await supervisor.start();
      await supervisor.maintain();
      await supervisor.stop({ graceful: false });
      expect((await jobState(t, 'test-orphan', id))?.status).toBe('queued');
    }
    const attempts: number[] = [];
    t.app.queue.register({
      name: 'test-orphan',
      retryLimit: 3,
      backoffMs: 50,
      async handler(_payload, context) {
        attempts.push(context.attempt);
      },
    });
    await until(
      'the orphaned job to run again',
      async () => (await jobState(t, 'test-orphan', id))?.status === 'succeeded',
    );
    expect(attempts).toEqual([2]);
  });

  it('dedupes on singletonKey per tenant while a job is queued or running', async () => {
    const held = gate();
    const runs: string[] = [];
    t.app.queue.register<{ tag: string }>({
      name: 'test-singleton',
      async handler(payload) {
        runs.push(payload.tag);
        if (payload.tag === 'a') await held.promise;
      },
    });
    const first = await t.app.queue.enqueue(tenantId, 'test-singleton', { tag: 'a' }, { singletonKey: 'k1' });
    expect(first).toBeTruthy();
    expect(
      await t.app.queue.enqueue(tenantId, 'test-singleton', { tag: 'dup' }, { singletonKey: 'k1' }),
    ).toBeNull();
    await until('the first job to be running', () => runs.includes('a'));
    expect(
      await t.app.queue.enqueue(tenantId, 'test-singleton', { tag: 'dup' }, { singletonKey: 'k1' }),
    ).toBeNull();
    // Another key, or the same key in another tenant, is another job.
    const otherKey = await t.app.queue.enqueue(
      tenantId,
      'test-singleton',
      { tag: 'b' },
      { singletonKey: 'k2' },
    );
    const otherTenant = await t.app.queue.enqueue(
      'ten_other',
      'test-singleton',
      { tag: 'c' },
      { singletonKey: 'k1' },
    );
    expect(otherKey).toBeTruthy();
    expect(otherTenant).toBeTruthy();
    held.open();
    await until(
      'the first job to finish',
      async () => (await jobState(t, 'test-singleton', `${first}`))?.status === 'succeeded',
    );
    // Once the job is done the key is free again.
    const again = await t.app.queue.enqueue(tenantId, 'test-singleton', { tag: 'd' }, { singletonKey: 'k1' });
    expect(again).toBeTruthy();
    expect(again).not.toBe(first);
    await until('every job to run', () => runs.length === 4);
    expect(runs.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('stop() waits for a running handler to finish', async () => {
    const other = await startTestApp();
    others.push(other);
    const otherTenant = (await other.app.services.tenants.find('default'))?.id ?? '';
    let started = false;
    let finished = false;
    other.app.queue.register({
      name: 'test-slow',
      async handler() {
        started = true;
        await sleep(400);
        finished = true;
      },
    });
    await other.app.queue.start();
    const id = `${await other.app.queue.enqueue(otherTenant, 'test-slow', {})}`;
    await until('the handler to start', () => started);
    await other.app.queue.stop();
    expect(finished).toBe(true);
    expect(await jobState(other, 'test-slow', id)).toEqual({ status: 'succeeded', attempts: 1 });
  });
});
