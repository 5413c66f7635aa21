import { sql } from 'kysely';
import type { Db, Dialect } from '../../platform/db/db.js';
import { type Actor, requireAction } from '../auth/actor.js';
import type { ListDefinition, ListPage } from '../listing/list.types.js';
import { parseListRequest } from '../listing/list-params.js';
import { listPage } from '../listing/list-query.js';
import { actionTypes } from './workflows.types.js';

const statuses = ['pending', 'running', 'completed', 'failed', 'skipped'] as const;

/** Executions of workflow actions (Torii's `/workflows/actionExecutions`), newest first. */
export const executionsList: ListDefinition = {
  from: sql`workflow_action_executions x`,
  tenantColumn: 'x.tenant_id',
  idColumn: 'x.id',
  defaultSort: '-createdAt',
  fields: {
    id: { select: sql.ref('x.id'), sort: true },
    workflowId: { select: sql.ref('x.workflow_id'), filter: 'text' },
    actionType: { select: sql.ref('x.action_type'), filter: 'enum', values: actionTypes },
    status: { select: sql.ref('x.status'), sort: true, filter: 'enum', values: statuses },
    createdAt: { select: sql.ref('x.created_at'), sort: true },
    completedAt: { select: sql.ref('x.completed_at'), sort: sql`coalesce(x.completed_at, '')` },
    userId: { select: sql.ref('x.person_id'), filter: 'text' },
    eventId: { select: sql.ref('x.event_id'), filter: 'text' },
    eventType: { select: sql.ref('x.event_type'), filter: 'text' },
    attempts: { select: sql.ref('x.attempts') },
    error: { select: sql.ref('x.error') },
  },
};

export function createExecutionsList({ db, dialect }: { db: Db; dialect: Dialect }) {
  return {
    async list(actor: Actor, query: Record<string, unknown>): Promise<ListPage> {
      requireAction(actor, 'workflows:read');
      return listPage(db, dialect, executionsList, parseListRequest(query, executionsList), actor.tenantId);
    },
  };
}

export type ExecutionsList = ReturnType<typeof createExecutionsList>;
