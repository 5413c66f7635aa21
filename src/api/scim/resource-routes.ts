import type { Actor } from '../../modules/auth/actor.js';
import type { ListRequest } from '../../modules/scim/list-params.js';
import type { ListResult } from '../../modules/scim/users.service.js';
import { actorOf, type Server } from '../http/server.js';
import { listRoutes } from './list-routes.js';
import { baseUrlOf, headerValue, SCIM_JSON, sendFetched, sendResource } from './reply.js';
import { IdParams, PatchBody, ProjectionQuery, ScimBody } from './scim.schema.js';

type Resource = Record<string, unknown>;

/** What a SCIM resource type's routes call (the services of `src/modules/scim`). */
export interface ScimResourceType {
  /** The endpoint's name (`Users`, `Groups`). */
  name: string;
  read: string;
  write: string;
  schemaIds: string[];
  /** Body limit of create, replace and patch, when larger than the server's. */
  bodyLimit?: number;
  list(actor: Actor, query: ListRequest, baseUrl: string): Promise<ListResult>;
  /** `excludedAttributes` is passed on so a service can skip reading what is left out. */
  get(actor: Actor, id: string, baseUrl: string, excludedAttributes: string | undefined): Promise<Resource>;
  create(actor: Actor, body: unknown, baseUrl: string): Promise<Resource>;
  replace(
    actor: Actor,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    baseUrl: string,
  ): Promise<Resource>;
  /** With `minimal` (the client asked for no content) a service may return nothing. */
  patch(
    actor: Actor,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    baseUrl: string,
    minimal: boolean,
  ): Promise<Resource | undefined>;
  remove(actor: Actor, id: string, ifMatch: string | undefined): Promise<void>;
}

/** A resource type under one SCIM prefix: list, search, get, create, replace, patch, delete. */
export function resourceRoutes(
  app: Server,
  type: ScimResourceType,
  { prefix, publicUrl }: { prefix: string; publicUrl: string | undefined },
): void {
  const tags = ['scim'];
  const read = { action: type.read };
  const write = { action: type.write };
  const limit = type.bodyLimit === undefined ? {} : { bodyLimit: type.bodyLimit };
  const { schemaIds } = type;
  const path = `${prefix}/${type.name}`;
  listRoutes(app, { path, action: type.read, publicUrl, schemaIds, list: type.list });
  app.get(
    `${path}/:id`,
    { config: read, schema: { tags, params: IdParams, querystring: ProjectionQuery } },
    async (request, reply) => {
      const resource = await type.get(
        actorOf(request),
        request.params.id,
        baseUrlOf(request, publicUrl),
        request.query.excludedAttributes,
      );
      return sendFetched(request, reply, resource, request.query, schemaIds);
    },
  );
  app.post(path, { config: write, ...limit, schema: { tags, body: ScimBody } }, async (request, reply) =>
    sendResource(
      reply,
      await type.create(actorOf(request), request.body, baseUrlOf(request, publicUrl)),
      201,
      {},
      schemaIds,
    ),
  );
  app.put(
    `${path}/:id`,
    { config: write, ...limit, schema: { tags, params: IdParams, body: ScimBody } },
    async (request, reply) =>
      sendResource(
        reply,
        await type.replace(
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
    `${path}/:id`,
    { config: write, ...limit, schema: { tags, params: IdParams, body: PatchBody } },
    async (request, reply) => {
      const minimal = /return=minimal/i.test(headerValue(request.headers.prefer) ?? '');
      const resource = await type.patch(
        actorOf(request),
        request.params.id,
        request.body,
        headerValue(request.headers['if-match']),
        baseUrlOf(request, publicUrl),
        minimal,
      );
      if (minimal || !resource) {
        const version = (resource?.meta as { version?: string } | undefined)?.version;
        if (version) reply.header('etag', version);
        return reply.status(204).send();
      }
      return sendResource(reply, resource, 200, {}, schemaIds);
    },
  );
  app.delete(`${path}/:id`, { config: write, schema: { tags, params: IdParams } }, async (request, reply) => {
    await type.remove(actorOf(request), request.params.id, headerValue(request.headers['if-match']));
    return reply.status(204).type(SCIM_JSON).send();
  });
}
