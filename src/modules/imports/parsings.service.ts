import { nowIso, toJson } from '../../platform/db/json.js';
import { AppError, badRequest, type FieldProblem, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import { unstorableText } from '../../platform/text/storable.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import type { OpenableFile } from '../files/files.service.js';
import { charsetOfMime } from '../files/sniff.js';
import { checkers } from './check-worker.js';
import { IMPORT_JOB, type ImportJobDeps, registerImportJob } from './import-job.js';
import { loadParsing, type Parsing } from './parsing-state.js';
import { readColumns } from './read-rows.js';
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
      const header = await readColumns(file.open, file.ext, charsetOfMime(file.contentType)).catch(
        () => [] as string[],
      );
      // A header the stores cannot hold fails the parsing, naming the column.
      const problems = header.map(unstorableText);
      const bad = problems.findIndex((problem) => problem !== undefined);
      const columns = bad < 0 ? header : [];
      const failure =
        bad < 0 ? 'No header row found' : `Column ${bad + 1} of the header row ${problems[bad]}`;
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
          failure_reason: columns.length > 0 ? null : failure,
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
        if (fieldName) mapping[fieldName] = m.sourceColumn;
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

export type ParsingsService = ReturnType<typeof createParsingsService>;
