import { Readable, Transform } from 'node:stream';
import { parse } from 'csv-parse';
import type { Charset } from '../files/sniff.js';
import { type Delimiter, headerDelimiter, uniqueColumnNames } from './file-header.js';

/** Decodes a text stream in another charset to UTF-8 (a byte-order mark is dropped). */
function decoding(charset: Charset): Transform {
  const decoder = new TextDecoder(charset);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, decoder.decode(chunk, { stream: true }));
    },
    flush(done) {
      done(null, decoder.decode());
    },
  });
}

/** Opens a file's content as a stream (from the blob store: disk or S3). */
export type OpenContent = () => Promise<Readable>;

/** The file could not be read as CSV or XLSX (its content, not a fault of the reader). */
export class UnreadableFile extends Error {}

/** The longest CSV record read (characters): a longer one has surely lost its closing quote. */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

/**
 * The first chunks of a CSV's text, read until they hold its header line (or the file ends, or
 * MAX_RECORD_CHARS were read), and the delimiter that line uses: the parser is made for it.
 */
async function peekDelimiter(
  chunks: AsyncIterator<Uint8Array | string>,
): Promise<{ delimiter: Delimiter; seen: (Uint8Array | string)[] }> {
  const decoder = new TextDecoder('utf-8');
  const seen: (Uint8Array | string)[] = [];
  let head = '';
  for (;;) {
    const next = await chunks.next();
    if (next.done) return { delimiter: headerDelimiter(head + decoder.decode(), true) ?? ',', seen };
    seen.push(next.value);
    const text = typeof next.value === 'string' ? next.value : decoder.decode(next.value, { stream: true });
    head += text;
    // Looked at again only once a line may have ended: a long first line is not rescanned per chunk.
    const isLong = head.length >= MAX_RECORD_CHARS;
    const delimiter = /[\r\n]/.test(text) || isLong ? headerDelimiter(head, isLong) : undefined;
    if (delimiter) return { delimiter, seen };
  }
}

/** The chunks peeked at, then the rest of the text. */
async function* replay(
  seen: (Uint8Array | string)[],
  rest: AsyncIterator<Uint8Array | string>,
): AsyncGenerator<Uint8Array | string> {
  yield* seen;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** Rows handed over at a time: one promise per batch, not per row. */
const BATCH = 256;

/**
 * Everything an object-mode stream has buffered, as batches: each wait for more data resolves
 * once for all the records parsed from a chunk.
 */
async function* drain<T>(stream: Readable): AsyncGenerator<T[]> {
  let ended = false;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const rouse = () => {
    wake?.();
    wake = undefined;
  };
  stream.on('readable', rouse);
  stream.once('end', () => {
    ended = true;
    rouse();
  });
  stream.once('error', (error) => {
    failed = error;
    rouse();
  });
  try {
    for (;;) {
      if (failed) throw failed;
      const batch: T[] = [];
      for (let item = stream.read() as T | null; item !== null; item = stream.read() as T | null)
        batch.push(item);
      if (batch.length > 0) yield batch;
      else if (ended) return;
      else
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
    }
  } finally {
    stream.destroy();
  }
}

/**
 * The rows of a CSV or XLSX file as arrays of cell texts, in batches, streamed (never loaded
 * whole). The first row is the header. XLSX: the first worksheet. A content that cannot be parsed
 * fails with UnreadableFile.
 */
export async function* readRows(
  open: OpenContent,
  ext: string,
  charset: Charset = 'utf-8',
): AsyncGenerator<string[][]> {
  try {
    if (ext === 'csv') {
      const raw = await open();
      const text = charset === 'utf-8' ? raw : raw.pipe(decoding(charset));
      // pipe() forwards data, not failures: a failing source must fail what reads the text.
      if (text !== raw) raw.once('error', (error) => text.destroy(error));
      const chunks = text[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
      let fed: Readable | undefined;
      try {
        const { delimiter, seen } = await peekDelimiter(chunks);
        const parser = parse({
          bom: true,
          delimiter,
          relax_column_count: true,
          skip_empty_lines: true,
          // A quote left open would otherwise read the rest of the file into one field.
          max_record_size: MAX_RECORD_CHARS,
        });
        fed = Readable.from(replay(seen, chunks), { objectMode: false });
        // pipe() forwards data, not failures: a failing source must fail the parser.
        fed.once('error', (error) => parser.destroy(error));
        fed.pipe(parser);
        for await (const records of drain<unknown[]>(parser))
          yield records.map((record) => record.map((v) => String(v ?? '').trim()));
      } finally {
        fed?.destroy();
        text.destroy();
        raw.destroy();
      }
      return;
    }
    if (ext === 'xlsx') {
      // Loaded only for workbooks: exceljs takes ~0.5 s to load, which every CSV import's check
      // worker paid before reading its first row.
      const { default: ExcelJS } = await import('exceljs');
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(await open(), {
        sharedStrings: 'cache',
        worksheets: 'emit',
      });
      for await (const worksheet of reader) {
        let batch: string[][] = [];
        for await (const row of worksheet) {
          const values = Array.isArray(row.values) ? row.values.slice(1) : [];
          batch.push(values.map(cellText));
          if (batch.length === BATCH) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
        return; // the first worksheet only
      }
      return;
    }
  } catch (error) {
    if (error instanceof UnreadableFile) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new UnreadableFile(ext === 'xlsx' ? workbookProblem(message) : message);
  }
  throw new Error(`readRows: unsupported extension ${ext}`);
}

/** Why exceljs could not read a workbook, in words (its own can be terse: `FILE_ENDED`). */
function workbookProblem(message: string): string {
  if (message === 'FILE_ENDED')
    return "the workbook's zip archive ends early (the file is truncated or not a complete XLSX file)";
  return `the workbook is not a readable XLSX file (${message})`;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const v = value as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (Array.isArray(v.richText))
      return v.richText
        .map((r) => r.text)
        .join('')
        .trim();
    if (v.text !== undefined) return String(v.text).trim();
    if (v.result !== undefined) return cellText(v.result);
    return '';
  }
  return String(value).trim();
}

/**
 * The header row's column names (made unique: uniqueColumnNames; empty ones left out), or an
 * empty list for an empty file.
 */
export async function readColumns(open: OpenContent, ext: string, charset?: Charset): Promise<string[]> {
  for await (const rows of readRows(open, ext, charset))
    return uniqueColumnNames(rows[0] ?? []).filter((c) => c !== '');
  return [];
}
