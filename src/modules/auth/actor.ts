import { AppError } from '../../platform/errors/app-error.js';
import { allActions } from '../iam/catalog.js';

/** Who is doing something: every service call carries one, and every audit entry names it. */
export interface Actor {
  tenantId: string;
  type: 'token' | 'system';
  /** Token id, or `system` for the CLI and internal jobs. */
  id: string;
  name: string;
  email: string | null;
  personId: string | null;
  roleIds: string[];
  actions: ReadonlySet<string>;
  /** API version the token was created for (`1.0`, `1.1`), for faces that version their shapes. */
  apiVersion: string;
  requestId?: string | undefined;
}

/** True when the actor's roles grant the action. */
export function can(actor: Actor, action: string): boolean {
  return actor.actions.has(action);
}

/**
 * Whether the actor may hand out the action (in a role, or through a token's role): only actions it
 * holds itself — except the tenant's owner (`tenants:admin`), who may grant every action, including
 * the tenant's custom ones that govern resources outside Sightline.
 */
export function mayGrant(actor: Actor, action: string): boolean {
  return actor.actions.has(action) || actor.actions.has('tenants:admin');
}

/** Throws 403 naming the missing action. */
export function requireAction(actor: Actor, action: string): void {
  if (!actor.actions.has(action)) {
    throw new AppError('forbidden', `Missing permission for action '${action}'`, { action });
  }
}

/** The actor used by the CLI and background work: every action, in one tenant. */
export function systemActor(tenantId: string, name = 'system'): Actor {
  return {
    tenantId,
    type: 'system',
    id: 'system',
    name,
    email: null,
    personId: null,
    roleIds: [],
    actions: new Set(allActions),
    apiVersion: '1.1',
  };
}
