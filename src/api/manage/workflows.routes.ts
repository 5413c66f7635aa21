import { Type } from '@sinclair/typebox';
import type { ExecutionsList } from '../../modules/workflows/executions-list.js';
import { actorOf, type Server } from '../http/server.js';
import { Item, ListQuery, manageErrors, Page } from './common.schema.js';
import { VersionHeaders } from './versions.js';

const ActionExecution = Item({
  id: Type.String(),
  workflowId: Type.String(),
  actionType: Type.String({ description: 'add_to_group, remove_from_group, http_request' }),
  status: Type.String({ description: 'pending, running, completed, failed, skipped' }),
  createdAt: Type.String({ format: 'date-time' }),
  completedAt: Type.String({ format: 'date-time' }),
  userId: Type.String({ description: 'The person the run was for' }),
  eventId: Type.String(),
  eventType: Type.String(),
  attempts: Type.Integer(),
  error: Type.String(),
});

/** `/workflows/actionExecutions`: what workflows did, one row per action of each run. */
export async function workflowsRoutes(
  app: Server,
  { executionsList }: { executionsList: ExecutionsList },
  prefix: string,
): Promise<void> {
  app.get(
    `${prefix}/workflows/actionExecutions`,
    {
      config: { action: 'workflows:read' },
      schema: {
        tags: ['manage'],
        headers: VersionHeaders,
        querystring: ListQuery,
        response: manageErrors({ 200: Page(ActionExecution) }),
      },
    },
    async (request) => executionsList.list(actorOf(request), request.query),
  );
}
