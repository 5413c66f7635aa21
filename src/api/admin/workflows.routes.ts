import { Type } from '@sinclair/typebox';
import type { WorkflowsService } from '../../modules/workflows/workflows.service.js';
import { actorOf, type Server } from '../http/server.js';
import { IdParams, withErrors } from './schemas.js';

const Action = Type.Object(
  {
    type: Type.String({ description: 'add_to_group, remove_from_group or http_request' }),
    groupId: Type.Optional(
      Type.String({ maxLength: 200, description: "A group's id ('*': every group, for remove)" }),
    ),
    url: Type.Optional(Type.String({ maxLength: 2048, description: 'http_request: where to POST' })),
  },
  { additionalProperties: false },
);

/** Fields are checked by the module so every problem can name its entry (`actions[1].groupId`). */
const WorkflowBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    trigger: Type.Optional(Type.String({ description: 'user.created, user.deactivated, …' })),
    condition: Type.Optional(
      Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
        description: 'A SCIM filter the person must match, e.g. `title eq "Engineer"`',
      }),
    ),
    actions: Type.Optional(Type.Array(Action, { maxItems: 20 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Workflow = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  trigger: Type.String(),
  condition: Type.Union([Type.String(), Type.Null()]),
  actions: Type.Array(Action),
  enabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const CreatedWorkflow = Type.Object({
  workflow: Workflow,
  secret: Type.String({ description: 'Verifies http_request actions (Standard Webhooks); shown once' }),
});

/** `/api/workflows`: define onboarding/offboarding workflows (their runs: `/v1.x/workflows/actionExecutions`). */
export async function workflowsAdminRoutes(
  app: Server,
  { workflows }: { workflows: WorkflowsService },
): Promise<void> {
  const tags = ['admin'];
  app.post(
    '/api/workflows',
    {
      config: { action: 'workflows:write' },
      bodyLimit: 64 * 1024,
      schema: { tags, body: WorkflowBody, response: withErrors({ 201: CreatedWorkflow }) },
    },
    async (request, reply) => reply.status(201).send(await workflows.create(actorOf(request), request.body)),
  );
  app.get(
    '/api/workflows',
    {
      config: { action: 'workflows:read' },
      schema: { tags, response: withErrors({ 200: Type.Object({ workflows: Type.Array(Workflow) }) }) },
    },
    async (request) => ({ workflows: await workflows.list(actorOf(request)) }),
  );
  app.get(
    '/api/workflows/:id',
    {
      config: { action: 'workflows:read' },
      schema: { tags, params: IdParams, response: withErrors({ 200: Workflow }) },
    },
    async (request) => workflows.get(actorOf(request), request.params.id),
  );
  app.patch(
    '/api/workflows/:id',
    {
      config: { action: 'workflows:write' },
      bodyLimit: 64 * 1024,
      schema: { tags, params: IdParams, body: WorkflowBody, response: withErrors({ 200: Workflow }) },
    },
    async (request) => workflows.update(actorOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/workflows/:id',
    { config: { action: 'workflows:write' }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      await workflows.remove(actorOf(request), request.params.id);
      return reply.status(204).send();
    },
  );
}
