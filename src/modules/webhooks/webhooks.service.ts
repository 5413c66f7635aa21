import { encryptSecret } from '../../platform/crypto/crypto.js';
import type { Db } from '../../platform/db/db.js';
import { AppError, badRequest, notFound } from '../../platform/errors/app-error.js';
import { parseHttpUrl, type Resolver, UnsafeUrlError, vetUrl } from '../../platform/http/safe-fetch.js';
import { newId } from '../../platform/ids/ids.js';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, requireAction } from '../auth/actor.js';
import { type DomainEvent, listEvents } from '../events/events.service.js';
import { isSubscribableEvent } from './event-types.js';
import { generateWebhookSecret } from './signing.js';
import { webhooksRepo } from './webhooks.repo.js';
import type {
  CreatedWebhook,
  Page,
  Webhook,
  WebhookCreateInput,
  WebhookDelivery,
  WebhookUpdateInput,
} from './webhooks.types.js';

const MAX_URL_LENGTH = 2048;
const MAX_PAGE = 200;

export interface WebhooksServiceDeps {
  db: Db;
  /** Key that seals webhook secrets at rest. */
  encryptionKey: Buffer;
  /** Accept loopback and private URLs (receivers on the same network as a self-hosted install). */
  allowPrivateUrls: boolean;
  /** DNS resolution for the URL check (the system resolver by default). */
  resolver?: Resolver;
}

/** Where a webhook points, without path, query or credentials: what the audit log keeps. */
function originOf(url: string): string {
  return new URL(url).origin;
}

function present({ id, url, events, status, created_at, updated_at }: Webhook): Webhook {
  return { id, url, events, status, created_at, updated_at };
}

/** Webhooks: outbound subscriptions to a tenant's domain events, and their delivery log. */
export function createWebhooksService(deps: WebhooksServiceDeps) {
  const { db } = deps;

  /**
   * The URL, checked: http(s), and resolving to public addresses only unless private URLs are
   * allowed (then nothing needs resolving yet). 400 naming `url`.
   */
  async function checkUrl(url: string): Promise<string> {
    const trimmed = url.trim();
    if (trimmed.length > MAX_URL_LENGTH) {
      throw badRequest([{ field: 'url', problem: `must be at most ${MAX_URL_LENGTH} characters` }]);
    }
    try {
      if (deps.allowPrivateUrls) return parseHttpUrl(trimmed).toString();
      const { url: parsed } = await vetUrl(trimmed, deps.resolver ? { resolver: deps.resolver } : {});
      return parsed.toString();
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw badRequest([{ field: 'url', problem: error.message }]);
      throw error;
    }
  }

  /** Known event types or `*`, without duplicates, in the order given. 400 naming the entry. */
  function checkEvents(events: string[]): string[] {
    if (events.length === 0) {
      throw badRequest([{ field: 'events', problem: "must list at least one event type (or '*')" }]);
    }
    const unknown = events.findIndex((e) => !isSubscribableEvent(e));
    if (unknown >= 0) {
      throw badRequest([
        {
          field: `events/${unknown}`,
          problem: `unknown event type '${events[unknown]}' (see GET /v2/webhooks/events for the types)`,
        },
      ]);
    }
    return [...new Set(events)];
  }

  async function load(actor: Actor, id: string): Promise<Webhook> {
    const row = await webhooksRepo.findWebhook(db, actor.tenantId, id);
    if (!row) throw notFound('Webhook', id);
    return present(row);
  }

  return {
    async list(actor: Actor): Promise<Webhook[]> {
      requireAction(actor, 'webhooks:read');
      return (await webhooksRepo.listWebhooks(db, actor.tenantId)).map(present);
    },

    async get(actor: Actor, id: string): Promise<Webhook> {
      requireAction(actor, 'webhooks:read');
      return load(actor, id);
    },

    /** Creates an active webhook with a new signing secret, returned this once. */
    async create(actor: Actor, input: WebhookCreateInput): Promise<CreatedWebhook> {
      requireAction(actor, 'webhooks:write');
      const url = await checkUrl(input.url);
      const events = checkEvents(input.events);
      const secret = generateWebhookSecret();
      const id = newId('whk');
      await db.transaction().execute(async (trx) => {
        await webhooksRepo.insertWebhook(trx, actor.tenantId, {
          id,
          url,
          events,
          sealedSecret: encryptSecret(deps.encryptionKey, secret),
          createdBy: actor.id,
        });
        await recordAudit(trx, actor, {
          action: 'webhook.created',
          targetType: 'webhook',
          targetId: id,
          details: { url: originOf(url), events },
        });
      });
      return { ...(await load(actor, id)), secret };
    },

    /** Changes url, events or status; every field is checked before anything is written. */
    async update(actor: Actor, id: string, input: WebhookUpdateInput): Promise<Webhook> {
      requireAction(actor, 'webhooks:write');
      const changes: WebhookUpdateInput = {};
      if (input.url !== undefined) changes.url = await checkUrl(input.url);
      if (input.events !== undefined) changes.events = checkEvents(input.events);
      if (input.status !== undefined) changes.status = input.status;
      await db.transaction().execute(async (trx) => {
        const existing = await webhooksRepo.findWebhook(trx, actor.tenantId, id);
        if (!existing) throw notFound('Webhook', id);
        await webhooksRepo.updateWebhook(trx, actor.tenantId, id, changes);
        await recordAudit(trx, actor, {
          action: 'webhook.updated',
          targetType: 'webhook',
          targetId: id,
          details: {
            ...(changes.url !== undefined ? { url: originOf(changes.url) } : {}),
            ...(changes.events !== undefined ? { events: changes.events } : {}),
            ...(changes.status !== undefined ? { status: changes.status } : {}),
          },
        });
      });
      return load(actor, id);
    },

    /** Deletes a webhook; its pending deliveries are cancelled, its log stays for the record. */
    async delete(actor: Actor, id: string): Promise<void> {
      requireAction(actor, 'webhooks:write');
      await db.transaction().execute(async (trx) => {
        const existing = await webhooksRepo.findWebhook(trx, actor.tenantId, id);
        if (!existing) throw notFound('Webhook', id);
        await webhooksRepo.deleteWebhook(trx, actor.tenantId, id);
        await webhooksRepo.cancelPending(trx, actor.tenantId, { webhookId: id }, 'webhook deleted');
        await recordAudit(trx, actor, {
          action: 'webhook.deleted',
          targetType: 'webhook',
          targetId: id,
          details: { url: originOf(existing.url) },
        });
      });
    },

    /** A webhook's deliveries, newest first; `cursor` is the last id of the previous page. */
    async listDeliveries(
      actor: Actor,
      id: string,
      options: { limit?: number | undefined; cursor?: string | undefined } = {},
    ): Promise<Page<WebhookDelivery>> {
      requireAction(actor, 'webhooks:read');
      await load(actor, id);
      const limit = pageSize(options.limit);
      const rows = await webhooksRepo.listDeliveries(db, actor.tenantId, id, {
        limit: limit + 1,
        beforeId: options.cursor,
      });
      return page(rows, limit);
    },

    /** The tenant's domain events, newest first, optionally of one type. */
    async listEvents(
      actor: Actor,
      options: { type?: string | undefined; limit?: number | undefined; cursor?: string | undefined } = {},
    ): Promise<Page<DomainEvent>> {
      requireAction(actor, 'webhooks:read');
      const limit = pageSize(options.limit);
      const rows = await listEvents(db, actor.tenantId, {
        limit: limit + 1,
        ...(options.cursor ? { beforeId: options.cursor } : {}),
        ...(options.type ? { type: options.type } : {}),
      });
      return page(rows, limit);
    },
  };
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new AppError('bad_request', `limit: must be an integer from 1 to ${MAX_PAGE}`, {
      problems: [{ field: 'limit', problem: `must be an integer from 1 to ${MAX_PAGE}` }],
    });
  }
  return limit;
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  return { data, next_cursor: rows.length > limit ? (data.at(-1)?.id ?? null) : null };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
