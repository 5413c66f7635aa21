import { type Readable, Transform } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Charset } from '../files/sniff.js';

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

/**
 * The rows of a CSV or XLSX file as arrays of cell texts, streamed (never loaded whole). The first
 * row is the header. XLSX: the first worksheet.
 */
export async function* readRows(
  open: OpenContent,
  ext: string,
  charset: Charset = 'utf-8',
): AsyncGenerator<string[]> {
  if (ext === 'csv') {
    const raw = await open();
    const text = charset === 'utf-8' ? raw : raw.pipe(decoding(charset));
    const parser = text.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
    for await (const record of parser) yield (record as unknown[]).map((v) => String(v ?? '').trim());
    return;
  }
  if (ext === 'xlsx') {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(await open(), {
      sharedStrings: 'cache',
      worksheets: 'emit',
    });
    for await (const worksheet of reader) {
      for await (const row of worksheet) {
        const values = Array.isArray(row.values) ? row.values.slice(1) : [];
        yield values.map(cellText);
      }
      return; // the first worksheet only
    }
    return;
  }
  throw new Error(`readRows: unsupported extension ${ext}`);
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

/** The header row (column names), or an empty list for an empty file. */
export async function readColumns(open: OpenContent, ext: string, charset?: Charset): Promise<string[]> {
  for await (const row of readRows(open, ext, charset)) return row.filter((c) => c !== '');
  return [];
}
