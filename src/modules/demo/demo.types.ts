import type { Trx } from '../../platform/db/db.js';

export interface DemoOptions {
  /** Same seed and same `now` give the same organization (ids aside). Default 42. */
  seed?: number;
  /** Default 500. */
  people?: number;
  /** Default 60: the app catalog; beyond it, invented long-tail apps. */
  apps?: number;
  /** Average number of app accounts per employee. Default 10. */
  accessPerPerson?: number;
  /** The reference instant every demo date is relative to. Default: the current time. */
  now?: Date;
}

/** Rows written per table. */
export interface DemoSummary {
  people: number;
  groups: number;
  apps: number;
  accounts: number;
  licenses: number;
  contracts: number;
  transactions: number;
  activities: number;
}

/** What every demo writer needs: where to write and the two clocks. */
export interface DemoContext {
  trx: Trx;
  tenantId: string;
  /** Real creation time of the rows (created_at/updated_at). */
  createdAt: string;
  /** The reference instant (ms) that domain dates (last use, contracts, charges) count back from. */
  reference: number;
}
