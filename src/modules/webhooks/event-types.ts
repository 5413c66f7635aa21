/**
 * The domain event types a webhook can subscribe to: the single list the API validates against.
 * Add a type here when a module starts emitting it.
 */
export const webhookEventTypes = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'app_user.added',
  'app_user.removed',
  'app_user.role_changed',
  'app_user.license_changed',
  'app_user.updated',
  'group.created',
  'group.updated',
  'group.deleted',
  'sync.finished',
  'sync.failed',
  'sync.held',
  'app.created',
  'app.updated',
  'app.closed',
  'contract.created',
  'contract.updated',
  'contract.deleted',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** Subscribes to every event type, including ones added later. */
export const ALL_EVENTS = '*';

const known: ReadonlySet<string> = new Set(webhookEventTypes);

/** True for a known event type or the wildcard. */
export function isSubscribableEvent(type: string): boolean {
  return type === ALL_EVENTS || known.has(type);
}

/** True when a webhook with these subscriptions receives an event of this type. */
export function isSubscribed(subscriptions: readonly string[], eventType: string): boolean {
  return subscriptions.includes(ALL_EVENTS) || subscriptions.includes(eventType);
}
