import type { EntityCounts } from './apply-context.js';
import type { SnapshotEntity } from './records.schema.js';

/** A sync session as every face shows it: the Zluri contract's fields plus Sightline's counts. */
export interface Sync {
  id: string;
  instance_id: string;
  status: 'running' | 'finished' | 'failed';
  created_at: string;
  finished_at?: string;
  /** Sightline extensions. */
  phase: 'receiving' | 'applying' | 'held' | 'done';
  pages: number;
  records: number;
  entities: Record<string, { kind: string; entity: string; pages: number; records: number }>;
  result?: SyncResult;
  failure_reason?: string;
  held?: HoldInfo;
}

export interface SyncResult {
  entities: Record<string, EntityCounts>;
  unresolved: { entity: string; field: string; value: string; count?: number }[];
  events: number;
  baseline: string[];
}

export interface HoldInfo {
  reason: 'mass_deactivation_guard';
  active_before: number;
  deactivating: number;
  share: number;
  threshold: number;
}

/** What the sync row's `stats` column holds besides counts derived from pages. */
export interface SyncStats {
  finish_requested?: boolean;
  force?: boolean;
  held?: HoldInfo;
  approved_by?: string;
}

export interface IngestSettings {
  /** Share of active accounts a finish may deactivate before it is held (0.3). */
  guardShare: number;
  /** The guard applies only to instances with at least this many active accounts. */
  guardMinActive: number;
  /** A running sync idle longer than this fails and frees its instance. */
  idleMs: number;
  /** How long a finish request waits for the apply before answering with the running sync. */
  finishWaitMs: number;
}

/** Where uploaded pages go: one entity of a running sync of an instance. */
export interface PagesTarget {
  instanceId: string;
  syncId: string;
  kind: 'snapshot' | 'fact';
  entity: SnapshotEntity;
}
