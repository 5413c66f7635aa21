import { sql } from 'kysely';
import type { Db, Dialect } from '../../platform/db/db.js';
import { parseJson } from '../../platform/db/json.js';
import { type Actor, requireAction } from '../auth/actor.js';
import type { ListDefinition, ListPage } from '../listing/list.types.js';
import { parseListRequest } from '../listing/list-params.js';
import { listPage } from '../listing/list-query.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The audit log as a list: newest first by default, read-only (nothing edits or deletes entries). */
export const auditList: ListDefinition = {
  from: sql`audit_entries e`,
  tenantColumn: 'e.tenant_id',
  idColumn: 'e.id',
  defaultSort: '-createdAt',
  fields: {
    id: { select: sql.ref('e.id'), sort: true },
    action: { select: sql.ref('e.action'), filter: 'text' },
    actor: { select: sql`coalesce(e.actor_name, e.actor_id, e.actor_type)`, filter: 'text' },
    actorType: { select: sql.ref('e.actor_type'), filter: 'text' },
    actorEmail: {
      select: sql.ref('e.actor_email'),
      filter: 'text',
      present: (v) => (typeof v === 'string' && EMAIL.test(v) ? v : undefined),
    },
    target: { select: sql.ref('e.target_id'), filter: 'text' },
    targetType: { select: sql.ref('e.target_type'), filter: 'text' },
    details: { select: sql.ref('e.details'), present: (v) => parseJson(v, {}) },
    requestId: { select: sql.ref('e.request_id') },
    createdAt: { select: sql.ref('e.created_at'), sort: true },
  },
};

/** `/audit` of the management face: up to 1000 entries a page. */
export function createAuditList({ db, dialect }: { db: Db; dialect: Dialect }) {
  return {
    async list(actor: Actor, query: Record<string, unknown>): Promise<ListPage> {
      requireAction(actor, 'audit:read');
      return listPage(db, dialect, auditList, parseListRequest(query, auditList), actor.tenantId);
    },
  };
}

export type AuditList = ReturnType<typeof createAuditList>;
