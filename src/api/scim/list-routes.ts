import type { Actor } from '../../modules/auth/actor.js';
import type { ListRequest } from '../../modules/scim/list-params.js';
import type { ListResult } from '../../modules/scim/users.service.js';
import { actorOf, type Server } from '../http/server.js';
import { baseUrlOf, sendList } from './reply.js';
import { ListQuery, ScimBody } from './scim.schema.js';
import { searchRequest } from './search.js';

/** A resource type's list: `GET /{Type}` with query parameters and `POST /{Type}/.search`. */
export function listRoutes(
  app: Server,
  options: {
    path: string;
    action: string;
    publicUrl: string | undefined;
    schemaIds: string[];
    list: (actor: Actor, query: ListRequest, baseUrl: string) => Promise<ListResult>;
  },
): void {
  const { path, publicUrl, schemaIds, list } = options;
  const config = { action: options.action };
  const tags = ['scim'];
  app.get(path, { config, schema: { tags, querystring: ListQuery } }, async (request, reply) =>
    sendList(
      reply,
      await list(actorOf(request), request.query, baseUrlOf(request, publicUrl)),
      request.query,
      schemaIds,
    ),
  );
  app.post(`${path}/.search`, { config, schema: { tags, body: ScimBody } }, async (request, reply) => {
    const query = searchRequest(request.body);
    return sendList(
      reply,
      await list(actorOf(request), query, baseUrlOf(request, publicUrl)),
      query,
      schemaIds,
    );
  });
}
