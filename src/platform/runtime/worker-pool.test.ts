import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerPool, type WorkerPool } from './worker-pool.js';

const moduleUrl = new URL('../../../test/fixtures/workers/echo-worker.ts', import.meta.url).href;

async function ask(worker: Worker, value: unknown): Promise<{ threadId: number; value: unknown }> {
  worker.postMessage({ type: 'task', value });
  const [answer] = await once(worker, 'message');
  return answer as { threadId: number; value: unknown };
}

const exited = (worker: Worker) => once(worker, 'exit').then(([code]) => code as number);

describe('worker pool', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  it('gives a released worker to the next task instead of starting another', async () => {
    pool = createWorkerPool({ moduleUrl, workerData: null, idleMs: 60_000 });
    const first = pool.acquire();
    const { threadId } = await ask(first, 1);
    pool.release(first);
    const second = pool.acquire();
    expect(second).toBe(first);
    expect(await ask(second, 2)).toEqual({ threadId, value: 2 });
    // A busy worker is not handed out twice.
    const third = pool.acquire();
    expect(third).not.toBe(second);
    expect((await ask(third, 3)).threadId).not.toBe(threadId);
    pool.release(second);
    pool.release(third);
  });

  it('keeps at most maxIdle workers; the others retire (exit cleanly)', async () => {
    pool = createWorkerPool({ moduleUrl, workerData: null, idleMs: 60_000, maxIdle: 1 });
    const [a, b] = [pool.acquire(), pool.acquire()];
    await Promise.all([ask(a, 'a'), ask(b, 'b')]);
    const bExit = exited(b);
    pool.release(a);
    pool.release(b);
    expect(await bExit).toBe(0);
    const again = pool.acquire();
    expect(again).toBe(a);
    pool.release(again);
  });

  it('retires a worker idle for idleMs', async () => {
    pool = createWorkerPool({ moduleUrl, workerData: null, idleMs: 50 });
    const worker = pool.acquire();
    await ask(worker, 1);
    const exit = exited(worker);
    pool.release(worker);
    expect(await exit).toBe(0);
    const next = pool.acquire();
    expect(next).not.toBe(worker);
    pool.release(next);
  });

  it('a terminated worker is never handed out again', async () => {
    pool = createWorkerPool({ moduleUrl, workerData: null, idleMs: 60_000 });
    const worker = pool.acquire();
    await ask(worker, 1);
    await worker.terminate();
    pool.release(worker);
    const next = pool.acquire();
    expect(next).not.toBe(worker);
    expect((await ask(next, 2)).value).toBe(2);
    pool.release(next);
  });

  it('close retires idle workers at once and busy ones when released, then refuses tasks', async () => {
    pool = createWorkerPool({ moduleUrl, workerData: null, idleMs: 60_000, maxIdle: 2 });
    const [idle, busy] = [pool.acquire(), pool.acquire()];
    await Promise.all([ask(idle, 1), ask(busy, 2)]);
    pool.release(idle);
    const idleExit = exited(idle);
    let closed = false;
    const closing = pool.close().then(() => {
      closed = true;
    });
    expect(await idleExit).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false); // the busy worker still works
    expect((await ask(busy, 3)).value).toBe(3);
    pool.release(busy);
    await closing;
    expect(closed).toBe(true);
    expect(() => pool?.acquire()).toThrow(/closed/);
  });

  it('warm starts a worker ahead of a task, unless one is idle', async () => {
    pool = createWorkerPool({ moduleUrl, workerData: null, idleMs: 60_000, maxIdle: 2 });
    pool.warm();
    expect(pool.idleCount()).toBe(1);
    pool.warm();
    expect(pool.idleCount()).toBe(1);
    const worker = pool.acquire();
    expect(pool.idleCount()).toBe(0);
    expect((await ask(worker, 'warmed')).value).toBe('warmed');
    pool.release(worker);
  });
});
