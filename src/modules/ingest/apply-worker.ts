import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openStore, type Store } from '../../platform/db/db.js';
import { createLogger } from '../../platform/log/log.js';
import { startModuleWorker } from '../../platform/runtime/module-worker.js';
import { applySync } from './apply-sync.js';
import type { IngestSettings } from './syncs.types.js';

interface ApplyTask {
  dataDir: string;
  logLevel: string;
  settings: IngestSettings;
  tenantId: string;
  syncId: string;
}

/**
 * The apply allocates little in JavaScript (the work is SQL): a small young generation keeps the
 * worker's heap, which adds to the server's memory while it runs, small.
 */
const resourceLimits = { maxYoungGenerationSizeMb: 8 };

/**
 * Runs syncs' applies in worker threads, each with its own SQLite connection, so the server's event
 * loop keeps answering (reads proceed under WAL) while a large snapshot is applied.
 *
 * A worker reports its result before it checkpoints and closes its connection: `run` settles at
 * the report, `close` waits until every worker has exited. The server closes its own connection
 * after that, as the last one, which checkpoints the write-ahead log into the database file and
 * removes it (a worker still open at that moment would keep the log, and a process exiting under
 * it would leave it behind).
 */
export function createApplyWorkers(database: Pick<ApplyTask, 'dataDir' | 'logLevel'>) {
  const running = new Set<Promise<void>>();
  return {
    run(job: Omit<ApplyTask, 'dataDir' | 'logLevel'>): Promise<void> {
      const task: ApplyTask = { ...database, ...job };
      const worker = startModuleWorker(import.meta.url, task, resourceLimits);
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      running.add(exited);
      void exited.then(() => running.delete(exited));
      return new Promise((resolve, reject) => {
        let settled = false;
        worker.once('message', (message: { ok: boolean; error?: string }) => {
          settled = true;
          if (message.ok) resolve();
          else reject(new Error(message.error ?? 'apply worker failed'));
        });
        worker.once('error', (error) => {
          settled = true;
          reject(error);
        });
        worker.once('exit', (code) => {
          if (!settled) reject(new Error(`apply worker exited with code ${code}`));
        });
      });
    },
    /** Resolves once every worker started so far has exited (its connection closed). */
    async close(): Promise<void> {
      while (running.size > 0) await Promise.all(running);
    },
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

async function main(task: ApplyTask): Promise<void> {
  const store = openStore({ dataDir: task.dataDir });
  try {
    // Smaller page caches than the server's own connection: this one only runs the apply (it
    // reads and writes each page about once: a larger cache did not make it faster), and every
    // cache counts toward the process's memory. The temp schema holds the apply's work tables.
    await sql`pragma cache_size = -8000`.execute(store.db);
    await sql`pragma temp.cache_size = -4000`.execute(store.db);
    // No checkpoint at the commit: it copied the apply's pages from the write-ahead log into the
    // database file (0.4-0.6 s for a 100k-row import) before the result could be reported.
    await sql`pragma wal_autocheckpoint = 0`.execute(store.db);
    await applySync(
      { store, log: createLogger(task.logLevel), settings: task.settings },
      task.tenantId,
      task.syncId,
    );
    parentPort?.postMessage({ ok: true });
    await checkpoint(store.db);
  } catch (error) {
    parentPort?.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  } finally {
    await store.close();
  }
}

if (!isMainThread && parentPort && (workerData as { syncId?: string } | null)?.syncId) {
  void main(workerData as ApplyTask);
}
