import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/**
 * Streams the records of a file: CSV (header row), NDJSON (`.ndjson`/`.jsonl`), or a JSON array
 * (`.json`, also `{data: [...]}`). CSV and NDJSON are never loaded whole.
 */
export async function* readRecords(path: string): AsyncGenerator<FileRecord> {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) {
    const parser = createReadStream(path).pipe(
      parse({
        columns: true,
        bom: true,
        skip_empty_lines: true,
        trim: false,
        max_record_size: MAX_RECORD_CHARS,
      }),
    );
    for await (const row of parser) yield rowToRecord(row as Record<string, string>);
    return;
  }
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      try {
        yield JSON.parse(line) as FileRecord;
      } catch {
        throw new Error(`${path}:${n}: not valid JSON`);
      }
    }
    return;
  }
  const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
  const list = Array.isArray(parsed) ? parsed : (parsed as { data?: unknown }).data;
  if (!Array.isArray(list)) throw new Error(`${path}: expected a JSON array of records (or {"data": [...]})`);
  yield* list as FileRecord[];
}

/** Counts a file's records cheaply (for the progress bar): CSV/NDJSON lines, JSON array length. */
export async function countRecords(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readRecords(path)) n++;
  return n;
}
