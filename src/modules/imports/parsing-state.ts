import type { Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { type FieldProblem, notFound } from '../../platform/errors/app-error.js';

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

/** A parsing as the API shows it: while applying, its sync's outcome is the parsing's outcome. */
export async function loadParsing(db: Executor, tenantId: string, id: string): Promise<Parsing> {
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

/** Moves a parsing to a new status, with what the import found and the sync it handed rows to. */
export async function setParsingState(
  db: Executor,
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
