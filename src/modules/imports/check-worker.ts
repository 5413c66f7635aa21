import { Readable } from 'node:stream';
import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../platform/errors/app-error.js';
import { createWorkerPool, type RETIRE, type WorkerPool } from '../../platform/runtime/worker-pool.js';
import type { Charset } from '../files/sniff.js';
import { type CheckedPage, checkedPages } from './check-rows.js';
import { type OpenContent, readRows, UnreadableFile } from './read-rows.js';
import { importTargets } from './targets.js';

interface CheckTask {
  target: string;
  mapping: Record<string, string>;
  ext: string;
  charset: Charset;
  pageSize: number;
}

/** Pages the worker may send ahead of the import (each holds up to `pageSize` records). */
const PAGES_AHEAD = 3;

/**
 * Checkers kept between imports (worker-pool.ts): starting one loads the checker's modules again
 * (~0.4 s compiled). They hold no resource but their heap, and retire after a minute idle.
 */
let pool: WorkerPool | undefined;
export const checkers = (): WorkerPool =>
  (pool ??= createWorkerPool({
    moduleUrl: import.meta.url,
    workerData: { kind: 'import-check' },
    idleMs: 60_000,
    maxIdle: 2,
  }));

type ToWorker =
  | { type: 'task'; task: CheckTask }
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'end' }
  | { type: 'credit' }
  | typeof RETIRE;
type FromWorker =
  | { type: 'pull' }
  | { type: 'page'; page: CheckedPage }
  | { type: 'done' }
  | { type: 'failed'; message: string; unreadable: boolean };

/**
 * A file's rows parsed and checked for an import target in a worker thread, as pages of good
 * records (see `checkedPages`). Parsing CSV or XLSX and checking every cell is most of an
 * import's JavaScript: in a worker it runs beside the storing of the pages (on SQLite, the
 * server's thread) and leaves the server's event loop to requests. The content is read here, from
 * whichever blob store holds it, one chunk whenever the worker's parser asks for one, and the
 * worker runs at most a few pages ahead of the consumer, so memory stays bounded however large
 * the file is.
 */
export async function* checkInWorker(open: OpenContent, task: CheckTask): AsyncGenerator<CheckedPage> {
  const content = await open();
  const chunks = content[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const worker = checkers().acquire();
  const inbox: CheckedPage[] = [];
  let done = false;
  /** The worker said it is done and every page was taken: it can check another file. */
  let finished = false;
  /** This import no longer reads from the worker. */
  let over = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    wake?.();
  };
  const send = (message: ToWorker) => worker.postMessage(message);
  const onMessage = (message: FromWorker) => {
    if (message.type === 'pull') {
      chunks.next().then((next) => {
        // Not once this task is over: the worker may be checking the next import's file by then.
        if (!over) send(next.done ? { type: 'end' } : { type: 'chunk', data: next.value });
      }, fail);
      return;
    }
    if (message.type === 'page') inbox.push(message.page);
    else if (message.type === 'done') done = true;
    else
      fail(
        message.unreadable
          ? new AppError('bad_request', `The file could not be read: ${message.message}`)
          : new Error(message.message),
      );
    wake?.();
  };
  const onExit = (code: number) => {
    if (!done) fail(new Error(`The import's row checker stopped (exit code ${code})`));
  };
  worker.on('message', onMessage);
  worker.on('error', fail);
  worker.on('exit', onExit);
  send({ type: 'task', task });
  try {
    for (;;) {
      if (failure) throw failure;
      const page = inbox.shift();
      if (page) {
        send({ type: 'credit' });
        yield page;
        continue;
      }
      if (done) {
        finished = true;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    over = true;
    worker.off('message', onMessage);
    worker.off('error', fail);
    worker.off('exit', onExit);
    // A checker that saw its file through is kept for the next import; one that failed, or whose
    // import stopped reading midway, is stopped where it is.
    if (finished) checkers().release(worker);
    else await worker.terminate();
    content.destroy();
  }
}

/** One file's check in the worker: its rows, checked, sent back as pages within the credits. */
function runTask(port: MessagePort, task: CheckTask) {
  const target = importTargets[task.target];
  let credits = PAGES_AHEAD;
  let credited: (() => void) | undefined;
  const source = new Readable({
    read() {
      port.postMessage({ type: 'pull' } satisfies FromWorker);
    },
  });
  const run = async () => {
    if (!target) throw new Error(`Unknown import target ${task.target}`);
    const rows = readRows(async () => source, task.ext, task.charset);
    for await (const page of checkedPages(rows, target, task.mapping, task.pageSize)) {
      while (credits === 0)
        await new Promise<void>((resolve) => {
          credited = resolve;
        });
      credits--;
      port.postMessage({ type: 'page', page } satisfies FromWorker);
    }
    port.postMessage({ type: 'done' } satisfies FromWorker);
  };
  run().catch((error: unknown) => {
    port.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
      unreadable: error instanceof UnreadableFile,
    } satisfies FromWorker);
  });
  return {
    chunk: (data: Uint8Array) => source.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
    end: () => source.push(null),
    credit: () => {
      credits++;
      credited?.();
    },
  };
}

/** The worker: checks the files its parent streams in, one task after another. */
function main(port: MessagePort): void {
  let current: ReturnType<typeof runTask> | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'task') current = runTask(port, message.task);
    else if (message.type === 'chunk') current?.chunk(message.data);
    else if (message.type === 'end') current?.end();
    else if (message.type === 'credit') current?.credit();
    else process.exit(0);
  });
}

if (!isMainThread && parentPort && (workerData as { kind?: string } | null)?.kind === 'import-check') {
  main(parentPort);
}
