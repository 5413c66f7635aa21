import type { FieldProblem } from '../../platform/errors/app-error.js';
import { type SnapshotEntity, validateRecords } from '../ingest/records.schema.js';
import { uniqueColumnNames } from './file-header.js';
import type { ImportResult } from './parsing-state.js';
import { checkRow, type ImportTarget } from './targets.js';

/** Problems listed per import at most (every refused row is counted). */
export const MAX_LISTED_ERRORS = 1000;

/** A page of checked records, with the counts of the rows read since the previous page. */
export interface CheckedPage {
  records: Record<string, unknown>[];
  counts: ImportResult;
}

/** An import's counts before any row. */
export const emptyResult = (): ImportResult => ({ rows: 0, imported: 0, rejected: 0, errors: [] });

/** Lists problems, up to MAX_LISTED_ERRORS in all. */
function listProblems(into: FieldProblem[], problems: readonly FieldProblem[]): void {
  for (const p of problems) if (into.length < MAX_LISTED_ERRORS) into.push(p);
}

/** Adds a page's counts to an import's (problems listed up to MAX_LISTED_ERRORS in all). */
export function addCounts(into: ImportResult, from: ImportResult): void {
  into.rows += from.rows;
  into.imported += from.imported;
  into.rejected += from.rejected;
  listProblems(into.errors, from.errors);
}

/**
 * Checks a file's rows (in batches, as readRows gives them) for a target and yields the good ones
 * as records, a page at a time (the last page may be short or empty; it carries the last counts). The first row is the header;
 * row numbers count it as 1. Push-sync targets also pass the entity's schema (it has the last
 * word: lengths, email format…), and a record id seen before refuses the row (the later would
 * silently overwrite the earlier).
 */
export async function* checkedPages(
  rows: AsyncIterable<string[][]>,
  target: ImportTarget,
  mapping: Record<string, string>,
  pageSize: number,
): AsyncGenerator<CheckedPage> {
  const fields = Object.entries(mapping);
  const entity = target.kind === 'direct' ? undefined : (target.entity as SnapshotEntity);
  const seen = new Map<string, number>();
  const idField = mapping.externalId ? 'externalId' : target.fields.email ? 'email' : 'id';
  const what = target.entity === 'users' ? 'account' : 'record';
  let columns: number[] | undefined;
  let rowNo = 0;
  let page: CheckedPage = { records: [], counts: emptyResult() };
  const refuse = (problems: FieldProblem[]) => {
    page.counts.rejected++;
    listProblems(page.counts.errors, problems);
  };
  for await (const batch of rows) {
    for (const cells of batch) {
      rowNo++;
      if (!columns) {
        // Named as column detection named them, so `email (2)` finds the second `email`.
        const names = uniqueColumnNames(cells);
        columns = fields.map(([, column]) => names.indexOf(column));
        continue;
      }
      page.counts.rows++;
      const values: Record<string, string> = {};
      for (let i = 0; i < fields.length; i++)
        values[(fields[i] as [string, string])[0]] = cells[columns[i] as number] ?? '';
      const problems = checkRow(target, values, rowNo);
      if (problems.length > 0) {
        refuse(problems);
        continue;
      }
      const record = target.toRecord(values, rowNo);
      if (entity) {
        for (const p of validateRecords(entity, [record], 5))
          problems.push({ field: p.field.replace(/^data\/0\//, ''), problem: p.problem, index: rowNo });
        if (problems.length === 0 && typeof record.id === 'string') {
          const key = record.id.toLowerCase();
          const first = seen.get(key);
          if (first === undefined) seen.set(key, rowNo);
          else
            problems.push({
              field: idField,
              problem: `'${record.id}' repeats row ${first}; each ${what} may appear once`,
              index: rowNo,
            });
        }
        if (problems.length > 0) {
          refuse(problems);
          continue;
        }
      }
      page.records.push(record);
      page.counts.imported++;
      if (page.records.length === pageSize) {
        yield page;
        page = { records: [], counts: emptyResult() };
      }
    }
  }
  yield page;
}
