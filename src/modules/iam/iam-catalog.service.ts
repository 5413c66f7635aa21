import type { Db, Dialect } from '../../platform/db/db.js';
import { createActionsService } from './actions.service.js';
import { createResourceTypesService } from './resource-types.service.js';
import { createResourcesService } from './resources.service.js';

export type { IamAction } from './actions.service.js';
export type { IamResourceType } from './resource-types.service.js';
export type { IamResource } from './resources.service.js';

/**
 * IAM actions, resource types and resources of a tenant (one service per kind, composed here).
 * Built-in rows (Sightline's own catalog) are read-only; custom ones describe resources the tenant
 * governs with Sightline's roles.
 */
export function createIamCatalogService(deps: { db: Db; dialect: Dialect }) {
  return {
    ...createActionsService(deps),
    ...createResourceTypesService(deps),
    ...createResourcesService(deps),
  };
}

export type IamCatalogService = ReturnType<typeof createIamCatalogService>;
