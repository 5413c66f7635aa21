import PgBoss from 'pg-boss';
import type { Logger } from '../log/log.js';
import type { EnqueueOptions, JobDefinition, JobQueue } from './jobs.js';

const DEFAULT_RETRY_LIMIT = 5;
const DEFAULT_BACKOFF_MS = 1000;

interface Envelope {
  tenantId: string;
  payload: unknown;
}

/**
 * The PostgreSQL job queue, backed by pg-boss (its own `pgboss` schema): any number of Sightline
 * processes can work it; retries use pg-boss's exponential backoff.
 */
export function createPgBossQueue(options: {
  connectionString: string;
  log: Logger;
  pollMs: number;
}): JobQueue {
  const boss = new PgBoss({ connectionString: options.connectionString, schema: 'pgboss', max: 4 });
  boss.on('error', (error: unknown) => options.log.error({ err: error }, 'pg-boss error'));
  const definitions = new Map<string, JobDefinition<unknown>>();
  let started = false;

  function retryOptions(name: string, opts: EnqueueOptions = {}) {
    const definition = definitions.get(name);
    const backoffMs = opts.backoffMs ?? definition?.backoffMs ?? DEFAULT_BACKOFF_MS;
    return {
      retryLimit: opts.retryLimit ?? definition?.retryLimit ?? DEFAULT_RETRY_LIMIT,
      retryDelay: Math.max(1, Math.round(backoffMs / 1000)),
      retryBackoff: true,
    };
  }

  return {
    register(definition) {
      definitions.set(definition.name, definition as JobDefinition<unknown>);
    },

    async enqueue(tenantId, name, payload, opts = {}) {
      if (!started) await this.start();
      const envelope: Envelope = { tenantId, payload };
      return boss.send(name, envelope as object, {
        ...retryOptions(name, opts),
        ...(opts.runAt ? { startAfter: opts.runAt } : {}),
        ...(opts.singletonKey ? { singletonKey: `${tenantId}:${opts.singletonKey}` } : {}),
      });
    },

    async start() {
      if (started) return;
      started = true;
      await boss.start();
      for (const [name, definition] of definitions) {
        await boss.createQueue(name, { name, ...retryOptions(name) });
        await boss.work<Envelope>(
          name,
          { pollingIntervalSeconds: Math.max(0.5, options.pollMs / 1000), batchSize: 1 },
          async (jobs: PgBoss.Job<Envelope>[]) => {
            for (const job of jobs) {
              await definition.handler(job.data.payload, {
                jobId: job.id,
                tenantId: job.data.tenantId,
                attempt: 1 + ((job as { retryCount?: number }).retryCount ?? 0),
              });
            }
          },
        );
      }
    },

    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}
