import { Type } from '@sinclair/typebox';
import type { FieldsService } from '../../modules/fields/fields.service.js';
import { actorOf, type Server } from '../http/server.js';
import { manageErrors } from './common.schema.js';
import {
  CustomField,
  CustomFieldCreate,
  CustomFieldParams,
  CustomFieldQuery,
  CustomFieldUpdate,
} from './fields.schema.js';
import { VersionHeaders } from './versions.js';

/** `/customFields`: Sightline's native definitions of custom fields of apps, users and contracts. */
export async function fieldsRoutes(
  app: Server,
  { fields }: { fields: FieldsService },
  prefix: string,
): Promise<void> {
  const tags = ['manage'];
  const headers = VersionHeaders;
  app.get(
    `${prefix}/customFields`,
    {
      config: { action: 'fields:read' },
      schema: {
        tags,
        headers,
        querystring: CustomFieldQuery,
        response: manageErrors({ 200: Type.Object({ data: Type.Array(CustomField) }) }),
      },
    },
    async (request) => ({ data: await fields.list(actorOf(request), request.query.entity) }),
  );
  app.post(
    `${prefix}/customFields`,
    {
      config: { action: 'fields:write' },
      bodyLimit: 64 * 1024,
      schema: { tags, headers, body: CustomFieldCreate, response: manageErrors({ 201: CustomField }) },
    },
    async (request, reply) => reply.status(201).send(await fields.create(actorOf(request), request.body)),
  );
  app.get(
    `${prefix}/customFields/:idField`,
    {
      config: { action: 'fields:read' },
      schema: { tags, headers, params: CustomFieldParams, response: manageErrors({ 200: CustomField }) },
    },
    async (request) => fields.get(actorOf(request), request.params.idField),
  );
  app.put(
    `${prefix}/customFields/:idField`,
    {
      config: { action: 'fields:write' },
      bodyLimit: 64 * 1024,
      schema: {
        tags,
        headers,
        params: CustomFieldParams,
        body: CustomFieldUpdate,
        response: manageErrors({ 200: CustomField }),
      },
    },
    async (request) => fields.update(actorOf(request), request.params.idField, request.body),
  );
  app.delete(
    `${prefix}/customFields/:idField`,
    {
      config: { action: 'fields:write' },
      schema: { tags, headers, params: CustomFieldParams, response: manageErrors({ 204: Type.Null() }) },
    },
    async (request, reply) => {
      await fields.delete(actorOf(request), request.params.idField);
      return reply.status(204).send();
    },
  );
}
