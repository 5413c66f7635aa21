import { Type } from '@sinclair/typebox';
import type { WebhooksService } from '../../modules/webhooks/webhooks.service.js';
import { actorOf, type Server } from '../http/server.js';
import { syncErrors } from './sync.schema.js';
import {
  CreatedWebhook,
  DeliveriesQuery,
  Delivery,
  DomainEvent,
  EventsQuery,
  NextCursor,
  Webhook,
  WebhookCreate,
  WebhookParams,
  WebhookUpdate,
} from './webhooks.schema.js';

const BODY_LIMIT = 16 * 1024;

/**
 * `/v2/webhooks` (Zluri contract: list, create, get, update, delete), plus two Sightline
 * extensions: `/v2/webhooks/events` (the tenant's domain events) and a webhook's delivery log.
 */
export async function webhooksRoutes(
  app: Server,
  { webhooks }: { webhooks: WebhooksService },
): Promise<void> {
  const tags = ['sync'];
  const read = { action: 'webhooks:read' };
  const write = { action: 'webhooks:write' };

  app.get(
    '/v2/webhooks',
    {
      config: read,
      schema: { tags, response: syncErrors({ 200: Type.Object({ data: Type.Array(Webhook) }) }) },
    },
    async (request) => ({ data: await webhooks.list(actorOf(request)) }),
  );

  app.post(
    '/v2/webhooks',
    {
      config: write,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        body: WebhookCreate,
        response: syncErrors({ 201: Type.Object({ data: CreatedWebhook }) }),
      },
    },
    async (request, reply) =>
      reply.status(201).send({ data: await webhooks.create(actorOf(request), request.body) }),
  );

  // A static path: it wins over `/v2/webhooks/:webhook_id` whatever the registration order.
  app.get(
    '/v2/webhooks/events',
    {
      config: read,
      schema: {
        tags,
        summary: 'Domain events of the tenant, newest first (Sightline extension)',
        querystring: EventsQuery,
        response: syncErrors({
          200: Type.Object({ data: Type.Array(DomainEvent), next_cursor: NextCursor }),
        }),
      },
    },
    async (request) => {
      const page = await webhooks.listEvents(actorOf(request), request.query);
      return {
        data: page.data.map((e) => ({
          id: e.id,
          type: e.type,
          subject_type: e.subjectType,
          subject_id: e.subjectId,
          data: e.payload,
          created_at: e.createdAt,
        })),
        next_cursor: page.next_cursor,
      };
    },
  );

  app.get(
    '/v2/webhooks/:webhook_id',
    {
      config: read,
      schema: { tags, params: WebhookParams, response: syncErrors({ 200: Type.Object({ data: Webhook }) }) },
    },
    async (request) => ({ data: await webhooks.get(actorOf(request), request.params.webhook_id) }),
  );

  app.put(
    '/v2/webhooks/:webhook_id',
    {
      config: write,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        params: WebhookParams,
        body: WebhookUpdate,
        response: syncErrors({ 200: Type.Object({ data: Webhook }) }),
      },
    },
    async (request) => ({
      data: await webhooks.update(actorOf(request), request.params.webhook_id, request.body),
    }),
  );

  app.delete(
    '/v2/webhooks/:webhook_id',
    {
      config: write,
      schema: {
        tags,
        params: WebhookParams,
        response: syncErrors({
          204: Type.Null({ description: 'Deleted; pending deliveries are cancelled' }),
        }),
      },
    },
    async (request, reply) => {
      await webhooks.delete(actorOf(request), request.params.webhook_id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/v2/webhooks/:webhook_id/deliveries',
    {
      config: read,
      schema: {
        tags,
        summary: "A webhook's delivery log, newest first (Sightline extension)",
        params: WebhookParams,
        querystring: DeliveriesQuery,
        response: syncErrors({ 200: Type.Object({ data: Type.Array(Delivery), next_cursor: NextCursor }) }),
      },
    },
    async (request) => webhooks.listDeliveries(actorOf(request), request.params.webhook_id, request.query),
  );
}
