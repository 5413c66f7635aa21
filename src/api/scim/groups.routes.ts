import type { ScimGroupsService } from '../../modules/scim/groups.service.js';
import { CORE_GROUP } from '../../modules/scim/schemas.js';
import type { Server } from '../http/server.js';
import { resourceRoutes } from './resource-routes.js';

/** Whether an `excludedAttributes` list leaves out `members`. */
const excludesMembers = (excluded: string | undefined) => /(^|,)\s*members\s*(,|$)/i.test(excluded ?? '');

/** `/Groups` under one SCIM prefix. */
export async function groupsRoutes(
  app: Server,
  { prefix, groups, publicUrl }: { prefix: string; groups: ScimGroupsService; publicUrl: string | undefined },
): Promise<void> {
  resourceRoutes(
    app,
    {
      name: 'Groups',
      read: 'scim:groups:read',
      write: 'scim:groups:write',
      schemaIds: [CORE_GROUP],
      // Group bodies may carry thousands of members.
      bodyLimit: 4 * 1024 * 1024,
      list: groups.list,
      // Members are not read when they are left out.
      get: (actor, id, baseUrl, excluded) => groups.get(actor, id, baseUrl, !excludesMembers(excluded)),
      create: groups.create,
      replace: groups.replace,
      // With no content asked for, the group (and its thousands of members) is not read back.
      patch: (actor, id, body, ifMatch, baseUrl, minimal) =>
        groups.patch(actor, id, body, ifMatch, baseUrl, !minimal),
      remove: groups.remove,
    },
    { prefix, publicUrl },
  );
}
