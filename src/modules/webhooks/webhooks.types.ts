/** A webhook as the push-sync API shows it (the Zluri contract's Webhook). Never the secret. */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  status: WebhookStatus;
  created_at: string;
  updated_at: string;
}

export type WebhookStatus = 'active' | 'inactive';

/** A created webhook: the signing secret (`whsec_...`) is returned this once. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

export interface WebhookCreateInput {
  url: string;
  events: string[];
}

export interface WebhookUpdateInput {
  url?: string;
  events?: string[];
  status?: WebhookStatus;
}

/**
 * pending: waiting for its next attempt (or in flight); succeeded: a 2xx was received;
 * failed: every attempt of the retry schedule failed; cancelled: the webhook was deactivated or
 * deleted before an attempt, nothing more is sent.
 */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

/** One event's delivery to one webhook, with the outcome of its latest attempt. */
export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  response_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** A page of a newest-first list; `next_cursor` is passed back as `cursor` for the next page. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
