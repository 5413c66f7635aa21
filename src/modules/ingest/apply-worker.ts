import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openStore } from '../../platform/db/db.js';
import { createLogger } from '../../platform/log/log.js';
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
 * Runs a sync's apply in a worker thread with its own SQLite connection, so the server's event
 * loop keeps answering (reads proceed under WAL) while a large snapshot is applied.
 */
export function applyInWorker(task: ApplyTask): Promise<void> {
  const source = import.meta.url;
  return new Promise((resolve, reject) => {
    // Under tsx (development, tests) the worker registers the TypeScript loader before loading us.
    const worker = source.endsWith('.ts')
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`,
          { eval: true, workerData: task },
        )
      : new Worker(new URL(source), { workerData: task });
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
}

async function main(task: ApplyTask): Promise<void> {
  const store = openStore({ dataDir: task.dataDir });
  try {
    // A smaller page cache than the server's own connection: this one only runs the apply, and
    // both caches count toward the process's memory.
    await sql`pragma cache_size = -16000`.execute(store.db);
    await applySync(
      { store, log: createLogger(task.logLevel), settings: task.settings },
      task.tenantId,
      task.syncId,
    );
    parentPort?.postMessage({ ok: true });
  } catch (error) {
    parentPort?.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  } finally {
    await store.close();
  }
}

if (!isMainThread && parentPort && (workerData as { syncId?: string } | null)?.syncId) {
  void main(workerData as ApplyTask);
}
