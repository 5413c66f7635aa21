import type { Db } from '../../platform/db/db.js';
import { nowIso } from '../../platform/db/json.js';
import { AppError } from '../../platform/errors/app-error.js';
import type { JobQueue } from '../../platform/jobs/jobs.js';
import type { Logger } from '../../platform/log/log.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, systemActor } from '../auth/actor.js';
import { importPeople, type PersonImport } from '../directory/import-people.js';
import type { FilesService, OpenableFile } from '../files/files.service.js';
import { charsetOfMime } from '../files/sniff.js';
import type { CustomIntegrationSync, LicenseInput } from '../ingest/custom-integration-sync.js';
import type { SyncsService } from '../ingest/syncs.service.js';
import { addCounts, type CheckedPage, emptyResult } from './check-rows.js';
import { checkInWorker } from './check-worker.js';
import { type ImportResult, loadParsing, type Parsing, setParsingState } from './parsing-state.js';
import { importTargets } from './targets.js';

export const IMPORT_JOB = 'parsing.import';
const PAGE = 1000;
/**
 * Pages stored together (one transaction): committing each page of keys on its own rewrote most of
 * the keys' b-tree every time (storePages).
 */
const PAGES_PER_UPLOAD = 10;
/** Uploads an import keeps in flight while it reads on. */
const UPLOADS_IN_FLIGHT = 3;

/** What the import job works with (the parsings service hands its own dependencies over). */
export interface ImportJobDeps {
  db: Db;
  files: FilesService;
  syncs: SyncsService;
  customSync: CustomIntegrationSync;
  queue: JobQueue;
  log: Logger;
}

/**
 * The import job of a mapped parsing: streams the file's rows, checks and maps each, and pushes
 * the good ones through a sync on the target app's custom instance (licenses and directory people
 * are written directly). Bad rows are reported with row number and field; good rows are imported.
 */
export function registerImportJob(deps: ImportJobDeps): void {
  const { db } = deps;
  const load = (tenantId: string, id: string) => loadParsing(db, tenantId, id);
  const setState = (tenantId: string, id: string, set: Parameters<typeof setParsingState>[3]) =>
    setParsingState(db, tenantId, id, set);
  const failNoRows = (tenantId: string, id: string, result: ImportResult) =>
    setState(tenantId, id, { status: 'failed', result, failure_reason: 'No row could be imported' });

  /** The file's rows checked for the parsing's target (in a worker thread), a page at a time. */
  const checkedPagesOf = (
    parsing: Parsing,
    file: OpenableFile,
    mapping: Record<string, string>,
  ): AsyncGenerator<CheckedPage> =>
    checkInWorker(file.open, {
      target: parsing.target ?? '',
      mapping,
      ext: file.ext,
      charset: charsetOfMime(file.contentType),
      pageSize: PAGE,
    });

  /** Licenses are few: checked and mapped like other rows, then set in one transaction. */
  async function importLicenses(
    parsing: Parsing,
    file: OpenableFile,
    mapping: Record<string, string>,
    actor: Actor,
    instance: { id: string; appId: string },
  ) {
    const result = emptyResult();
    const licenses: LicenseInput[] = [];
    for await (const page of checkedPagesOf(parsing, file, mapping)) {
      addCounts(result, page.counts);
      for (const record of page.records) licenses.push(record as unknown as LicenseInput);
    }
    if (licenses.length === 0) return failNoRows(actor.tenantId, parsing.id, result);
    await deps.customSync.setLicenses(actor, instance, licenses, null);
    await setState(actor.tenantId, parsing.id, { status: 'completed', result });
  }

  /** Directory people: checked rows upserted a page at a time (people are not an app's data). */
  async function importDirectory(
    parsing: Parsing,
    file: OpenableFile,
    mapping: Record<string, string>,
    actor: Actor,
  ) {
    const result = emptyResult();
    for await (const page of checkedPagesOf(parsing, file, mapping)) {
      addCounts(result, page.counts);
      const rows = page.records as unknown as PersonImport[];
      if (rows.length > 0)
        await db.transaction().execute((trx) => importPeople(trx, actor.tenantId, rows, nowIso()));
    }
    if (result.imported === 0) return failNoRows(actor.tenantId, parsing.id, result);
    await recordAudit(db, actor, {
      action: 'parsing.people_imported',
      targetType: 'parsing',
      targetId: parsing.id,
      details: { imported: result.imported, rejected: result.rejected },
    });
    await setState(actor.tenantId, parsing.id, { status: 'completed', result });
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
    const result = emptyResult();
    if (target.entity === 'people') return importDirectory(parsing, file, payload.mapping, actor);
    const instance = await deps.customSync.instanceFor(actor, payload.appName);
    if (target.kind === 'direct') return importLicenses(parsing, file, payload.mapping, actor, instance);
    const sync = await deps.syncs.create(actor, instance.id);
    await setState(tenantId, parsing.id, { status: 'importing', sync_id: sync.id });
    let pageNo = 0;
    /** Pages read and checked, not yet handed to an upload. */
    let pending: { page: number; data: Record<string, unknown>[] }[] = [];
    // Pages are uploaded while the next ones are read and checked: a few uploads at a time, so a
    // store that takes several writers (PostgreSQL) stores them in parallel; SQLite takes them in turn.
    const uploads: Promise<unknown>[] = [];
    const upload = async () => {
      const pages = pending;
      pending = [];
      if (pages.length === 0) return;
      // The oldest upload first: a failed one stops the import here.
      while (uploads.length >= UPLOADS_IN_FLIGHT) await uploads.shift();
      const uploaded = deps.syncs.uploadPages(actor, {
        instanceId: instance.id,
        syncId: sync.id,
        // `direct` targets (licenses, people) returned above; `kind` and `entity` only narrow types.
        kind: target.kind === 'fact' ? 'fact' : 'snapshot',
        entity: target.entity === 'licenses' || target.entity === 'people' ? 'users' : target.entity,
        pages,
        // Every record passed the entity's schema in checkedPages.
        checked: true,
      });
      uploaded.catch(() => undefined); // awaited by a later upload or below
      uploads.push(uploaded);
    };
    try {
      for await (const page of checkedPagesOf(parsing, file, payload.mapping)) {
        addCounts(result, page.counts);
        if (page.records.length === 0) continue;
        pending.push({ page: ++pageNo, data: page.records });
        if (pending.length >= PAGES_PER_UPLOAD) await upload();
      }
      await upload();
      for (const uploaded of uploads) await uploaded;
    } catch (error) {
      await Promise.allSettled(uploads);
      // Leave no running sync behind: it would refuse every later sync of the app's instance (409).
      await deps.syncs.cancel(actor, sync.id).catch(() => undefined);
      throw error;
    }
    if (result.imported === 0) {
      await deps.syncs.cancel(actor, sync.id);
      return failNoRows(tenantId, parsing.id, result);
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
}
