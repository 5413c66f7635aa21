import type { ScimGroupsService } from '../../modules/scim/groups.service.js';
import { CORE_GROUP } from '../../modules/scim/schemas.js';
import { etagMatches } from '../../modules/scim/versioning.js';
import { actorOf, type Server } from '../http/server.js';
import { baseUrlOf, SCIM_JSON, sendList, sendResource } from './reply.js';
import { IdParams, ListQuery, PatchBody, ProjectionQuery, ScimBody } from './scim.schema.js';
import { searchRequest } from './search.js';

const schemaIds = [CORE_GROUP];
const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);
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
  app.get(
    `${prefix}/Groups`,
    { config: read, schema: { tags, querystring: ListQuery } },
    async (request, reply) =>
      sendList(
        reply,
        await groups.list(actorOf(request), request.query, baseUrlOf(request, publicUrl)),
        request.query,
        schemaIds,
      ),
  );
  app.post(
    `${prefix}/Groups/.search`,
    { config: read, schema: { tags, body: ScimBody } },
    async (request, reply) => {
      const query = searchRequest(request.body);
      return sendList(
        reply,
        await groups.list(actorOf(request), query, baseUrlOf(request, publicUrl)),
        query,
        schemaIds,
      );
    },
  );
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
      const version = (resource.meta as { version: string }).version;
      const ifNoneMatch = header(request.headers['if-none-match']);
      if (ifNoneMatch && etagMatches(ifNoneMatch, Number(/"(\d+)"/.exec(version)?.[1]))) {
        return reply.status(304).header('etag', version).send();
      }
      return sendResource(reply, resource, 200, request.query, schemaIds);
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
          header(request.headers['if-match']),
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
      const minimal = /return=minimal/i.test(header(request.headers.prefer) ?? '');
      const resource = await groups.patch(
        actorOf(request),
        request.params.id,
        request.body,
        header(request.headers['if-match']),
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
      await groups.remove(actorOf(request), request.params.id, header(request.headers['if-match']));
      return reply.status(204).type(SCIM_JSON).send();
    },
  );
}
