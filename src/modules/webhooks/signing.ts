import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';

const SECRET_PREFIX = 'whsec_';

/** A new Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** What a delivery sends: the Standard Webhooks payload shape. */
export interface DeliveryMessage {
  /** The event id: also the `webhook-id` header, so receivers can drop duplicates. */
  id: string;
  type: string;
  /** When the event happened (ISO-8601 UTC). */
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * The body and headers of one signed delivery attempt, per the Standard Webhooks spec:
 * `webhook-id`, `webhook-timestamp` (seconds, the attempt's time) and `webhook-signature`.
 */
export function signDelivery(
  secret: string,
  message: DeliveryMessage,
  at: Date = new Date(),
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(message);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Sightline-Webhooks/1.0',
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new StandardWebhook(secret).sign(message.id, at, body),
    },
  };
}
