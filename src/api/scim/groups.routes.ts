import type { ScimGroupsService } from '../../modules/scim/groups.service.js';
import { CORE_GROUP } from '../../modules/scim/schemas.js';
import { actorOf, type Server } from '../http/server.js';
import { listRoutes } from './list-routes.js';
import { baseUrlOf, headerValue, SCIM_JSON, sendFetched, sendResource } from './reply.js';
import { IdParams, PatchBody, ProjectionQuery, ScimBody } from './scim.schema.js';

const schemaIds = [CORE_GROUP];
/** Group bodies may carry thousands of members. */
const bodyLimit = 4 * 1024 * 1024;

/** `/Groups` under one SCIM prefix. */
export async function groupsRoutes(
  app: Server,
  { prefix, groups, publicUrl }: { prefix: string; groups: ScimGroupsService; publicUrl: string | undefined },
): Promise<void> {
  const tags = ['scim'];
  const read = { action: 'scim:groups:read' };
  const write = { action: 'scim:groups:write' };
  listRoutes(app, {
    path: `${prefix}/Groups`,
    action: read.action,
    publicUrl,
    schemaIds,
    list: (actor, query, baseUrl) => groups.list(actor, query, baseUrl),
  });
  app.get(
    `${prefix}/Groups/:id`,
    { config: read, schema: { tags, params: IdParams, querystring: ProjectionQuery } },
    async (request, reply) => {
      const withMembers = !/(^|,)\s*members\s*(,|$)/i.test(request.query.excludedAttributes ?? '');
      const resource = await groups.get(
        actorOf(request),
        request.params.id,
        baseUrlOf(request, publicUrl),
        withMembers,
      );
      return sendFetched(request, reply, resource, request.query, schemaIds);
    },
  );
  app.post(
    `${prefix}/Groups`,
    { config: write, bodyLimit, schema: { tags, body: ScimBody } },
    async (request, reply) =>
      sendResource(
        reply,
        await groups.create(actorOf(request), request.body, baseUrlOf(request, publicUrl)),
        201,
        {},
        schemaIds,
      ),
  );
  app.put(
    `${prefix}/Groups/:id`,
    { config: write, bodyLimit, schema: { tags, params: IdParams, body: ScimBody } },
    async (request, reply) =>
      sendResource(
        reply,
        await groups.replace(
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
    `${prefix}/Groups/:id`,
    { config: write, bodyLimit, schema: { tags, params: IdParams, body: PatchBody } },
    async (request, reply) => {
      const minimal = /return=minimal/i.test(headerValue(request.headers.prefer) ?? '');
      const resource = await groups.patch(
        actorOf(request),
        request.params.id,
        request.body,
        headerValue(request.headers['if-match']),
        baseUrlOf(request, publicUrl),
        !minimal,
      );
      if (!resource) return reply.status(204).send();
      return sendResource(reply, resource, 200, {}, schemaIds);
    },
  );
  app.delete(
    `${prefix}/Groups/:id`,
    { config: write, schema: { tags, params: IdParams } },
    async (request, reply) => {
      await groups.remove(actorOf(request), request.params.id, headerValue(request.headers['if-match']));
      return reply.status(204).type(SCIM_JSON).send();
    },
  );
}
