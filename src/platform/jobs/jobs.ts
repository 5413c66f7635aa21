/** What a job handler is given besides its payload. */
export interface JobContext {
  jobId: string;
  tenantId: string;
  /** 1 on the first try. */
  attempt: number;
}

/** A job type: a name, a handler that must be idempotent (delivery is at-least-once), and retries. */
export interface JobDefinition<T = unknown> {
  name: string;
  handler(payload: T, context: JobContext): Promise<void>;
  /** Retries after the first failure (default 5). */
  retryLimit?: number;
  /** Delay before the first retry; doubles with each retry (default 1000 ms). */
  backoffMs?: number;
}

export interface EnqueueOptions {
  /** Run no earlier than this. */
  runAt?: Date;
  /** At most one queued-or-running job per (tenant, name, key). A duplicate enqueue returns null. */
  singletonKey?: string;
  retryLimit?: number;
  backoffMs?: number;
}

/**
 * A durable job queue: jobs are persisted, survive restarts, are retried with exponential backoff,
 * and run at least once. Embedded mode: a jobs table with an in-process runner; PostgreSQL: pg-boss.
 */
export interface JobQueue {
  register<T>(definition: JobDefinition<T>): void;
  enqueue<T>(tenantId: string, name: string, payload: T, options?: EnqueueOptions): Promise<string | null>;
  /** Starts working the queue. */
  start(): Promise<void>;
  /** Looks for due jobs now (another process queued one), if this process works the queue. */
  wake(): void;
  /** Stops taking jobs and waits for running handlers to finish. */
  stop(): Promise<void>;
}
