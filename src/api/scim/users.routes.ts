import type { ScimUsersService } from '../../modules/scim/users.service.js';
import { userSchemas } from '../../modules/scim/users.service.js';
import { etagMatches } from '../../modules/scim/versioning.js';
import { actorOf, type Server } from '../http/server.js';
import { baseUrlOf, SCIM_JSON, sendList, sendResource } from './reply.js';
import { IdParams, ListQuery, PatchBody, ProjectionQuery, ScimBody } from './scim.schema.js';
import { searchRequest } from './search.js';

const schemaIds = userSchemas.map((s) => s.id);
const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);

/** `/Users` under one SCIM prefix: list, search, get, create, replace, patch, delete. */
export async function usersRoutes(
  app: Server,
  { prefix, users, publicUrl }: { prefix: string; users: ScimUsersService; publicUrl: string | undefined },
): Promise<void> {
  const tags = ['scim'];
  const read = { action: 'scim:users:read' };
  const write = { action: 'scim:users:write' };
  app.get(
    `${prefix}/Users`,
    { config: read, schema: { tags, querystring: ListQuery } },
    async (request, reply) =>
      sendList(
        reply,
        await users.list(actorOf(request), request.query, baseUrlOf(request, publicUrl)),
        request.query,
        schemaIds,
      ),
  );
  app.post(
    `${prefix}/Users/.search`,
    { config: read, schema: { tags, body: ScimBody } },
    async (request, reply) => {
      const query = searchRequest(request.body);
      return sendList(
        reply,
        await users.list(actorOf(request), query, baseUrlOf(request, publicUrl)),
        query,
        schemaIds,
      );
    },
  );
  app.get(
    `${prefix}/Users/:id`,
    { config: read, schema: { tags, params: IdParams, querystring: ProjectionQuery } },
    async (request, reply) => {
      const resource = await users.get(actorOf(request), request.params.id, baseUrlOf(request, publicUrl));
      const version = (resource.meta as { version: string }).version;
      const ifNoneMatch = header(request.headers['if-none-match']);
      if (ifNoneMatch && etagMatches(ifNoneMatch, Number(/"(\d+)"/.exec(version)?.[1]))) {
        return reply.status(304).header('etag', version).send();
      }
      return sendResource(reply, resource, 200, request.query, schemaIds);
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
          header(request.headers['if-match']),
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
        header(request.headers['if-match']),
        baseUrlOf(request, publicUrl),
      );
      if (/return=minimal/i.test(header(request.headers.prefer) ?? '')) {
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
      await users.remove(actorOf(request), request.params.id, header(request.headers['if-match']));
      return reply.status(204).type(SCIM_JSON).send();
    },
  );
}
