import type { ScimGroupsService } from '../../modules/scim/groups.service.js';
import { projectResource } from '../../modules/scim/projection.js';
import { CORE_GROUP, LIST_RESPONSE } from '../../modules/scim/schemas.js';
import type { ListResult, ScimUsersService } from '../../modules/scim/users.service.js';
import { userSchemas } from '../../modules/scim/users.service.js';
import { isAppError } from '../../platform/errors/app-error.js';
import { actorOf, registerFaceErrors, type Server } from '../http/server.js';
import { discoveryRoutes } from './discovery.routes.js';
import { renderScimError } from './errors.js';
import { groupsRoutes } from './groups.routes.js';
import { baseUrlOf, SCIM_JSON } from './reply.js';
import { ScimBody } from './scim.schema.js';
import { searchRequest } from './search.js';
import { usersRoutes } from './users.routes.js';

const empty: ListResult = { totalResults: 0, startIndex: 1, itemsPerPage: 0, resources: [] };
/** Only an invalid filter is "no match of this type"; anything else still fails the request. */
const filterMismatch = (error: unknown): unknown => {
  if (isAppError(error) && error.details?.scimType === 'invalidFilter') return error;
  throw error;
};
const isList = (v: unknown): v is ListResult =>
  typeof v === 'object' && v !== null && Array.isArray((v as ListResult).resources);

/** Where the SCIM service answers: its own prefix and Torii's versioned aliases. */
export const scimPrefixes = ['/scim/v2', '/v1.0/scim/v2', '/v1.1/scim/v2'];

/** The SCIM 2.0 face (RFC 7644): Users, Groups, discovery, `.search`, under every SCIM prefix. */
export async function scimFace(
  server: Server,
  deps: { scimUsers: ScimUsersService; scimGroups: ScimGroupsService; publicUrl: string | undefined },
): Promise<void> {
  for (const prefix of scimPrefixes) {
    registerFaceErrors(prefix, renderScimError);
    await usersRoutes(server, { prefix, users: deps.scimUsers, publicUrl: deps.publicUrl });
    await groupsRoutes(server, { prefix, groups: deps.scimGroups, publicUrl: deps.publicUrl });
    await discoveryRoutes(server, { prefix, publicUrl: deps.publicUrl });
    // Root search (RFC 7644 §3.4.3): users first, then groups, paged over both.
    server.post(
      `${prefix}/.search`,
      { config: { action: 'scim:users:read' }, schema: { tags: ['scim'], body: ScimBody } },
      async (request, reply) => {
        const actor = actorOf(request);
        const query = searchRequest(request.body);
        const base = baseUrlOf(request, deps.publicUrl);
        // A filter naming attributes of one type only matches nothing of the other.
        const usersOrError = await deps.scimUsers.list(actor, query, base).catch(filterMismatch);
        const users = isList(usersOrError) ? usersOrError : empty;
        const start = Math.max(1, query.startIndex ?? 1);
        const count = Math.min(200, Math.max(0, query.count ?? 100));
        const groupOffset = Math.max(0, start - 1 - users.totalResults);
        const room = Math.max(0, count - users.resources.length);
        const groupsOrError = await deps.scimGroups
          .list(actor, { ...query, startIndex: groupOffset + 1, count: room }, base)
          .catch(filterMismatch);
        if (!isList(usersOrError) && !isList(groupsOrError)) throw usersOrError;
        const groups = isList(groupsOrError) ? groupsOrError : empty;
        const resources = [
          ...users.resources.map((r) =>
            projectResource(
              r,
              query,
              userSchemas.map((s) => s.id),
            ),
          ),
          ...groups.resources.map((r) => projectResource(r, query, [CORE_GROUP])),
        ];
        return reply.type(SCIM_JSON).send({
          schemas: [LIST_RESPONSE],
          totalResults: users.totalResults + groups.totalResults,
          startIndex: start,
          itemsPerPage: resources.length,
          Resources: resources,
        });
      },
    );
  }
}
