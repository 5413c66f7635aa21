import type { Db } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { AppError, badRequest, type FieldProblem, notFound } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids/ids.js';
import type { JobQueue } from '../../platform/jobs/jobs.js';
import type { Logger } from '../../platform/log/log.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction, systemActor } from '../auth/actor.js';
import { importPeople, type PersonImport } from '../directory/import-people.js';
import type { FilesService, OpenableFile } from '../files/files.service.js';
import { charsetOfMime } from '../files/sniff.js';
import type { CustomIntegrationSync, LicenseInput } from '../ingest/custom-integration-sync.js';
import { validateRecords } from '../ingest/records.schema.js';
import type { SyncsService } from '../ingest/syncs.service.js';
import { readColumns, readRows } from './read-rows.js';
import { checkRow, type ImportTarget, importTargets } from './targets.js';

export interface Parsing {
  id: string;
  fileId: string;
  /** `ready` (columns detected) → `importing` → `applying` → `completed` | `failed`. */
  status: string;
  columns: string[];
  target: string | null;
  syncId: string | null;
  result: ImportResult | null;
  failureReason: string | null;
  createdAt: string;
}

export interface ImportResult {
  rows: number;
  imported: number;
  rejected: number;
  /** Per-row problems (row numbers count the header as row 1), at most 1000 listed. */
  errors: FieldProblem[];
}

export const IMPORT_JOB = 'parsing.import';
const PAGE = 1000;
/** Page uploads an import keeps in flight while it reads on. */
const UPLOADS_IN_FLIGHT = 3;
const MAX_LISTED_ERRORS = 1000;

/**
 * Parsings of uploaded CSV/XLSX files: columns detected at upload, then a column mapping imports
 * the rows through the push-sync ingestion (a sync on the target app's custom instance) as a
 * background job. Bad rows are reported with row number and field; good rows are imported.
 */
export function createParsingsService(deps: {
  db: Db;
  files: FilesService;
  syncs: SyncsService;
  customSync: CustomIntegrationSync;
  queue: JobQueue;
  log: Logger;
}) {
  const { db } = deps;

  async function load(tenantId: string, id: string): Promise<Parsing> {
    const row = await db
      .selectFrom('parsings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Parsing', id);
    let status = row.status;
    let failureReason = row.failure_reason;
    if (status === 'applying' && row.sync_id) {
      // The import handed its rows to a sync: its outcome is the parsing's outcome.
      const sync = await db
        .selectFrom('syncs')
        .select(['status', 'failure_reason'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', row.sync_id)
        .executeTakeFirst();
      if (sync?.status === 'finished') status = 'completed';
      if (sync?.status === 'failed') {
        status = 'failed';
        failureReason = `The sync failed: ${sync.failure_reason ?? 'unknown reason'}`;
      }
    }
    return {
      id: row.id,
      fileId: row.file_id,
      status,
      columns: parseJson(row.columns, []),
      target: row.target,
      syncId: row.sync_id,
      result: parseJson(row.result, null),
      failureReason,
      createdAt: row.created_at,
    };
  }

  async function setState(
    tenantId: string,
    id: string,
    set: { status: string; result?: ImportResult; sync_id?: string; failure_reason?: string },
  ) {
    await db
      .updateTable('parsings')
      .set({
        status: set.status,
        updated_at: nowIso(),
        ...(set.result ? { result: toJson(set.result) } : {}),
        ...(set.sync_id ? { sync_id: set.sync_id } : {}),
        ...(set.failure_reason ? { failure_reason: set.failure_reason } : {}),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  /** Licenses are few: checked and mapped like other rows, then set in one transaction. */
  async function importLicenses(
    parsing: Parsing,
    target: ImportTarget,
    file: OpenableFile,
    mapping: Record<string, string>,
    actor: Actor,
    instance: { id: string; appId: string },
  ) {
    const result: ImportResult = { rows: 0, imported: 0, rejected: 0, errors: [] };
    const licenses: LicenseInput[] = [];
    for await (const { row, values } of mappedRows(file, mapping)) {
      result.rows++;
      const problems = checkRow(target, values, row);
      if (problems.length > 0) {
        result.rejected++;
        for (const p of problems) if (result.errors.length < MAX_LISTED_ERRORS) result.errors.push(p);
        continue;
      }
      licenses.push(target.toRecord(values, row) as unknown as LicenseInput);
      result.imported++;
    }
    if (licenses.length === 0)
      return setState(actor.tenantId, parsing.id, {
        status: 'failed',
        result,
        failure_reason: 'No row could be imported',
      });
    await deps.customSync.setLicenses(actor, instance, licenses, null);
    await setState(actor.tenantId, parsing.id, { status: 'completed', result });
  }

  /** Directory people: checked rows upserted a page at a time (people are not an app's data). */
  async function importDirectory(
    parsing: Parsing,
    target: ImportTarget,
    file: OpenableFile,
    mapping: Record<string, string>,
    actor: Actor,
  ) {
    const result: ImportResult = { rows: 0, imported: 0, rejected: 0, errors: [] };
    let page: PersonImport[] = [];
    const flush = async () => {
      if (page.length === 0) return;
      const rows = page;
      page = [];
      await db.transaction().execute((trx) => importPeople(trx, actor.tenantId, rows, nowIso()));
    };
    for await (const { row, values } of mappedRows(file, mapping)) {
      result.rows++;
      const problems = checkRow(target, values, row);
      if (problems.length > 0) {
        result.rejected++;
        for (const p of problems) if (result.errors.length < MAX_LISTED_ERRORS) result.errors.push(p);
        continue;
      }
      page.push(target.toRecord(values, row) as unknown as PersonImport);
      result.imported++;
      if (page.length === PAGE) await flush();
    }
    await flush();
    if (result.imported === 0)
      return setState(actor.tenantId, parsing.id, {
        status: 'failed',
        result,
        failure_reason: 'No row could be imported',
      });
    await recordAudit(db, actor, {
      action: 'parsing.people_imported',
      targetType: 'parsing',
      targetId: parsing.id,
      details: { imported: result.imported, rejected: result.rejected },
    });
    await setState(actor.tenantId, parsing.id, { status: 'completed', result });
  }

  /** A file's data rows as `{row, values}` by target field (row numbers count the header as 1). */
  async function* mappedRows(file: OpenableFile, mapping: Record<string, string>) {
    let header: string[] | undefined;
    let row = 0;
    for await (const cells of readRows(file.open, file.ext, charsetOfMime(file.contentType))) {
      row++;
      if (!header) {
        header = cells;
        continue;
      }
      const values: Record<string, string> = {};
      for (const [field, column] of Object.entries(mapping))
        values[field] = cells[header.indexOf(column)] ?? '';
      yield { row, values };
    }
  }

  async function syncOf(tenantId: string, syncId: string) {
    const row = await db
      .selectFrom('syncs')
      .select('instance_id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', syncId)
      .executeTakeFirst();
    return row ? deps.syncs.get(systemActor(tenantId, 'file import'), row.instance_id, syncId) : undefined;
  }

  /** The import job: stream rows, check and map each, push the good ones through a sync. */
  async function runImport(
    payload: { parsingId: string; appName: string; mapping: Record<string, string> },
    tenantId: string,
  ) {
    const started = Date.now();
    const parsing = await load(tenantId, payload.parsingId);
    const actor = systemActor(tenantId, 'file import');
    const earlier = parsing.syncId ? await syncOf(tenantId, parsing.syncId) : undefined;
    if (parsing.status === 'applying') {
      // An earlier attempt handed the rows over and stopped before asking for the apply.
      if (earlier?.status === 'running' && earlier.phase === 'receiving')
        await deps.syncs.finish(actor, earlier.instance_id, earlier.id, { wait: false });
      return;
    }
    if (parsing.status !== 'importing') return; // done already (at-least-once delivery)
    // An earlier attempt died while uploading: its sync would hold the instance (409) forever.
    if (earlier?.status === 'running') await deps.syncs.cancel(actor, earlier.id);
    const target = importTargets[parsing.target ?? ''];
    if (!target)
      return setState(tenantId, parsing.id, {
        status: 'failed',
        failure_reason: `Unknown target ${parsing.target}`,
      });
    const file = await deps.files.get(actor, parsing.fileId);
    const result: ImportResult = { rows: 0, imported: 0, rejected: 0, errors: [] };
    if (target.entity === 'people') return importDirectory(parsing, target, file, payload.mapping, actor);
    const instance = await deps.customSync.instanceFor(actor, payload.appName);
    if (target.kind === 'direct')
      return importLicenses(parsing, target, file, payload.mapping, actor, instance);
    const sync = await deps.syncs.create(actor, instance.id);
    await setState(tenantId, parsing.id, { status: 'importing', sync_id: sync.id });
    const entity = target.entity === 'licenses' ? 'users' : target.entity;
    let page: Record<string, unknown>[] = [];
    let pageNo = 0;
    // Pages are uploaded while the next ones are read and checked: a few at a time, so a store
    // that takes several writers (PostgreSQL) stores them in parallel; SQLite takes them in turn.
    const uploads: Promise<unknown>[] = [];
    const flush = async () => {
      if (page.length === 0 && pageNo > 0) return;
      pageNo++;
      const data = page;
      page = [];
      // The oldest upload first: a failed one stops the import here.
      while (uploads.length >= UPLOADS_IN_FLIGHT) await uploads.shift();
      const upload = deps.syncs.uploadPage(actor, {
        instanceId: instance.id,
        syncId: sync.id,
        // `direct` targets (licenses, people) returned above; `kind` and `entity` only narrow types.
        kind: target.kind === 'fact' ? 'fact' : 'snapshot',
        entity,
        page: pageNo,
        data,
        // Every record passed validateRecords in the loop below.
        checked: true,
      });
      upload.catch(() => undefined); // awaited by a later flush or below
      uploads.push(upload);
    };
    const mapping = payload.mapping;
    const seen = new Map<string, number>();
    try {
      for await (const { row: rowNo, values } of mappedRows(file, mapping)) {
        result.rows++;
        const record = target.toRecord(values, rowNo);
        // The entity schema has the last word (lengths, email format…): one row it refuses must not
        // make the page, and with it the import, fail.
        const problems = checkRow(target, values, rowNo);
        if (problems.length === 0)
          for (const p of validateRecords(entity, [record], 5))
            problems.push({ field: p.field.replace(/^data\/0\//, ''), problem: p.problem, index: rowNo });
        if (problems.length === 0 && typeof record.id === 'string') {
          // Two rows for one record: the later would silently overwrite the earlier; refuse it.
          const key = record.id.toLowerCase();
          const first = seen.get(key);
          if (first === undefined) seen.set(key, rowNo);
          else
            problems.push({
              field: mapping.externalId ? 'externalId' : target.fields.email ? 'email' : 'id',
              problem: `'${record.id}' repeats row ${first}; each ${target.entity === 'users' ? 'account' : 'record'} may appear once`,
              index: rowNo,
            });
        }
        if (problems.length > 0) {
          result.rejected++;
          for (const p of problems) if (result.errors.length < MAX_LISTED_ERRORS) result.errors.push(p);
          continue;
        }
        page.push(record);
        result.imported++;
        if (page.length === PAGE) await flush();
      }
      await flush();
      for (const upload of uploads) await upload;
    } catch (error) {
      await Promise.allSettled(uploads);
      // Leave no running sync behind: it would refuse every later sync of the app's instance (409).
      await deps.syncs.cancel(actor, sync.id).catch(() => undefined);
      throw error;
    }
    if (result.imported === 0) {
      await deps.syncs.cancel(actor, sync.id);
      return setState(tenantId, parsing.id, {
        status: 'failed',
        result,
        failure_reason: 'No row could be imported',
      });
    }
    await setState(tenantId, parsing.id, { status: 'applying', result, sync_id: sync.id });
    await deps.syncs.finish(actor, instance.id, sync.id, { wait: false });
    deps.log.info(
      { parsingId: parsing.id, syncId: sync.id, rows: result.rows, pages: pageNo, ms: Date.now() - started },
      'file import handed to its sync',
    );
  }

  deps.queue.register<{ parsingId: string; appName: string; mapping: Record<string, string> }>({
    name: IMPORT_JOB,
    retryLimit: 2,
    handler: async (payload, context) => {
      try {
        await runImport(payload, context.tenantId);
      } catch (error) {
        deps.log.warn({ err: error, parsingId: payload.parsingId }, 'file import failed');
        const reason = error instanceof AppError ? error.message : 'Internal error while importing';
        await setState(context.tenantId, payload.parsingId, { status: 'failed', failure_reason: reason });
      }
    },
  });

  return {
    /** Creates the parsing of an uploaded CSV/XLSX file, with its detected columns. */
    async createForFile(actor: Actor, file: OpenableFile): Promise<Parsing | undefined> {
      if (file.ext !== 'csv' && file.ext !== 'xlsx') return undefined;
      const columns = await readColumns(file.open, file.ext, charsetOfMime(file.contentType)).catch(
        () => [] as string[],
      );
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
          failure_reason: columns.length > 0 ? null : 'No header row found',
          created_by: actor.id,
          created_at: now,
          updated_at: now,
        })
        .execute();
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
