import type { Trx } from '../../platform/db/db.js';
import type { DialectHelpers } from '../../platform/db/dialect.js';
import type { EventInput } from '../events/events.service.js';

/** What every entity's apply step works with: one transaction, one instance, one sync. */
export interface ApplyContext {
  trx: Trx;
  h: DialectHelpers;
  tenantId: string;
  instanceId: string;
  appId: string;
  syncId: string;
  now: string;
  /** True when this instance never finished a snapshot of the entity: counts only, no per-record events. */
  baseline: boolean;
  /** Events to write to the outbox with the change. */
  events: EventInput[];
  /** Counts shared by every entity's step: events written to the outbox directly (in SQL). */
  tally: { events: number };
  /** References that could not be resolved, reported in the sync's result. */
  unresolved: { entity: string; field: string; value: string; count?: number }[];
}

export interface EntityCounts {
  received: number;
  created: number;
  updated: number;
  deactivated: number;
  reactivated: number;
  unchanged: number;
  rejected: number;
  duplicates?: number;
  /**
   * Users: records dropped because a later record had the same id (in the same page or a later
   * one); the last version is the one received. `received + superseded` is what was sent.
   */
  superseded?: number;
}

export function emptyCounts(): EntityCounts {
  return { received: 0, created: 0, updated: 0, deactivated: 0, reactivated: 0, unchanged: 0, rejected: 0 };
}
