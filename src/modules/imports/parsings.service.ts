import { nowIso, toJson } from '../../platform/db/json.js';
import { AppError, badRequest, type FieldProblem, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import type { Logger } from '../../platform/log/log.js';
import { unstorableText } from '../../platform/text/storable.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import type { OpenableFile } from '../files/files.service.js';
import { charsetOfMime } from '../files/sniff.js';
import { checkers } from './check-worker.js';
import { IMPORT_JOB, type ImportJobDeps, registerImportJob } from './import-job.js';
import { loadParsing, type Parsing } from './parsing-state.js';
import { readColumns, UnreadableFile } from './read-rows.js';
import { importTargets } from './targets.js';

/**
 * Parsings of uploaded CSV/XLSX files: columns detected at upload, then a column mapping imports
 * the rows through the push-sync ingestion (a sync on the target app's custom instance) as a
 * background job (import-job.ts).
 */
export function createParsingsService(deps: ImportJobDeps) {
  const { db } = deps;
  const load = (tenantId: string, id: string) => loadParsing(db, tenantId, id);
  registerImportJob(deps);

  return {
    /** Creates the parsing of an uploaded CSV/XLSX file, with its detected columns. */
    async createForFile(actor: Actor, file: OpenableFile): Promise<Parsing | undefined> {
      if (file.ext !== 'csv' && file.ext !== 'xlsx') return undefined;
      const { columns, failure } = await detectColumns(file, deps.log);
      const id = newId('prs');
      const now = nowIso();
      await db
        .insertInto('parsings')
        .values({
          tenant_id: actor.tenantId,
          id,
          file_id: file.id,
          status: columns.length > 0 ? 'ready' : 'failed',
          columns: toJson(columns),
          target: null,
          mappings: null,
          sync_id: null,
          result: null,
          failure_reason: failure ?? null,
          created_by: actor.id,
          created_at: now,
          updated_at: now,
        })
        .execute();
      // A parsing ready to be mapped is usually imported next: a row checker loads meanwhile.
      if (columns.length > 0) checkers().warm();
      return load(actor.tenantId, id);
    },

    async get(actor: Actor, id: string): Promise<Parsing> {
      requireAction(actor, 'files:read');
      return load(actor.tenantId, id);
    },

    /**
     * Maps columns to a target's fields and starts the import. Every mapping problem is a 400
     * naming the entry; nothing starts until the whole mapping is valid.
     */
    async mapAndImport(
      actor: Actor,
      input: {
        fileId: string;
        mappings: { sourceColumn: string; targetField: string }[];
        target?: string | undefined;
        appName?: string | undefined;
      },
    ): Promise<Parsing> {
      requireAction(actor, 'files:write');
      requireAction(actor, 'sync:write');
      const row = await db
        .selectFrom('parsings')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .where('file_id', '=', input.fileId)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (!row) throw notFound('Parsing of file', input.fileId);
      const parsing = await load(actor.tenantId, row.id);
      if (parsing.status !== 'ready')
        throw new AppError(
          'conflict',
          `Parsing ${parsing.id} is ${parsing.status}; upload the file again to import it again`,
        );
      const targetName = input.target ?? 'accounts';
      const target = importTargets[targetName];
      const problems: FieldProblem[] = [];
      if (!target)
        problems.push({
          field: 'target',
          problem: `must be one of ${Object.keys(importTargets).join(', ')}`,
        });
      const appName = input.appName?.trim();
      if (!appName && target?.entity !== 'people')
        problems.push({
          field: 'appName',
          problem: 'required: the app whose custom instance receives the rows',
        });
      const mapping: Record<string, string> = {};
      /** The entry that mapped each target field first. */
      const mappedBy: Record<string, number> = {};
      input.mappings.forEach((m, i) => {
        if (!parsing.columns.includes(m.sourceColumn))
          problems.push({
            field: `mappings[${i}].sourceColumn`,
            problem: `no column '${m.sourceColumn}' in the file (columns: ${parsing.columns.join(', ')})`,
          });
        const fieldName = target
          ? Object.keys(target.fields).find((f) => f.toLowerCase() === m.targetField.toLowerCase())
          : undefined;
        if (target && !fieldName)
          problems.push({
            field: `mappings[${i}].targetField`,
            problem: `'${m.targetField}' is not a field of ${targetName} (fields: ${Object.keys(target.fields).join(', ')})`,
          });
        if (fieldName && mappedBy[fieldName] !== undefined)
          problems.push({
            field: `mappings[${i}].targetField`,
            problem: `'${fieldName}' is already the target of mappings[${mappedBy[fieldName]}]; each field may be mapped once`,
          });
        else if (fieldName) {
          mappedBy[fieldName] = i;
          mapping[fieldName] = m.sourceColumn;
        }
      });
      for (const [field, spec] of Object.entries(target?.fields ?? {})) {
        if (spec.required && !mapping[field])
          problems.push({ field: 'mappings', problem: `the required field '${field}' is not mapped` });
      }
      if (problems.length > 0) throw badRequest(problems);
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('parsings')
          .set({
            status: 'importing',
            target: targetName,
            mappings: toJson(input.mappings),
            updated_at: nowIso(),
          })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', '=', parsing.id)
          .execute();
        await recordAudit(trx, actor, {
          action: 'parsing.import_started',
          targetType: 'parsing',
          targetId: parsing.id,
          details: { fileId: input.fileId, target: targetName, appName },
        });
      });
      checkers().warm();
      await deps.queue.enqueue(
        actor.tenantId,
        IMPORT_JOB,
        { parsingId: parsing.id, appName: appName ?? '', mapping },
        { singletonKey: parsing.id },
      );
      return load(actor.tenantId, parsing.id);
    },
  };
}

/**
 * A file's columns as detected at upload, or why it cannot be imported: content the parser cannot
 * read (with the parser's reason), no header row, or a header name the stores cannot hold.
 */
async function detectColumns(
  file: OpenableFile,
  log: Logger,
): Promise<{ columns: string[]; failure?: string }> {
  let header: string[];
  try {
    header = await readColumns(file.open, file.ext, charsetOfMime(file.contentType));
  } catch (error) {
    if (error instanceof UnreadableFile)
      return { columns: [], failure: `The file could not be read: ${error.message}` };
    log.warn({ err: error, fileId: file.id }, 'reading the header of an uploaded file failed');
    return { columns: [], failure: 'The file could not be read (internal error)' };
  }
  if (header.length === 0) return { columns: [], failure: 'No header row found' };
  // A header the stores cannot hold fails the parsing, naming the column.
  const problems = header.map(unstorableText);
  const bad = problems.findIndex((problem) => problem !== undefined);
  if (bad >= 0) return { columns: [], failure: `Column ${bad + 1} of the header row ${problems[bad]}` };
  return { columns: header };
}

export type ParsingsService = ReturnType<typeof createParsingsService>;
