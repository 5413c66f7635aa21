import { Type } from '@sinclair/typebox';
import type { SyncsService } from '../../modules/ingest/syncs.service.js';
import type { InstancesService } from '../../modules/instances/instances.service.js';
import { actorOf, type Server } from '../http/server.js';
import { Instance, Sync } from '../sync/sync.schema.js';
import { IdParams, withErrors } from './schemas.js';

/** Native admin endpoints for push-sync: create instances, approve or cancel syncs, freshness. */
export async function ingestAdminRoutes(
  app: Server,
  { instances, syncs }: { instances: InstancesService; syncs: SyncsService },
): Promise<void> {
  const tags = ['admin'];
  app.post(
    '/api/instances',
    {
      config: { action: 'instances:write' },
      bodyLimit: 16 * 1024,
      schema: {
        tags,
        body: Type.Object(
          {
            appName: Type.String({ minLength: 1, maxLength: 200 }),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Type.Object({ data: Instance }) }),
      },
    },
    async (request, reply) =>
      reply.status(201).send({ data: await instances.create(actorOf(request), request.body) }),
  );
  app.patch(
    '/api/instances/:id',
    {
      config: { action: 'instances:write' },
      bodyLimit: 16 * 1024,
      schema: {
        tags,
        params: IdParams,
        body: Type.Object(
          { status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]) },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ data: Instance }) }),
      },
    },
    async (request) => ({ data: await instances.update(actorOf(request), request.params.id, request.body) }),
  );
  app.post(
    '/api/syncs/:id/approve',
    {
      config: { action: 'sync:approve' },
      schema: { tags, params: IdParams, response: withErrors({ 200: Type.Object({ data: Sync }) }) },
    },
    async (request) => ({ data: await syncs.approve(actorOf(request), request.params.id) }),
  );
  app.post(
    '/api/syncs/:id/cancel',
    {
      config: { action: 'sync:approve' },
      schema: { tags, params: IdParams, response: withErrors({ 200: Type.Object({ data: Sync }) }) },
    },
    async (request) => ({ data: await syncs.cancel(actorOf(request), request.params.id) }),
  );
  app.get(
    '/api/freshness',
    {
      config: { action: 'sync:read' },
      schema: {
        tags,
        querystring: Type.Object(
          { entity: Type.Optional(Type.String({ maxLength: 50 })) },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            tables: Type.Record(
              Type.String(),
              Type.Object({ complete_as_of: Type.String(), sources: Type.Integer() }),
            ),
            sources: Type.Array(
              Type.Object({
                instance_id: Type.String(),
                instance_name: Type.String(),
                entity: Type.String(),
                complete_as_of: Type.String(),
                sync_id: Type.String(),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => syncs.freshness(actorOf(request), request.query.entity),
  );
}
