import type { Db, Dialect } from '../../platform/db/db.js';
import { createPermissionsService } from './permissions.service.js';
import { createRolesService } from './roles.service.js';

export type { IamPermission, IamStatement } from './permissions.service.js';
export type { IamRole } from './roles.store.js';

/**
 * IAM permissions and roles (one service per kind, composed here): Sightline's authorization, a
 * change applies on the holders' next request, built-in rows are read-only, every change audited.
 */
export function createIamRolesService(deps: { db: Db; dialect: Dialect }) {
  return { ...createPermissionsService(deps), ...createRolesService(deps) };
}

export type IamRolesService = ReturnType<typeof createIamRolesService>;
