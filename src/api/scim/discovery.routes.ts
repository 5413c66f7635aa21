import { Type } from '@sinclair/typebox';
import { MAX_MEMBERS_PER_REQUEST } from '../../modules/scim/group-members.js';
import { MAX_COUNT } from '../../modules/scim/list-params.js';
import {
  allSchemas,
  CORE_GROUP,
  CORE_USER,
  CUSTOM_USER,
  ENTERPRISE_USER,
  LIST_RESPONSE,
  SIGHTLINE_USER,
} from '../../modules/scim/schemas.js';
import { AppError } from '../../platform/errors/app-error.js';
import type { Server } from '../http/server.js';
import { baseUrlOf, SCIM_JSON } from './reply.js';

const listOf = (resources: unknown[]) => ({
  schemas: [LIST_RESPONSE],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

/** `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas` (RFC 7644 §4): exactly what is supported. */
export async function discoveryRoutes(
  app: Server,
  { prefix, publicUrl }: { prefix: string; publicUrl: string | undefined },
) {
  const tags = ['scim'];
  const config = { action: 'scim:users:read' };
  const resourceTypes = (base: string) => [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'People of the directory',
      schema: CORE_USER,
      schemaExtensions: [
        { schema: ENTERPRISE_USER, required: false },
        { schema: SIGHTLINE_USER, required: false },
        { schema: CUSTOM_USER, required: false },
      ],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Groups of people',
      schema: CORE_GROUP,
      schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
  const schemas = (base: string) =>
    allSchemas.map((s) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      ...s,
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
    }));

  app.get(`${prefix}/ServiceProviderConfig`, { config, schema: { tags } }, async (request, reply) =>
    reply.type(SCIM_JSON).send({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      documentationUri: 'https://github.com/sightline/sightline#scim-20',
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: MAX_COUNT },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'Bearer token',
          description: `A Sightline API token (role 'provisioning' or any role with scim:* actions). Groups accept up to ${MAX_MEMBERS_PER_REQUEST} members per request.`,
          primary: true,
        },
      ],
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: `${baseUrlOf(request, publicUrl)}/ServiceProviderConfig`,
      },
    }),
  );
  app.get(`${prefix}/ResourceTypes`, { config, schema: { tags } }, async (request, reply) =>
    reply.type(SCIM_JSON).send(listOf(resourceTypes(baseUrlOf(request, publicUrl)))),
  );
  app.get(
    `${prefix}/ResourceTypes/:id`,
    { config, schema: { tags, params: Type.Object({ id: Type.String() }) } },
    async (request, reply) => {
      const found = resourceTypes(baseUrlOf(request, publicUrl)).find(
        (r) => r.id.toLowerCase() === request.params.id.toLowerCase(),
      );
      if (!found) throw new AppError('not_found', `No resource type ${request.params.id}`);
      return reply.type(SCIM_JSON).send(found);
    },
  );
  app.get(`${prefix}/Schemas`, { config, schema: { tags } }, async (request, reply) =>
    reply.type(SCIM_JSON).send(listOf(schemas(baseUrlOf(request, publicUrl)))),
  );
  app.get(
    `${prefix}/Schemas/:id`,
    { config, schema: { tags, params: Type.Object({ id: Type.String() }) } },
    async (request, reply) => {
      const found = schemas(baseUrlOf(request, publicUrl)).find(
        (s) => s.id.toLowerCase() === request.params.id.toLowerCase(),
      );
      if (!found) throw new AppError('not_found', `No schema ${request.params.id}`);
      return reply.type(SCIM_JSON).send(found);
    },
  );
}
