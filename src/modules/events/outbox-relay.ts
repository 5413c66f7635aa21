import type { Db } from '../../platform/db/db.js';
import type { Logger } from '../../platform/log/log.js';
import { type DomainEvent, listPendingEvents, markDispatched } from './events.service.js';

/** Something that reacts to committed domain events (webhooks, workflows). Must be idempotent. */
export type EventSubscriber = (events: DomainEvent[]) => Promise<void>;

/**
 * Hands committed outbox events to subscribers, then marks them dispatched. A crash between the
 * two re-delivers the batch (at-least-once); subscribers dedupe by event id.
 */
export function createOutboxRelay(options: { db: Db; log: Logger; pollMs: number; batchSize?: number }) {
  const subscribers: EventSubscriber[] = [];
  let timer: NodeJS.Timeout | undefined;
  /** The last relay pass asked for; passes run one after another, never side by side. */
  let tail: Promise<number> = Promise.resolve(0);
  let running = false;

  async function relayOnce(): Promise<number> {
    const events = await listPendingEvents(options.db, options.batchSize ?? 200);
    if (events.length === 0) return 0;
    for (const subscriber of subscribers) await subscriber(events);
    await markDispatched(options.db, events);
    return events.length;
  }

  function tick(): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      await relay();
      tick();
    }, options.pollMs);
    timer.unref();
  }

  async function relayAll(): Promise<number> {
    let total = 0;
    try {
      for (let n = await relayOnce(); n > 0; n = await relayOnce()) total += n;
    } catch (error) {
      options.log.error({ err: error }, 'outbox relay failed; will retry');
    }
    return total;
  }

  /**
   * Relays every event committed before the call (also used by tests and after a sync finishes);
   * resolves with how many were handed over. A failing subscriber leaves its batch pending.
   */
  function relay(): Promise<number> {
    tail = tail.then(relayAll);
    return tail;
  }

  return {
    subscribe(subscriber: EventSubscriber): void {
      subscribers.push(subscriber);
    },
    relay,
    start(): void {
      running = true;
      tick();
    },
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      await tail;
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
