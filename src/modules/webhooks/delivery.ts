import { decryptSecret } from '../../platform/crypto/crypto.js';
import type { Db } from '../../platform/db/db.js';
import { isoIn } from '../../platform/db/json.js';
import { safeFetch } from '../../platform/http/safe-fetch.js';
import { newId } from '../../platform/ids/ids.js';
import type { JobContext, JobDefinition, JobQueue } from '../../platform/jobs/jobs.js';
import type { Logger } from '../../platform/log/log.js';
import type { DomainEvent } from '../events/events.service.js';
import type { EventSubscriber } from '../events/outbox-relay.js';
import { isSubscribed } from './event-types.js';
import { defaultRetryScheduleMs, retryDelayAfter } from './retry-schedule.js';
import { signDelivery } from './signing.js';
import { type NewDelivery, webhooksRepo } from './webhooks.repo.js';

export const DELIVER_JOB = 'webhook.deliver';
const DEFAULT_TIMEOUT_MS = 10_000;
/** How long an attempt holds its delivery beyond the request timeout before another may take it. */
const LEASE_MARGIN_MS = 30_000;
const MAX_ERROR_LENGTH = 500;

export interface DeliverJob {
  deliveryId: string;
  /** 1-based number of the attempt this job makes. */
  attempt: number;
}

export interface WebhookDeliveryDeps {
  db: Db;
  queue: JobQueue;
  log: Logger;
  encryptionKey: Buffer;
  /** Deliver to loopback and private addresses (checked again on every attempt). */
  allowPrivateUrls: boolean;
  /** Waits before each retry; defaults to defaultRetryScheduleMs (about 27 hours). */
  retryScheduleMs?: readonly number[] | undefined;
  timeoutMs?: number;
}

/** True while the delivery waits for this attempt: stale and duplicate jobs find it false. */
function isDue<T extends { status: string; attempts: number }>(
  delivery: T | undefined,
  attempt: number,
): delivery is T {
  return delivery?.status === 'pending' && delivery.attempts < attempt;
}

type AttemptOutcome =
  | { isSuccess: true; status: number }
  | { isSuccess: false; status: number | null; error: string };

/**
 * Webhook delivery: `fanOut` turns committed events into one delivery per subscribed active
 * webhook (idempotent: a re-relayed batch adds nothing), and `job` makes one signed attempt,
 * scheduling the next from the retry schedule until it succeeds or the schedule runs out.
 */
export function createWebhookDelivery(deps: WebhookDeliveryDeps) {
  const { db, queue, log } = deps;
  const schedule = deps.retryScheduleMs ?? defaultRetryScheduleMs;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const fanOut: EventSubscriber = async (events) => {
    const byTenant = new Map<string, DomainEvent[]>();
    for (const event of events) {
      const list = byTenant.get(event.tenantId) ?? [];
      list.push(event);
      byTenant.set(event.tenantId, list);
    }
    for (const [tenantId, tenantEvents] of byTenant) {
      const webhooks = await webhooksRepo.listWebhooks(db, tenantId, 'active');
      const rows: NewDelivery[] = [];
      for (const event of tenantEvents) {
        for (const webhook of webhooks) {
          if (!isSubscribed(webhook.events, event.type)) continue;
          rows.push({ id: newId('dlv'), webhookId: webhook.id, eventId: event.id, eventType: event.type });
        }
      }
      if (rows.length === 0) continue;
      await webhooksRepo.insertDeliveries(db, tenantId, rows);
      // Deliveries no attempt has touched, new or left by a crash before they were queued.
      const eventIds = [...new Set(rows.map((r) => r.eventId))];
      for (const deliveryId of await webhooksRepo.listUnattempted(db, tenantId, eventIds)) {
        await enqueue(tenantId, { deliveryId, attempt: 1 });
      }
    }
  };

  function enqueue(tenantId: string, job: DeliverJob, runAt?: Date): Promise<string | null> {
    return queue.enqueue(tenantId, DELIVER_JOB, job, {
      singletonKey: `${job.deliveryId}:${job.attempt}`,
      ...(runAt ? { runAt } : {}),
    });
  }

  async function attempt(url: string, secret: string, event: Parameters<typeof signDelivery>[1]) {
    const { body, headers } = signDelivery(secret, event);
    try {
      const response = await safeFetch(url, {
        method: 'POST',
        headers,
        body,
        allowPrivate: deps.allowPrivateUrls,
        timeoutMs,
      });
      if (response.status >= 200 && response.status < 300) {
        return { isSuccess: true, status: response.status } satisfies AttemptOutcome;
      }
      const snippet = response.body.trim().slice(0, 200);
      return {
        isSuccess: false,
        status: response.status,
        error: `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`,
      } satisfies AttemptOutcome;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { isSuccess: false, status: null, error: message } satisfies AttemptOutcome;
    }
  }

  /** One attempt of one delivery. Stale and duplicate jobs find nothing to do and return. */
  async function deliver(payload: DeliverJob, context: JobContext): Promise<void> {
    const { tenantId } = context;
    const delivery = await webhooksRepo.findDelivery(db, tenantId, payload.deliveryId);
    if (!isDue(delivery, payload.attempt)) return;
    const webhook = await webhooksRepo.findWebhook(db, tenantId, delivery.webhook_id);
    if (webhook?.status !== 'active') {
      const reason = webhook ? 'webhook inactive' : 'webhook deleted';
      await webhooksRepo.cancelPending(db, tenantId, { deliveryId: delivery.id }, reason);
      return;
    }
    const leaseUntil = isoIn(timeoutMs + LEASE_MARGIN_MS);
    if (!(await webhooksRepo.claimDelivery(db, tenantId, delivery.id, payload.attempt, leaseUntil))) {
      const current = await webhooksRepo.findDelivery(db, tenantId, delivery.id);
      if (!isDue(current, payload.attempt)) return;
      // Another worker is on it (or its attempt is not due yet): let the queue try again later.
      throw new Error(`delivery ${delivery.id} is held by another attempt`);
    }
    const event = await webhooksRepo.findEvent(db, tenantId, delivery.event_id);
    if (!event) {
      await webhooksRepo.recordAttempt(db, tenantId, delivery.id, {
        status: 'failed',
        attempts: payload.attempt,
        nextAttemptAt: null,
        responseStatus: null,
        lastError: `event ${delivery.event_id} no longer exists`,
      });
      return;
    }
    const secret = decryptSecret(deps.encryptionKey, webhook.sealedSecret);
    const outcome = await attempt(webhook.url, secret, {
      id: event.id,
      type: event.type,
      timestamp: event.createdAt,
      data: event.payload,
    });
    if (outcome.isSuccess) {
      await webhooksRepo.recordAttempt(db, tenantId, delivery.id, {
        status: 'succeeded',
        attempts: payload.attempt,
        nextAttemptAt: null,
        responseStatus: outcome.status,
      });
      return;
    }
    const delay = retryDelayAfter(schedule, payload.attempt);
    const lastError = outcome.error.slice(0, MAX_ERROR_LENGTH);
    log.info(
      { webhookId: webhook.id, deliveryId: delivery.id, attempt: payload.attempt, err: lastError },
      delay === undefined ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
    );
    if (delay === undefined) {
      await webhooksRepo.recordAttempt(db, tenantId, delivery.id, {
        status: 'failed',
        attempts: payload.attempt,
        nextAttemptAt: null,
        responseStatus: outcome.status,
        lastError,
      });
      return;
    }
    // Queue the next attempt before recording this one: if the process dies in between, the next
    // job still runs (it takes any attempt number above the recorded one).
    const runAt = new Date(Date.now() + delay);
    await enqueue(tenantId, { deliveryId: delivery.id, attempt: payload.attempt + 1 }, runAt);
    await webhooksRepo.recordAttempt(db, tenantId, delivery.id, {
      status: 'pending',
      attempts: payload.attempt,
      nextAttemptAt: runAt.toISOString(),
      responseStatus: outcome.status,
      lastError,
    });
  }

  const job: JobDefinition<DeliverJob> = {
    name: DELIVER_JOB,
    handler: deliver,
    // Retries here cover infrastructure errors (database, a held delivery), not HTTP failures.
    retryLimit: 8,
    backoffMs: 2000,
  };

  return { fanOut, job };
}

export type WebhookDeliveryModule = ReturnType<typeof createWebhookDelivery>;

/** Wires delivery into the app: its job on the queue, its fan-out on the outbox. */
export function registerWebhookDelivery(
  delivery: WebhookDeliveryModule,
  targets: { queue: Pick<JobQueue, 'register'>; outbox: { subscribe(subscriber: EventSubscriber): void } },
): void {
  targets.queue.register(delivery.job);
  targets.outbox.subscribe(delivery.fanOut);
}
