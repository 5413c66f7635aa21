import { Type } from '@sinclair/typebox';
import { webhookEventTypes } from '../../modules/webhooks/event-types.js';

const eventList = `Known types: ${webhookEventTypes.join(', ')}; or '*' for every type`;
const Status = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
const Url = Type.String({
  format: 'uri',
  minLength: 1,
  maxLength: 2048,
  description: 'http(s) URL that receives the events; private and loopback addresses are refused',
});
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  description: `Event types to receive. ${eventList}`,
});
const Cursor = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'The next_cursor of the previous page',
});
const Limit = Type.Integer({ minimum: 1, maximum: 200, default: 50 });

/** The Zluri contract's Webhook. */
export const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String({ format: 'uri' }),
  events: Type.Array(Type.String()),
  status: Status,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const CreatedWebhook = Type.Composite([
  Webhook,
  Type.Object({
    secret: Type.String({
      description:
        'Standard Webhooks signing secret (whsec_...): shown once, store it now to verify webhook-signature',
    }),
  }),
]);

export const WebhookCreate = Type.Object({ url: Url, events: Events }, { additionalProperties: false });

export const WebhookUpdate = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(Events), status: Type.Optional(Status) },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookParams = Type.Object({ webhook_id: Type.String({ minLength: 1, maxLength: 100 }) });

export const Delivery = Type.Object({
  id: Type.String(),
  webhook_id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  status: Type.Union(
    ['pending', 'succeeded', 'failed', 'cancelled'].map((s) => Type.Literal(s)),
    {
      description:
        'pending (waiting or in flight), succeeded (2xx received), failed (retries exhausted), cancelled (webhook deactivated or deleted)',
    },
  ),
  attempts: Type.Integer(),
  next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  response_status: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const DomainEvent = Type.Object({
  id: Type.String(),
  type: Type.String(),
  subject_type: Type.Union([Type.String(), Type.Null()]),
  subject_id: Type.Union([Type.String(), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String({ format: 'date-time' }),
});

export const DeliveriesQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

export const EventsQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: eventList })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass as cursor for the next (older) page; null on the last page',
});
