import { Readable } from 'node:stream';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../platform/errors/app-error.js';
import { startModuleWorker } from '../../platform/runtime/module-worker.js';
import type { Charset } from '../files/sniff.js';
import { type CheckedPage, checkedPages } from './check-rows.js';
import { type OpenContent, readRows, UnreadableFile } from './read-rows.js';
import { importTargets } from './targets.js';

interface CheckTask {
  kind: 'import-check';
  target: string;
  mapping: Record<string, string>;
  ext: string;
  charset: Charset;
  pageSize: number;
}

/** Pages the worker may send ahead of the import (each holds up to `pageSize` records). */
const PAGES_AHEAD = 3;

type ToWorker = { type: 'chunk'; data: Uint8Array } | { type: 'end' } | { type: 'credit' };
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
export async function* checkInWorker(
  open: OpenContent,
  task: Omit<CheckTask, 'kind'>,
): AsyncGenerator<CheckedPage> {
  const content = await open();
  const chunks = content[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const worker = startModuleWorker(import.meta.url, { kind: 'import-check', ...task } satisfies CheckTask);
  const inbox: CheckedPage[] = [];
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    wake?.();
  };
  const send = (message: ToWorker) => worker.postMessage(message);
  worker.on('message', (message: FromWorker) => {
    if (message.type === 'pull') {
      chunks
        .next()
        .then((next) => send(next.done ? { type: 'end' } : { type: 'chunk', data: next.value }), fail);
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
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!done) fail(new Error(`The import's row checker stopped (exit code ${code})`));
  });
  try {
    for (;;) {
      if (failure) throw failure;
      const page = inbox.shift();
      if (page) {
        send({ type: 'credit' });
        yield page;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    await worker.terminate();
    content.destroy();
  }
}

/** The worker: parses the content its parent streams in and sends checked pages back. */
async function main(task: CheckTask): Promise<void> {
  const port = parentPort;
  const target = importTargets[task.target];
  if (!port || !target) throw new Error(`Unknown import target ${task.target}`);
  let credits = PAGES_AHEAD;
  let credited: (() => void) | undefined;
  const source = new Readable({
    read() {
      port.postMessage({ type: 'pull' } satisfies FromWorker);
    },
  });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'chunk')
      source.push(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
    else if (message.type === 'end') source.push(null);
    else {
      credits++;
      credited?.();
    }
  });
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
}

if (!isMainThread && parentPort && (workerData as { kind?: string } | null)?.kind === 'import-check') {
  main(workerData as CheckTask).catch((error: unknown) => {
    parentPort?.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
      unreadable: error instanceof UnreadableFile,
    } satisfies FromWorker);
  });
}
