import type { Db, Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import { newId } from '../../platform/ids/ids.js';
import type { Actor } from '../auth/actor.js';

export interface AuditInput {
  /** Dotted verb, e.g. `token.created`, `role.updated`, `instance.updated`. */
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  id: string;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  createdAt: string;
}

/**
 * Writes an audit entry. Call it with the transaction of the change it records, so the entry
 * exists exactly when the change does. Audit entries are append-only.
 */
export async function recordAudit(db: Executor, actor: Actor, input: AuditInput): Promise<void> {
  await db
    .insertInto('audit_entries')
    .values({
      tenant_id: actor.tenantId,
      id: newId('aud'),
      actor_type: actor.type,
      actor_id: actor.id,
      actor_name: actor.name,
      actor_email: actor.email,
      action: input.action,
      target_type: input.targetType ?? null,
      target_id: input.targetId ?? null,
      details: toJson(input.details ?? {}),
      request_id: actor.requestId ?? null,
      created_at: nowIso(),
    })
    .execute();
}

/** The newest audit entries of a tenant, newest first, after an optional id cursor. */
export async function listAuditEntries(
  db: Db,
  tenantId: string,
  options: { limit: number; beforeId?: string; action?: string },
): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_entries').selectAll().where('tenant_id', '=', tenantId);
  if (options.beforeId) query = query.where('id', '<', options.beforeId);
  if (options.action) query = query.where('action', '=', options.action);
  const rows = await query.orderBy('id', 'desc').limit(options.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorName: r.actor_name,
    actorEmail: r.actor_email,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    details: parseJson(r.details, {}),
    requestId: r.request_id,
    createdAt: r.created_at,
  }));
}
