import type { ScimUsersService } from '../../modules/scim/users.service.js';
import { userSchemas } from '../../modules/scim/users.service.js';
import { actorOf, type Server } from '../http/server.js';
import { listRoutes } from './list-routes.js';
import { baseUrlOf, headerValue, SCIM_JSON, sendFetched, sendResource } from './reply.js';
import { IdParams, PatchBody, ProjectionQuery, ScimBody } from './scim.schema.js';

const schemaIds = userSchemas.map((s) => s.id);

/** `/Users` under one SCIM prefix: list, search, get, create, replace, patch, delete. */
export async function usersRoutes(
  app: Server,
  { prefix, users, publicUrl }: { prefix: string; users: ScimUsersService; publicUrl: string | undefined },
): Promise<void> {
  const tags = ['scim'];
  const read = { action: 'scim:users:read' };
  const write = { action: 'scim:users:write' };
  listRoutes(app, {
    path: `${prefix}/Users`,
    action: read.action,
    publicUrl,
    schemaIds,
    list: (actor, query, baseUrl) => users.list(actor, query, baseUrl),
  });
  app.get(
    `${prefix}/Users/:id`,
    { config: read, schema: { tags, params: IdParams, querystring: ProjectionQuery } },
    async (request, reply) => {
      const resource = await users.get(actorOf(request), request.params.id, baseUrlOf(request, publicUrl));
      return sendFetched(request, reply, resource, request.query, schemaIds);
    },
  );
  app.post(`${prefix}/Users`, { config: write, schema: { tags, body: ScimBody } }, async (request, reply) =>
    sendResource(
      reply,
      await users.create(actorOf(request), request.body, baseUrlOf(request, publicUrl)),
      201,
      {},
      schemaIds,
    ),
  );
  app.put(
    `${prefix}/Users/:id`,
    { config: write, schema: { tags, params: IdParams, body: ScimBody } },
    async (request, reply) =>
      sendResource(
        reply,
        await users.replace(
          actorOf(request),
          request.params.id,
          request.body,
          headerValue(request.headers['if-match']),
          baseUrlOf(request, publicUrl),
        ),
        200,
        {},
        schemaIds,
      ),
  );
  app.patch(
    `${prefix}/Users/:id`,
    { config: write, schema: { tags, params: IdParams, body: PatchBody } },
    async (request, reply) => {
      const resource = await users.patch(
        actorOf(request),
        request.params.id,
        request.body,
        headerValue(request.headers['if-match']),
        baseUrlOf(request, publicUrl),
      );
      if (/return=minimal/i.test(headerValue(request.headers.prefer) ?? '')) {
        return reply
          .status(204)
          .header('etag', (resource.meta as { version: string }).version)
          .send();
      }
      return sendResource(reply, resource, 200, {}, schemaIds);
    },
  );
  app.delete(
    `${prefix}/Users/:id`,
    { config: write, schema: { tags, params: IdParams } },
    async (request, reply) => {
      await users.remove(actorOf(request), request.params.id, headerValue(request.headers['if-match']));
      return reply.status(204).type(SCIM_JSON).send();
    },
  );
}
