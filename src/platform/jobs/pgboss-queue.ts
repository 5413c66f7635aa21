import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Logger } from '../log/log.js';
import type { EnqueueOptions, JobDefinition, JobQueue } from './jobs.js';

const SCHEMA = 'pgboss';
const DEFAULT_RETRY_LIMIT = 5;
const DEFAULT_BACKOFF_MS = 1000;
/** How long stop() waits for running handlers before pg-boss fails them (they are retried). */
const STOP_TIMEOUT_MS = 30_000;

interface Envelope {
  tenantId: string;
  payload: unknown;
}

type Sql = (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>;

/** What pg-boss's own database answers once closed; its types leave this out, its code reads it. */
const CLOSED = undefined as unknown as { rows: unknown[] };

/**
 * How pg-boss runs its statements on our pool. pg-boss completes and fails jobs without awaiting
 * the statement, so a handler that settles just before stop() leaves one in flight: end() ends the
 * pool only once those have settled. A statement issued after that (a job settling during
 * shutdown) answers nothing, as pg-boss's own database does once closed (pg-boss reads that as
 * "no rows affected"; an empty row list made it throw, unhandled). Nothing can be written any
 * more: the job keeps its state and expires into a retry (delivery is at-least-once).
 */
export function bossStatements(pool: pg.Pool, log: Logger): { executeSql: Sql; end(): Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  let ended = false;
  return {
    executeSql(text, values) {
      if (ended) {
        log.debug({ statement: text.slice(0, 80) }, 'job queue statement after stop dropped');
        return Promise.resolve(CLOSED);
      }
      const query = pool.query(text, values);
      const settled: Promise<boolean> = query.then(
        () => inFlight.delete(settled),
        () => inFlight.delete(settled),
      );
      inFlight.add(settled);
      return query;
    },
    async end() {
      while (inFlight.size > 0) await Promise.all(inFlight);
      ended = true;
      await pool.end();
    },
  };
}

/**
 * The PostgreSQL job queue, backed by pg-boss (its own `pgboss` schema): any number of Sightline
 * processes can work it; retries use pg-boss's exponential backoff (whole seconds, at least 1 s).
 * Enqueueing only needs the schema and the queue rows; handlers run once start() is called.
 */
export function createPgBossQueue(options: {
  connectionString: string;
  log: Logger;
  pollMs: number;
  /** Called after an enqueue while this process does not work the queue (another process does). */
  onQueuedElsewhere?: (() => void) | undefined;
}): JobQueue {
  const { log } = options;
  // Our own pool (pg-boss runs on it) so a singleton enqueue can check and send in one transaction.
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 4,
    application_name: 'sightline-jobs',
  });
  pool.on('error', (error) => log.error({ err: error }, 'job queue connection error'));
  const sqlOn =
    (client: pg.Pool | pg.PoolClient): Sql =>
    (text, values) =>
      client.query(text, values);
  const statements = bossStatements(pool, log);
  const { executeSql } = statements;
  const boss = new PgBoss({ db: { executeSql }, schema: SCHEMA, schedule: false });
  boss.on('error', (error: unknown) => log.error({ err: error }, 'pg-boss error'));

  const definitions = new Map<string, JobDefinition<unknown>>();
  const queues = new Map<string, Promise<void>>();
  const workers = new Map<string, string>();
  const watched = new Set<string>();
  let connecting: Promise<void> | undefined;
  let working = false;
  let closed = false;

  function retryOptions(name: string, opts: EnqueueOptions = {}) {
    const definition = definitions.get(name);
    const backoffMs = opts.backoffMs ?? definition?.backoffMs ?? DEFAULT_BACKOFF_MS;
    return {
      retryLimit: opts.retryLimit ?? definition?.retryLimit ?? DEFAULT_RETRY_LIMIT,
      // pg-boss counts retry delays in whole seconds.
      retryDelay: Math.max(1, Math.ceil(backoffMs / 1000)),
      retryBackoff: true,
    };
  }

  /** Installs or migrates the pg-boss schema and starts its supervisor (expires jobs of dead workers). */
  function connect(): Promise<void> {
    if (closed) return Promise.reject(new Error('The job queue is stopped'));
    connecting ??= boss.start().then(() => undefined);
    return connecting;
  }

  /** pg-boss drops jobs sent to a queue that does not exist, so every queue is created first. */
  function ensureQueue(name: string): Promise<void> {
    let created = queues.get(name);
    if (!created) {
      created = connect().then(() => boss.createQueue(name, { name, ...retryOptions(name) }));
      created.catch(() => queues.delete(name));
      queues.set(name, created);
    }
    return created;
  }

  async function work(definition: JobDefinition<unknown>): Promise<void> {
    if (watched.has(definition.name)) return;
    watched.add(definition.name);
    await ensureQueue(definition.name);
    const id = await boss.work<Envelope>(
      definition.name,
      {
        pollingIntervalSeconds: Math.max(0.5, options.pollMs / 1000),
        batchSize: 1,
        includeMetadata: true,
      },
      async (jobs) => {
        for (const job of jobs) {
          const attempt = 1 + job.retryCount;
          try {
            await (definitions.get(job.name) ?? definition).handler(job.data.payload, {
              jobId: job.id,
              tenantId: job.data.tenantId,
              attempt,
            });
          } catch (error) {
            log.warn(
              {
                job: job.name,
                jobId: job.id,
                attempt,
                err: error instanceof Error ? error.message : String(error),
                exhausted: job.retryCount >= job.retryLimit,
              },
              'job failed',
            );
            throw error;
          }
        }
      },
    );
    workers.set(definition.name, id);
  }

  /** Dedupes on (name, tenant-scoped key) among queued, retrying and running jobs, as embedded mode does. */
  async function sendSingleton(name: string, envelope: Envelope, sendOptions: PgBoss.SendOptions) {
    const key = sendOptions.singletonKey ?? '';
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `sightline:job:${name}:${key}`,
      ]);
      const { rows } = await client.query<{ taken: boolean }>(
        `select exists (select 1 from ${SCHEMA}.job where name = $1 and singleton_key = $2 and state < 'active')
             or exists (select 1 from ${SCHEMA}.job where name = $1 and singleton_key = $2 and state = 'active') as taken`,
        [name, key],
      );
      const id = rows[0]?.taken
        ? null
        : await boss.send(name, envelope, { ...sendOptions, db: { executeSql: sqlOn(client) } });
      await client.query('commit');
      return id;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    register(definition) {
      definitions.set(definition.name, definition as JobDefinition<unknown>);
      if (working)
        void work(definition as JobDefinition<unknown>).catch((err: unknown) =>
          log.error({ err }, 'job worker failed to start'),
        );
    },

    async enqueue(tenantId, name, payload, opts = {}) {
      await ensureQueue(name);
      const envelope: Envelope = { tenantId, payload };
      const sendOptions: PgBoss.SendOptions = {
        ...retryOptions(name, opts),
        ...(opts.runAt ? { startAfter: opts.runAt } : {}),
        ...(opts.singletonKey ? { singletonKey: `${tenantId}:${opts.singletonKey}` } : {}),
      };
      const id = sendOptions.singletonKey
        ? await sendSingleton(name, envelope, sendOptions)
        : await boss.send(name, envelope, sendOptions);
      // A worker of this process picks the job up now rather than at its next poll.
      const worker = workers.get(name);
      if (id && worker) boss.notifyWorker(worker);
      else if (id && !working) options.onQueuedElsewhere?.();
      return id;
    },

    async start() {
      if (working) return;
      working = true;
      await connect();
      for (const definition of definitions.values()) await work(definition);
    },

    wake() {
      for (const worker of workers.values()) boss.notifyWorker(worker);
    },

    async stop() {
      if (closed) return;
      closed = true;
      working = false;
      workers.clear();
      // Waits for running handlers (up to the timeout; then pg-boss fails them and they are retried).
      await connecting?.catch(() => undefined);
      await boss.stop({ graceful: true, wait: true, timeout: STOP_TIMEOUT_MS });
      await statements.end();
    },
  };
}
