import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.js';
import { nowIso, parseJson, toJson } from '../../platform/db/json.js';
import type { DeliveryStatus, Webhook, WebhookDelivery, WebhookStatus } from './webhooks.types.js';

/** A webhook row with its sealed secret: for delivery only, never returned by the API. */
export interface WebhookRow extends Webhook {
  sealedSecret: string;
}

export interface NewDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
}

/** The event a delivery sends, as the events table holds it. */
export interface DeliveryEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

function toWebhook(r: {
  id: string;
  url: string;
  events: unknown;
  status: string;
  secret: string;
  created_at: string;
  updated_at: string;
}): WebhookRow {
  return {
    id: r.id,
    url: r.url,
    events: parseJson<string[]>(r.events, []),
    status: r.status === 'inactive' ? 'inactive' : 'active',
    created_at: r.created_at,
    updated_at: r.updated_at,
    sealedSecret: r.secret,
  };
}

const deliveryStatuses: ReadonlySet<string> = new Set(['pending', 'succeeded', 'failed', 'cancelled']);

function toDelivery(r: {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  response_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}): WebhookDelivery {
  return {
    id: r.id,
    webhook_id: r.webhook_id,
    event_id: r.event_id,
    event_type: r.event_type,
    status: deliveryStatuses.has(r.status) ? (r.status as DeliveryStatus) : 'pending',
    attempts: Number(r.attempts),
    next_attempt_at: r.next_attempt_at,
    response_status: r.response_status === null ? null : Number(r.response_status),
    last_error: r.last_error,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Webhook and delivery queries; every method is scoped to one tenant and takes the executor. */
export const webhooksRepo = {
  async listWebhooks(db: Executor, tenantId: string, status?: WebhookStatus): Promise<WebhookRow[]> {
    let query = db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId);
    if (status) query = query.where('status', '=', status);
    return (await query.orderBy('id').execute()).map(toWebhook);
  },

  async findWebhook(db: Executor, tenantId: string, id: string): Promise<WebhookRow | undefined> {
    const row = await db
      .selectFrom('webhooks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toWebhook(row) : undefined;
  },

  async insertWebhook(
    db: Executor,
    tenantId: string,
    input: { id: string; url: string; events: string[]; sealedSecret: string; createdBy: string },
  ): Promise<void> {
    const now = nowIso();
    await db
      .insertInto('webhooks')
      .values({
        tenant_id: tenantId,
        id: input.id,
        url: input.url,
        description: null,
        events: toJson(input.events),
        status: 'active',
        secret: input.sealedSecret,
        created_by: input.createdBy,
        created_at: now,
        updated_at: now,
      })
      .execute();
  },

  async updateWebhook(
    db: Executor,
    tenantId: string,
    id: string,
    changes: { url?: string; events?: string[]; status?: WebhookStatus },
  ): Promise<void> {
    await db
      .updateTable('webhooks')
      .set({
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.events !== undefined ? { events: toJson(changes.events) } : {}),
        ...(changes.status !== undefined ? { status: changes.status } : {}),
        updated_at: nowIso(),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  },

  async deleteWebhook(db: Executor, tenantId: string, id: string): Promise<void> {
    await db.deleteFrom('webhooks').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  },

  /** Inserts deliveries; one that exists for the same (webhook, event) is left as it is. */
  async insertDeliveries(db: Executor, tenantId: string, rows: NewDelivery[]): Promise<void> {
    const now = nowIso();
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto('webhook_deliveries')
        .values(
          rows.slice(i, i + 500).map((r) => ({
            tenant_id: tenantId,
            id: r.id,
            webhook_id: r.webhookId,
            event_id: r.eventId,
            event_type: r.eventType,
            status: 'pending',
            attempts: 0,
            next_attempt_at: now,
            response_status: null,
            last_error: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['tenant_id', 'webhook_id', 'event_id']).doNothing())
        .execute();
    }
  },

  /** Deliveries of these events that no attempt has touched yet (to hand to the queue). */
  async listUnattempted(db: Executor, tenantId: string, eventIds: string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const rows = await db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', eventIds)
      .where('status', '=', 'pending')
      .where('attempts', '=', 0)
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  },

  async findDelivery(db: Executor, tenantId: string, id: string): Promise<WebhookDelivery | undefined> {
    const row = await db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toDelivery(row) : undefined;
  },

  /** A webhook's deliveries, newest first, before an optional id cursor. */
  async listDeliveries(
    db: Executor,
    tenantId: string,
    webhookId: string,
    options: { limit: number; beforeId?: string | undefined },
  ): Promise<WebhookDelivery[]> {
    let query = db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('webhook_id', '=', webhookId);
    if (options.beforeId) query = query.where('id', '<', options.beforeId);
    return (await query.orderBy('id', 'desc').limit(options.limit).execute()).map(toDelivery);
  },

  /**
   * Takes a pending delivery for attempt number `attempt`: succeeds only if that attempt was not
   * made yet and no other worker holds it (its `next_attempt_at` is not in the future). The hold
   * lasts until `leaseUntil`, so a crashed worker's attempt is taken again after it.
   */
  async claimDelivery(
    db: Executor,
    tenantId: string,
    id: string,
    attempt: number,
    leaseUntil: string,
  ): Promise<boolean> {
    const now = nowIso();
    const result = await db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: leaseUntil, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('attempts', '<', attempt)
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  /**
   * Records the outcome of an attempt. A delivery cancelled while the attempt was in flight keeps
   * its status; the attempt is still counted.
   */
  async recordAttempt(
    db: Executor,
    tenantId: string,
    id: string,
    outcome: {
      status: DeliveryStatus;
      attempts: number;
      nextAttemptAt: string | null;
      responseStatus: number | null;
      lastError?: string | null;
    },
  ): Promise<void> {
    await db
      .updateTable('webhook_deliveries')
      .set({
        status: sql<string>`case when status = 'pending' then ${outcome.status} else status end`,
        attempts: outcome.attempts,
        next_attempt_at: sql<
          string | null
        >`case when status = 'pending' then ${outcome.nextAttemptAt} else next_attempt_at end`,
        response_status: outcome.responseStatus,
        ...(outcome.lastError !== undefined ? { last_error: outcome.lastError } : {}),
        updated_at: nowIso(),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  },

  /** Cancels a delivery (or every pending one of a webhook) that has not finished. */
  async cancelPending(
    db: Executor,
    tenantId: string,
    target: { deliveryId: string } | { webhookId: string },
    reason: string,
  ): Promise<void> {
    let query = db
      .updateTable('webhook_deliveries')
      .set({ status: 'cancelled', next_attempt_at: null, last_error: reason, updated_at: nowIso() })
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'pending');
    query =
      'deliveryId' in target
        ? query.where('id', '=', target.deliveryId)
        : query.where('webhook_id', '=', target.webhookId);
    await query.execute();
  },

  /**
   * The event a delivery carries. Events are append-only outbox rows; the events module exposes
   * no single-event reader yet, so this reads the row directly.
   */
  async findEvent(db: Executor, tenantId: string, id: string): Promise<DeliveryEvent | undefined> {
    const row = await db
      .selectFrom('events')
      .select(['id', 'type', 'payload', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return { id: row.id, type: row.type, payload: parseJson(row.payload, {}), createdAt: row.created_at };
  },
};
