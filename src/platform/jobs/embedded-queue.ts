import { sql } from 'kysely';
import type { Db, Executor } from '../db/db.js';
import { isoIn, nowIso, parseJson, toJson } from '../db/json.js';
import { newId } from '../ids/ids.js';
import type { Logger } from '../log/log.js';
import type { EnqueueOptions, JobDefinition, JobQueue } from './jobs.js';

const LOCK_MS = 5 * 60_000;
const DEFAULT_RETRY_LIMIT = 5;
const DEFAULT_BACKOFF_MS = 1000;

/**
 * The embedded job queue: rows in the `jobs` table worked by an in-process runner. A job whose
 * runner died (process crash) is taken again once its lock expires, so work survives restarts.
 */
export function createEmbeddedQueue(options: {
  db: Db;
  log: Logger;
  pollMs: number;
  /** Called after an enqueue while this process does not run the queue (another process does). */
  onQueuedElsewhere?: (() => void) | undefined;
}): JobQueue {
  const { db, log, pollMs } = options;
  const definitions = new Map<string, JobDefinition<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let current: Promise<void> | undefined;

  async function claim(): Promise<{
    tenant_id: string;
    id: string;
    name: string;
    payload: unknown;
    attempts: number;
    max_attempts: number;
    backoff_ms: number;
  } | null> {
    const now = nowIso();
    const names = [...definitions.keys()];
    if (names.length === 0) return null;
    const dueJob = (executor: Executor) =>
      executor
        .selectFrom('jobs')
        .select(['tenant_id', 'id'])
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
            eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now)]),
          ]),
        )
        .where('name', 'in', names)
        .orderBy('run_at')
        .limit(1)
        .executeTakeFirst();
    // Most polls find nothing due: they only read. The write lock (BEGIN IMMEDIATE) is taken only
    // to claim, so an idle queue never makes the sync apply worker or a request wait for it.
    if (!(await dueJob(db))) return null;
    return db.transaction().execute(async (trx) => {
      const due = await dueJob(trx);
      if (!due) return null;
      const claimed = await trx
        .updateTable('jobs')
        .set({
          status: 'running',
          locked_until: isoIn(LOCK_MS),
          attempts: sql`attempts + 1`,
          updated_at: now,
        })
        .where('tenant_id', '=', due.tenant_id)
        .where('id', '=', due.id)
        .returning(['tenant_id', 'id', 'name', 'payload', 'attempts', 'max_attempts', 'backoff_ms'])
        .executeTakeFirst();
      return claimed ?? null;
    });
  }

  async function runOne(): Promise<boolean> {
    const job = await claim();
    if (!job) return false;
    const definition = definitions.get(job.name);
    const where = { tenant: job.tenant_id, id: job.id };
    try {
      if (!definition) throw new Error(`No handler registered for job ${job.name}`);
      await definition.handler(parseJson(job.payload, null), {
        jobId: job.id,
        tenantId: job.tenant_id,
        attempt: job.attempts,
      });
      await db
        .updateTable('jobs')
        .set({ status: 'succeeded', locked_until: null, finished_at: nowIso(), updated_at: nowIso() })
        .where('tenant_id', '=', where.tenant)
        .where('id', '=', where.id)
        .execute();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const exhausted = job.attempts >= job.max_attempts;
      const delay = job.backoff_ms * 2 ** (job.attempts - 1);
      log.warn(
        { job: job.name, jobId: job.id, attempt: job.attempts, err: message, exhausted },
        'job failed',
      );
      await db
        .updateTable('jobs')
        .set({
          status: exhausted ? 'failed' : 'queued',
          run_at: isoIn(delay),
          locked_until: null,
          last_error: message.slice(0, 2000),
          finished_at: exhausted ? nowIso() : null,
          updated_at: nowIso(),
        })
        .where('tenant_id', '=', where.tenant)
        .where('id', '=', where.id)
        .execute();
    }
    return true;
  }

  /** Works due jobs one after another until none is due (SQLite has one writer anyway). */
  function poll(): Promise<void> {
    if (current || !started) return current ?? Promise.resolve();
    current = (async () => {
      try {
        while (started && (await runOne())) {
          // keep going while jobs are due
        }
      } catch (error) {
        log.error({ err: error }, 'job runner error');
      } finally {
        current = undefined;
      }
    })();
    return current;
  }

  function schedule(): void {
    if (!started) return;
    // One timer chain only, even when a tick from before a stop()/start() is still polling.
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      await poll();
      schedule();
    }, pollMs);
    timer.unref();
  }

  return {
    register(definition) {
      definitions.set(definition.name, definition as JobDefinition<unknown>);
    },

    async enqueue(tenantId, name, payload, opts: EnqueueOptions = {}) {
      const now = nowIso();
      const id = newId('job');
      const result = await db
        .insertInto('jobs')
        .values({
          tenant_id: tenantId,
          id,
          name,
          payload: toJson(payload),
          status: 'queued',
          attempts: 0,
          max_attempts: 1 + (opts.retryLimit ?? definitions.get(name)?.retryLimit ?? DEFAULT_RETRY_LIMIT),
          backoff_ms: opts.backoffMs ?? definitions.get(name)?.backoffMs ?? DEFAULT_BACKOFF_MS,
          run_at: (opts.runAt ?? new Date()).toISOString(),
          locked_until: null,
          last_error: null,
          singleton_key: opts.singletonKey ?? null,
          created_at: now,
          updated_at: now,
          finished_at: null,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return null;
      if (started) setImmediate(() => void poll());
      else options.onQueuedElsewhere?.();
      return id;
    },

    async start() {
      if (started) return;
      // Embedded mode has one runner, this process: a job still 'running' from a previous process
      // was cut off by a crash or kill, so it is due again now (at-least-once).
      await db
        .updateTable('jobs')
        .set({ status: 'queued', locked_until: null, run_at: nowIso(), updated_at: nowIso() })
        .where('status', '=', 'running')
        .execute();
      started = true;
      schedule();
      setImmediate(() => void poll());
    },

    wake() {
      if (started) setImmediate(() => void poll());
    },

    async stop() {
      started = false;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
