import { sql } from 'kysely';
import { type Db, dialectOf, type Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { newId } from '../../platform/ids/ids.js';

export interface DomainEvent {
  id: string;
  tenantId: string;
  type: string;
  subjectType: string | null;
  subjectId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface EventInput {
  /** e.g. `user.created`, `user.deactivated`, `app_user.role_changed`, `sync.finished`. */
  type: string;
  subjectType?: string;
  subjectId?: string;
  payload: Record<string, unknown>;
}

/**
 * Writes domain events to the outbox. Call with the transaction of the change that caused them:
 * the events exist exactly when the change is committed, and are delivered after.
 */
export async function recordEvents(db: Executor, tenantId: string, events: EventInput[]): Promise<string[]> {
  if (events.length === 0) return [];
  const now = nowIso();
  const rows = events.map((e) => ({
    tenant_id: tenantId,
    id: newId('evt'),
    type: e.type,
    subject_type: e.subjectType ?? null,
    subject_id: e.subjectId ?? null,
    payload: toJson(e.payload),
    created_at: now,
    dispatched_at: null,
  }));
  // One statement per few thousand events (a finish can record tens of thousands): the rows go
  // in as arrays (PostgreSQL) or one JSON parameter (SQLite), not as a value per column each.
  const isPostgres = dialectOf(db) === 'postgres';
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    if (isPostgres) {
      const column = <K extends keyof (typeof rows)[number]>(key: K) => chunk.map((r) => r[key]);
      await sql`insert into events (tenant_id, id, type, subject_type, subject_id, payload, created_at)
        select ${tenantId}, u.id, u.type, u.subject_type, u.subject_id, u.payload::jsonb, ${now}
        from unnest(${column('id')}::text[], ${column('type')}::text[], ${column('subject_type')}::text[],
          ${column('subject_id')}::text[], ${column('payload')}::text[]) as u(id, type, subject_type, subject_id, payload)`.execute(
        db,
      );
    } else {
      const values = JSON.stringify(
        chunk.map((r) => [r.id, r.type, r.subject_type, r.subject_id, r.payload]),
      );
      await sql`insert into events (tenant_id, id, type, subject_type, subject_id, payload, created_at)
        select ${tenantId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ${now}
        from json_each(${values})`.execute(db);
    }
  }
  return rows.map((r) => r.id);
}

/** Events not yet handed to subscribers, oldest first, across tenants. */
export async function listPendingEvents(db: Db, limit: number): Promise<DomainEvent[]> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('dispatched_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toEvent);
}

/** Marks events as handed to every subscriber: one statement per tenant in the batch. */
export async function markDispatched(db: Executor, events: DomainEvent[]): Promise<void> {
  const now = nowIso();
  const byTenant = new Map<string, string[]>();
  for (const e of events) {
    const ids = byTenant.get(e.tenantId) ?? [];
    ids.push(e.id);
    byTenant.set(e.tenantId, ids);
  }
  for (const [tenantId, ids] of byTenant) {
    await db
      .updateTable('events')
      .set({ dispatched_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
  }
}

/** A tenant's events, newest first. */
export async function listEvents(
  db: Db,
  tenantId: string,
  options: { limit: number; beforeId?: string; type?: string },
): Promise<DomainEvent[]> {
  let query = db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId);
  if (options.beforeId) query = query.where('id', '<', options.beforeId);
  if (options.type) query = query.where('type', '=', options.type);
  return (await query.orderBy('id', 'desc').limit(options.limit).execute()).map(toEvent);
}

/** One event of a tenant, or undefined. */
export async function getEvent(db: Db, tenantId: string, id: string): Promise<DomainEvent | undefined> {
  const row = await db
    .selectFrom('events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toEvent(row) : undefined;
}

function toEvent(r: {
  tenant_id: string;
  id: string;
  type: string;
  subject_type: string | null;
  subject_id: string | null;
  payload: unknown;
  created_at: string;
}): DomainEvent {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    payload: parseJson(r.payload, {}),
    createdAt: r.created_at,
  };
}
