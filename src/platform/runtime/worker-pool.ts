import type { ResourceLimits, Worker } from 'node:worker_threads';
import { startModuleWorker } from './module-worker.js';

/** What a pooled worker is told when it is no longer needed: clean up, then exit. */
export const RETIRE = { type: 'retire' } as const;

export interface WorkerPool {
  /** A worker for one task: an idle one if there is one, else a new one. */
  acquire(): Worker;
  /**
   * Gives back a worker whose task ended cleanly: it waits, idle, for the next task (a worker
   * whose task failed or was abandoned is retired instead: its state is unknown).
   */
  release(worker: Worker): void;
  /** Tells a worker to clean up and exit, and resolves when it has exited. */
  retire(worker: Worker): Promise<void>;
  /** Retires every worker: the idle ones now, the busy ones once released. */
  close(): Promise<void>;
  /** How many workers wait for a task. */
  idleCount(): number;
  /**
   * Starts a worker ahead of a task that is coming (it loads while other work goes on), unless
   * one is idle already.
   */
  warm(): void;
}

/**
 * Worker threads kept between tasks. A new worker loads its module graph again (no code is
 * shared between threads): ~0.4 s for the import checker or the sync apply when compiled, well
 * over a second under tsx, paid by every import and every sync finish. Idle workers do not keep
 * the process alive (unref'd) and retire after `idleMs`, so memory is not held for long.
 *
 * A pooled module listens for its tasks on `parentPort` and, on `RETIRE`, releases what it holds
 * and exits.
 */
export function createWorkerPool(options: {
  moduleUrl: string;
  workerData: unknown;
  resourceLimits?: ResourceLimits;
  idleMs: number;
  maxIdle?: number;
}): WorkerPool {
  const maxIdle = options.maxIdle ?? 1;
  const idle = new Map<Worker, NodeJS.Timeout>();
  const exits = new Map<Worker, Promise<void>>();
  let closed = false;

  const retire = (worker: Worker): Promise<void> => {
    const timer = idle.get(worker);
    if (timer) clearTimeout(timer);
    idle.delete(worker);
    const exited = exits.get(worker) ?? Promise.resolve();
    worker.ref();
    worker.postMessage(RETIRE);
    return exited;
  };

  const start = (): Worker => {
    const worker = startModuleWorker(options.moduleUrl, options.workerData, options.resourceLimits);
    // A task's own listeners hear its worker's failures; an idle worker that fails (it could not
    // load, say) must not take the process down with an unheard 'error': it exits, and is dropped.
    worker.on('error', () => undefined);
    exits.set(
      worker,
      new Promise<void>((resolve) => {
        worker.once('exit', () => {
          const timer = idle.get(worker);
          if (timer) clearTimeout(timer);
          idle.delete(worker);
          exits.delete(worker);
          resolve();
        });
      }),
    );
    return worker;
  };

  const release = (worker: Worker): void => {
    if (!exits.has(worker)) return; // exited already
    if (closed || idle.size >= maxIdle) {
      void retire(worker);
      return;
    }
    worker.unref();
    const timer = setTimeout(() => void retire(worker), options.idleMs);
    timer.unref();
    idle.set(worker, timer);
  };

  return {
    acquire() {
      if (closed) throw new Error('The worker pool is closed');
      for (const [worker, timer] of idle) {
        clearTimeout(timer);
        idle.delete(worker);
        worker.ref();
        return worker;
      }
      return start();
    },
    release,
    retire,
    idleCount: () => idle.size,
    warm() {
      if (!closed && idle.size === 0) release(start());
    },
    async close() {
      closed = true;
      await Promise.all([...idle.keys()].map(retire));
      // Busy workers are retired when their task releases them; wait for every one to exit.
      while (exits.size > 0) await Promise.all(exits.values());
    },
  };
}
