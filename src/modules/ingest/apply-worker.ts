import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openStore, type Store } from '../../platform/db/db.js';
import { createLogger } from '../../platform/log/log.js';
import { createWorkerPool, type RETIRE } from '../../platform/runtime/worker-pool.js';
import { applySync } from './apply-sync.js';
import type { IngestSettings } from './syncs.types.js';

interface ApplyTask {
  settings: IngestSettings;
  tenantId: string;
  syncId: string;
}

/** What every apply worker of a store is started with. */
interface ApplyWorkerData {
  kind: 'sync-apply';
  dataDir: string;
  logLevel: string;
}

type ToWorker = { type: 'apply'; task: ApplyTask } | typeof RETIRE;
type FromWorker = { ok: boolean; error?: string };

/**
 * The apply allocates little in JavaScript (the work is SQL): a small young generation keeps the
 * worker's heap, which adds to the server's memory while it runs, small.
 */
const resourceLimits = { maxYoungGenerationSizeMb: 8 };

/** How long an apply worker waits for the next finish before it closes its connection and exits. */
const IDLE_MS = 60_000;

/**
 * Runs syncs' applies in worker threads, each with its own SQLite connection, so the server's event
 * loop keeps answering (reads proceed under WAL) while a large snapshot is applied. A worker is
 * kept for the next finish (worker-pool.ts): starting one costs ~0.4 s of module loading.
 *
 * A worker reports its result before it checkpoints: `run` settles at the report. `close` retires
 * every worker (each closes its connection) and waits until they have exited. The server closes
 * its own connection after that, as the last one, which checkpoints the write-ahead log into the
 * database file and removes it (a worker still open at that moment would keep the log, and a
 * process exiting under it would leave it behind).
 */
export function createApplyWorkers(database: Omit<ApplyWorkerData, 'kind'>) {
  const pool = createWorkerPool({
    moduleUrl: import.meta.url,
    workerData: { kind: 'sync-apply', ...database } satisfies ApplyWorkerData,
    resourceLimits,
    idleMs: IDLE_MS,
  });
  return {
    run(task: ApplyTask): Promise<void> {
      const worker = pool.acquire();
      return new Promise((resolve, reject) => {
        const done = (error?: Error) => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
          if (error) reject(error);
          else resolve();
        };
        const onMessage = (message: FromWorker) => {
          // A worker whose apply failed is retired: what it was left holding is unknown.
          if (message.ok) pool.release(worker);
          else void pool.retire(worker);
          done(message.ok ? undefined : new Error(message.error ?? 'apply worker failed'));
        };
        const onError = (error: Error) => done(error);
        const onExit = (code: number) => done(new Error(`apply worker exited with code ${code}`));
        worker.on('message', onMessage);
        worker.once('error', onError);
        worker.once('exit', onExit);
        worker.postMessage({ type: 'apply', task } satisfies ToWorker);
      });
    },
    /** Starts a worker for an apply that is coming (a sync just started), unless one is idle. */
    warm: (): void => pool.warm(),
    /** Retires every worker and resolves once all have exited (their connections closed). */
    close: (): Promise<void> => pool.close(),
  };
}

/**
 * Copies the committed apply from the write-ahead log into the database file, after the result
 * was reported, here rather than in the server's next commit (which would block its event loop for
 * as long). Passive, like SQLite's own: it waits for no reader or writer. A failure only leaves
 * the work to SQLite's next automatic checkpoint.
 */
async function checkpoint(db: Store['db']): Promise<void> {
  try {
    await sql`pragma wal_checkpoint(PASSIVE)`.execute(db);
  } catch {
    // left to the next automatic checkpoint
  }
}

/** This worker's connection, opened for its first apply and kept until it retires. */
async function openWorkerStore(dataDir: string): Promise<Store> {
  const store = openStore({ dataDir });
  // Smaller page caches than the server's own connection: this one only runs applies (each reads
  // and writes a page about once: a larger cache did not make it faster), and every cache counts
  // toward the process's memory. The temp schema holds the apply's work tables.
  await sql`pragma cache_size = -8000`.execute(store.db);
  await sql`pragma temp.cache_size = -4000`.execute(store.db);
  // No checkpoint at the commit: it copied the apply's pages from the write-ahead log into the
  // database file (0.4-0.6 s for a 100k-row import) before the result could be reported.
  await sql`pragma wal_autocheckpoint = 0`.execute(store.db);
  return store;
}

/** The worker: applies the syncs it is sent, one at a time, on its own connection. */
function main(data: ApplyWorkerData, port: MessagePort): void {
  let store: Promise<Store> | undefined;
  let work = Promise.resolve();
  const log = createLogger(data.logLevel);
  const apply = async (task: ApplyTask) => {
    try {
      store ??= openWorkerStore(data.dataDir);
      const { db } = await store;
      await applySync({ store: await store, log, settings: task.settings }, task.tenantId, task.syncId);
      port.postMessage({ ok: true } satisfies FromWorker);
      await checkpoint(db);
    } catch (error) {
      port.postMessage({
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies FromWorker);
    }
  };
  const retire = async () => {
    try {
      await (await store)?.close();
    } finally {
      process.exit(0);
    }
  };
  port.on('message', (message: ToWorker) => {
    work = work.then(() => (message.type === 'apply' ? apply(message.task) : retire()));
  });
}

if (!isMainThread && parentPort && (workerData as { kind?: string } | null)?.kind === 'sync-apply') {
  main(workerData as ApplyWorkerData, parentPort);
}
