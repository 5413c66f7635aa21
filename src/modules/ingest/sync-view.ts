import type { Executor } from '../../platform/db/db.js';
import { parseJson } from '../../platform/db/json.js';
import { notFound } from '../../platform/errors/app-error.js';
import type { Sync, SyncResult, SyncStats } from './syncs.types.js';

/** A sync's row (of the instance), or 404. */
export async function loadSync(db: Executor, tenantId: string, instanceId: string, syncId: string) {
  const row = await db
    .selectFrom('syncs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', syncId)
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  if (!row) throw notFound('Sync', syncId);
  return row;
}

/** The sync as the API shows it: status, phase, pages and records per entity, result. */
export async function toSync(db: Executor, row: Awaited<ReturnType<typeof loadSync>>): Promise<Sync> {
  const pages = await db
    .selectFrom('sync_pages')
    .select(['kind', 'entity'])
    .select((eb) => [eb.fn.countAll<number>().as('pages'), eb.fn.sum<number>('record_count').as('records')])
    .where('tenant_id', '=', row.tenant_id)
    .where('sync_id', '=', row.id)
    .groupBy(['kind', 'entity'])
    .execute();
  const stats = parseJson<SyncStats>(row.stats, {});
  const entities: Sync['entities'] = {};
  for (const p of pages) {
    entities[p.kind === 'fact' ? `facts:${p.entity}` : p.entity] = {
      kind: p.kind,
      entity: p.entity,
      pages: Number(p.pages),
      records: Number(p.records),
    };
  }
  const status = row.status === 'finished' || row.status === 'failed' ? row.status : 'running';
  const phase =
    status !== 'running' ? 'done' : stats.finish_requested ? 'applying' : stats.held ? 'held' : 'receiving';
  const sync: Sync = {
    id: row.id,
    instance_id: row.instance_id,
    status,
    created_at: row.started_at,
    phase,
    pages: Object.values(entities).reduce((n, e) => n + e.pages, 0),
    records: Object.values(entities).reduce((n, e) => n + e.records, 0),
    entities,
  };
  if (row.finished_at) sync.finished_at = row.finished_at;
  if (row.failure_reason) sync.failure_reason = row.failure_reason;
  if (stats.held && status === 'running') sync.held = stats.held;
  const result = parseJson<SyncResult | null>(row.result, null);
  if (result && Object.keys(result).length > 0) sync.result = result;
  return sync;
}
