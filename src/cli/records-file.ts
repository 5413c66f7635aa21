import { type FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { MAX_RECORD_CHARS } from '../modules/imports/read-rows.js';

export type FileRecord = Record<string, unknown>;

/**
 * Turns a CSV row into a record: empty cells are left out, `custom_fields.<key>` (or `custom.<key>`)
 * columns become `custom_fields`, `true`/`false` become booleans for the boolean fields.
 */
export function rowToRecord(row: Record<string, string>): FileRecord {
  const record: FileRecord = {};
  const custom: Record<string, string> = {};
  for (const [column, raw] of Object.entries(row)) {
    const value = raw.trim();
    if (value === '') continue;
    const customKey = /^custom(?:_fields)?\.(.+)$/.exec(column)?.[1];
    if (customKey) custom[customKey] = value;
    else if (column === 'amount') record[column] = Number(value);
    else if (column === 'auto_renew') record[column] = value.toLowerCase() === 'true';
    else record[column] = value;
  }
  if (Object.keys(custom).length > 0) record.custom_fields = custom;
  return record;
}

const unreadable: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
};

/** `cannot read <path>: <reason>` for an error of the file system, in one line. */
function cannotRead(path: string, error: unknown): Error {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  const reason = unreadable[code] ?? (error instanceof Error ? error.message : String(error));
  return new Error(`cannot read ${path}: ${reason}`);
}

/** Opens a regular file for reading; a missing or unreadable one fails here, with one clear line. */
async function openFile(path: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    if (!(await handle.stat()).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    return handle;
  } catch (error) {
    await handle?.close();
    throw cannotRead(path, error);
  }
}

function isRecord(value: unknown): value is FileRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Streams the records of a file: CSV (header row), NDJSON (`.ndjson`/`.jsonl`), or a JSON array
 * (`.json`, also `{data: [...]}`). CSV and NDJSON are never loaded whole. Every error names the
 * file (and the line or record where it has one).
 */
export async function* readRecords(path: string): AsyncGenerator<FileRecord> {
  const handle = await openFile(path);
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) {
    const input = handle.createReadStream();
    const parser = parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: false,
      max_record_size: MAX_RECORD_CHARS,
    });
    // pipe() does not forward a read error: unforwarded, it was an unhandled 'error' event.
    input.on('error', (error) => parser.destroy(cannotRead(path, error)));
    input.pipe(parser);
    try {
      for await (const row of parser) yield rowToRecord(row as Record<string, string>);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(message.startsWith(`cannot read ${path}`) ? message : `${path}: ${message}`);
    } finally {
      input.destroy();
    }
    return;
  }
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) {
    const input = handle.createReadStream();
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    try {
      for await (const line of lines) {
        n++;
        if (line.trim() === '') continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new Error(`${path}:${n}: not valid JSON`);
        }
        if (!isRecord(parsed)) throw new Error(`${path}:${n}: not a JSON object`);
        yield parsed;
      }
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(`${path}:`)) throw error;
      throw cannotRead(path, error);
    } finally {
      input.destroy();
    }
    return;
  }
  let text: string;
  try {
    text = await handle.readFile('utf8');
  } catch (error) {
    throw cannotRead(path, error);
  } finally {
    await handle.close();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const list = Array.isArray(parsed) ? parsed : isRecord(parsed) ? parsed.data : undefined;
  if (!Array.isArray(list)) throw new Error(`${path}: expected a JSON array of records (or {"data": [...]})`);
  for (const [index, record] of list.entries()) {
    if (!isRecord(record)) throw new Error(`${path}: record ${index} is not a JSON object`);
    yield record;
  }
}

/**
 * Reads the whole file and counts its records: a file that is missing, malformed or holds
 * something other than records fails here, before anything is sent.
 */
export async function countRecords(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readRecords(path)) n++;
  return n;
}
