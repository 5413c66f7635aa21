/** What a workflow does, in order, for the person its trigger event is about. */
export type WorkflowAction =
  /** Adds the person to a directory group (onboarding). */
  | { type: 'add_to_group'; groupId: string }
  /** Removes the person from a group, or from every group with `groupId: '*'` (offboarding). */
  | { type: 'remove_from_group'; groupId: string }
  /** POSTs the event and the person to a URL (SSRF-checked), signed per Standard Webhooks. */
  | { type: 'http_request'; url: string };

export const actionTypes = ['add_to_group', 'remove_from_group', 'http_request'] as const;

/** Events about one person: the ones a workflow can start from. */
export const workflowTriggers = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'app_user.added',
  'app_user.removed',
  'app_user.role_changed',
  'app_user.license_changed',
] as const;

export interface Workflow {
  id: string;
  name: string;
  description: string | null;
  trigger: string;
  condition: string | null;
  actions: WorkflowAction[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowInput {
  name?: unknown;
  description?: unknown;
  trigger?: unknown;
  condition?: unknown;
  actions?: unknown;
  enabled?: unknown;
}
