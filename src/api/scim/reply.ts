import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from '../../modules/scim/normalize.js';
import { projectResource } from '../../modules/scim/projection.js';
import { LIST_RESPONSE } from '../../modules/scim/schemas.js';
import type { ListResult } from '../../modules/scim/users.service.js';
import { etagMatches } from '../../modules/scim/versioning.js';

export const SCIM_JSON = 'application/scim+json; charset=utf-8';

/** The SCIM base URL this request came through (`…/scim/v2`, `/v1.1/scim/v2`, …). */
export function baseUrlOf(request: FastifyRequest, publicUrl: string | undefined): string {
  const path = request.url.split('?')[0] ?? '';
  const at = path.toLowerCase().indexOf('/scim/v2');
  const prefix = at >= 0 ? path.slice(0, at + '/scim/v2'.length) : '/scim/v2';
  const origin = publicUrl?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`;
  return `${origin}${prefix}`;
}

/** A request header as one string (repeated headers joined by commas). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** A GET of one resource: 304 with its ETag when If-None-Match names its version, else the resource. */
export function sendFetched(
  request: FastifyRequest,
  reply: FastifyReply,
  resource: Resource,
  query: { attributes?: string | undefined; excludedAttributes?: string | undefined },
  schemaIds: string[],
) {
  const version = (resource.meta as { version: string }).version;
  const ifNoneMatch = headerValue(request.headers['if-none-match']);
  if (ifNoneMatch && etagMatches(ifNoneMatch, Number(/"(\d+)"/.exec(version)?.[1]))) {
    return reply.status(304).header('etag', version).send();
  }
  return sendResource(reply, resource, 200, query, schemaIds);
}

/** Sends one resource with its ETag and Location, projected per `attributes`/`excludedAttributes`. */
export function sendResource(
  reply: FastifyReply,
  resource: Resource,
  status: number,
  query: { attributes?: string | undefined; excludedAttributes?: string | undefined },
  schemaIds: string[],
) {
  const meta = resource.meta as { version?: string; location?: string } | undefined;
  if (meta?.version) reply.header('etag', meta.version);
  if (status === 201 && meta?.location) reply.header('location', meta.location);
  return reply
    .status(status)
    .type(SCIM_JSON)
    .send(projectResource(resource, query, schemaIds));
}

/** A ListResponse (RFC 7644 §3.4.2) with each resource projected. */
export function sendList(
  reply: FastifyReply,
  result: ListResult,
  query: { attributes?: string | undefined; excludedAttributes?: string | undefined },
  schemaIds: string[],
) {
  return reply.type(SCIM_JSON).send({
    schemas: [LIST_RESPONSE],
    totalResults: result.totalResults,
    startIndex: result.startIndex,
    itemsPerPage: result.itemsPerPage,
    Resources: result.resources.map((r) => projectResource(r, query, schemaIds)),
  });
}
