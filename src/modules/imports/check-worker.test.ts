import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type CheckedPage, checkedPages } from './check-rows.js';
import { checkInWorker } from './check-worker.js';
import { readRows } from './read-rows.js';
import { importTargets } from './targets.js';

const mapping = { email: 'Email', name: 'Name' };

/** A CSV of `rows` accounts, every 10th with a bad email, streamed in small chunks. */
function csv(rows: number): { open: () => Promise<Readable>; opened: Readable[]; pulled: () => number } {
  const lines = ['Email,Name'];
  for (let i = 1; i <= rows; i++) lines.push(`${i % 10 === 0 ? 'nope' : `u${i}@acme.test`},User ${i}`);
  const text = Buffer.from(`${lines.join('\n')}\n`);
  const opened: Readable[] = [];
  let pulled = 0;
  return {
    opened,
    pulled: () => pulled,
    open: async () => {
      const stream = Readable.from(
        (function* () {
          for (let at = 0; at < text.length; at += 4096) {
            pulled++;
            yield text.subarray(at, at + 4096);
          }
        })(),
        { highWaterMark: 1 },
      );
      opened.push(stream);
      return stream;
    },
  };
}

async function collect(pages: AsyncIterable<CheckedPage>): Promise<CheckedPage[]> {
  const out: CheckedPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('checking an import file in a worker thread', () => {
  it('yields the same pages as checking in place, in order', async () => {
    const file = csv(5_000);
    const task = { target: 'accounts', mapping, ext: 'csv', charset: 'utf-8' as const, pageSize: 1000 };
    const inWorker = await collect(checkInWorker(file.open, task));
    const inPlace = await collect(
      checkedPages(readRows(file.open, 'csv'), importTargets.accounts!, mapping, 1000),
    );
    expect(inWorker).toEqual(inPlace);
    // 4,500 good rows: four full pages, a last one of 500 with the last counts.
    expect(inWorker.map((p) => p.records.length)).toEqual([1000, 1000, 1000, 1000, 500]);
    const total = inWorker.reduce((n, p) => n + p.counts.rows, 0);
    const rejected = inWorker.reduce((n, p) => n + p.counts.rejected, 0);
    expect({ total, rejected }).toEqual({ total: 5000, rejected: 500 });
    expect(inWorker[0]?.records[0]).toEqual({ id: 'u1@acme.test', email: 'u1@acme.test', name: 'User 1' });
    expect(inWorker[0]?.counts.errors[0]).toEqual({
      field: 'email',
      problem: "'nope' is not an email address",
      index: 11,
    });
  });

  it('reads only as far as the consumer takes pages, and stops reading when it stops', async () => {
    const file = csv(200_000);
    const pages = checkInWorker(file.open, {
      target: 'accounts',
      mapping,
      ext: 'csv',
      charset: 'utf-8',
      pageSize: 100,
    });
    const first = await pages.next();
    expect(first.value?.records).toHaveLength(100);
    // The worker runs a few pages ahead at most: of the file's ~1,100 chunks of 4 kB, it has
    // asked for a few dozen (parser and stream buffers included), and asks for no more.
    await new Promise((r) => setTimeout(r, 1000));
    const pulled = file.pulled();
    expect(pulled).toBeLessThan(50);
    await new Promise((r) => setTimeout(r, 200));
    expect(file.pulled()).toBe(pulled);
    const stream = file.opened[0];
    await pages.return(undefined);
    expect(stream?.destroyed).toBe(true);
  });

  it('fails with the reason when the file cannot be parsed', async () => {
    const open = async () => Readable.from([Buffer.from('Email,Name\na@acme.test,"open\n')]);
    await expect(
      collect(
        checkInWorker(open, { target: 'accounts', mapping, ext: 'csv', charset: 'utf-8', pageSize: 10 }),
      ),
    ).rejects.toThrow(/^The file could not be read: Quote Not Closed/);
  });
});
