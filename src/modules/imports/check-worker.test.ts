import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { type CheckedPage, checkedPages } from './check-rows.js';
import { checkers, checkInWorker } from './check-worker.js';
import { MAX_RECORD_CHARS, readColumns, readRows } from './read-rows.js';
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

  it('stops at a record longer than MAX_RECORD_CHARS instead of reading the file into one field', async () => {
    const open = async () =>
      Readable.from(
        (function* () {
          yield Buffer.from('Email,Name\na@acme.test,"never closed\n');
          // 8 MB after the open quote, in 64 kB chunks.
          for (let i = 0; i < 128; i++) yield Buffer.alloc(64 * 1024, 'x');
        })(),
      );
    await expect(
      collect(
        checkInWorker(open, { target: 'accounts', mapping, ext: 'csv', charset: 'utf-8', pageSize: 10 }),
      ),
    ).rejects.toThrow(/^The file could not be read: Max Record Size: .* 4194304 /);
    expect(MAX_RECORD_CHARS).toBe(4 * 1024 * 1024);
  });

  it('a checker that saw its file through checks the next import; one left midway is stopped', async () => {
    // A workbook whose first sheet is all that is read: the worker is done before the file is,
    // while its reader may still be asking for chunks of it. Then two CSV files.
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Accounts');
    sheet.addRow(['Email', 'Name']);
    for (let i = 1; i <= 3000; i++) sheet.addRow([`x${i}@acme.test`, `Sheet ${i}`]);
    const other = workbook.addWorksheet('Other');
    for (let i = 1; i <= 3000; i++) other.addRow([`other${i}@acme.test`, `Other ${i}`]);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const openXlsx = async () =>
      Readable.from(
        (function* () {
          for (let at = 0; at < xlsx.length; at += 4096) yield xlsx.subarray(at, at + 4096);
        })(),
        { highWaterMark: 1 },
      );
    const task = (ext: string) => ({
      target: 'accounts',
      mapping,
      ext,
      charset: 'utf-8' as const,
      pageSize: 500,
    });
    const expected = async (open: () => Promise<Readable>, ext: string) =>
      collect(checkedPages(readRows(open, ext), importTargets.accounts!, mapping, 500));

    const fromXlsx = await collect(checkInWorker(openXlsx, task('xlsx')));
    expect(fromXlsx).toEqual(await expected(openXlsx, 'xlsx'));
    expect(fromXlsx.flatMap((p) => p.records)).toHaveLength(3000);
    expect(checkers().idleCount()).toBe(1); // kept: the next check reuses it

    const [a, b] = [csv(2_000), csv(3_000)];
    expect(await collect(checkInWorker(a.open, task('csv')))).toEqual(await expected(a.open, 'csv'));
    expect(checkers().idleCount()).toBe(1);
    // Stopped midway: the import no longer reads, so the checker is stopped, not kept.
    const left = checkInWorker(b.open, task('csv'));
    await left.next();
    await left.return(undefined);
    expect(checkers().idleCount()).toBe(0);
    expect(await collect(checkInWorker(b.open, task('csv')))).toEqual(await expected(b.open, 'csv'));
  });

  it('splits semicolon- and tab-separated files by the delimiter of their header, also in the worker', async () => {
    // BOM, CRLF, a quoted cell holding a line break and a comma; chunks of 5 bytes, so the header
    // line arrives in pieces.
    const text = '\uFEFFEmail;Name\r\nann@acme.test;"Ann\r\nLee, Jr"\r\nbob@acme.test;Bob\r\n';
    const chunked = (content: string) => async () =>
      Readable.from(
        (function* () {
          const bytes = Buffer.from(content);
          for (let at = 0; at < bytes.length; at += 5) yield bytes.subarray(at, at + 5);
        })(),
      );
    expect(await readColumns(chunked(text), 'csv')).toEqual(['Email', 'Name']);
    const task = { target: 'accounts', mapping, ext: 'csv', charset: 'utf-8' as const, pageSize: 10 };
    const records = (await collect(checkInWorker(chunked(text), task))).flatMap((p) => p.records);
    expect(records).toEqual([
      { id: 'ann@acme.test', email: 'ann@acme.test', name: 'Ann\r\nLee, Jr' },
      { id: 'bob@acme.test', email: 'bob@acme.test', name: 'Bob' },
    ]);
    const tabs = chunked('Email\tName\nkai@acme.test\tKai, K\n');
    expect(await readColumns(tabs, 'csv')).toEqual(['Email', 'Name']);
    expect((await collect(checkInWorker(tabs, task))).flatMap((p) => p.records)).toEqual([
      { id: 'kai@acme.test', email: 'kai@acme.test', name: 'Kai, K' },
    ]);
  });

  it('names repeated header columns apart, in detection and in the check, so each can be mapped', async () => {
    const open = async () =>
      Readable.from([Buffer.from('Email,Email,Name\nold@acme.test,new@acme.test,N\n')]);
    expect(await readColumns(open, 'csv')).toEqual(['Email', 'Email (2)', 'Name']);
    const pages = await collect(
      checkedPages(readRows(open, 'csv'), importTargets.accounts!, { email: 'Email (2)', name: 'Name' }, 10),
    );
    expect(pages[0]?.records).toEqual([{ id: 'new@acme.test', email: 'new@acme.test', name: 'N' }]);
  });

  it('a truncated workbook fails saying the workbook could not be read, and why', async () => {
    const open = async () => Readable.from([Buffer.from('PK\x03\x04garbage', 'latin1')]);
    await expect(readColumns(open, 'xlsx')).rejects.toThrow(
      /^the workbook's zip archive ends early \(the file is truncated/,
    );
  });
});
