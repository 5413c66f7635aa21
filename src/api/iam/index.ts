import type { IamCatalogService } from '../../modules/iam/iam-catalog.service.js';
import type { IamRolesService } from '../../modules/iam/iam-roles.service.js';
import type { ScimGroupsService } from '../../modules/scim/groups.service.js';
import type { Resource } from '../../modules/scim/normalize.js';
import type { ScimUsersService } from '../../modules/scim/users.service.js';
import { registerFaceErrors, type Server } from '../http/server.js';
import { CreateActionBody, PatchActionBody, ReplaceActionBody } from './actions.schema.js';
import { registerIamKind } from './crud.js';
import {
  actionItem,
  permissionItem,
  resourceItem,
  resourceTypeItem,
  roleItem,
  toIamResource,
} from './envelope.js';
import { renderIamError } from './errors.js';
import { CreatePermissionBody, PatchPermissionBody, ReplacePermissionBody } from './permissions.schema.js';
import {
  CreateResourceTypeBody,
  PatchResourceTypeBody,
  ReplaceResourceTypeBody,
} from './resource-types.schema.js';
import { CreateResourceBody, PatchResourceBody, ReplaceResourceBody } from './resources.schema.js';
import { CreateRoleBody, PatchRoleBody, ReplaceRoleBody } from './roles.schema.js';

type Obj = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
/** The list parameters of a query (the route schema has typed them). */
const listRequest = (q: Record<string, unknown>) => ({
  filter: str(q.filter),
  startIndex: num(q.startIndex),
  count: num(q.count),
});

/** The IAM list of people or groups: a SCIM list (filter and paging), in the IAM envelope. */
const scimList =
  (service: Pick<ScimUsersService | ScimGroupsService, 'list'>) =>
  async (actor: Parameters<ScimUsersService['list']>[0], q: Record<string, unknown>) => {
    const res = await service.list(actor, listRequest(q), '/scim/v2');
    return { items: res.resources, total: res.totalResults };
  };

/** A SCIM resource in the IAM envelope: its attributes without schemas/id/meta. */
function scimItem(kind: 'User' | 'Group', r: Resource): Obj {
  const { schemas: _s, id, meta, externalId, ...attributes } = r;
  const m = (meta ?? {}) as Obj;
  return toIamResource(
    kind,
    String(id),
    attributes,
    { created: String(m.created), lastModified: String(m.lastModified) },
    { externalId: str(externalId) ?? null, version: str(m.version) },
  );
}

/**
 * The IAM face (`/iam/v1`, StackSpot-style envelope): actions, resource types, resources,
 * permissions, roles — Sightline's own authorization — and users and groups, which are the SCIM
 * directory's records. Errors use the SCIM error shape (`errors.ts`: StackSpot's IAM is a SCIM provider).
 */
export async function iamFace(
  server: Server,
  deps: {
    iamCatalog: IamCatalogService;
    iamRoles: IamRolesService;
    scimUsers: ScimUsersService;
    scimGroups: ScimGroupsService;
  },
): Promise<void> {
  registerFaceErrors('/iam/v1', renderIamError);
  const { iamCatalog: c, iamRoles: r } = deps;
  registerIamKind(server, {
    path: 'actions',
    read: 'iam:read',
    write: 'iam:write',
    toItem: actionItem,
    list: (actor, query) => c.listActions(actor, listRequest(query)),
    get: c.getAction,
    create: c.createAction,
    replace: (actor, id, body) => c.updateAction(actor, id, body, false),
    patch: (actor, id, body) => c.patchAction(actor, id, body),
    remove: c.deleteAction,
    putAnswersList: true,
    bodies: { create: CreateActionBody, replace: ReplaceActionBody, patch: PatchActionBody },
  });
  registerIamKind(server, {
    path: 'resource-types',
    read: 'iam:read',
    write: 'iam:write',
    toItem: resourceTypeItem,
    list: (actor, query) => c.listResourceTypes(actor, listRequest(query)),
    get: c.getResourceType,
    create: c.createResourceType,
    replace: (actor, id, body) => c.updateResourceType(actor, id, body, false),
    patch: (actor, id, body) => c.patchResourceType(actor, id, body),
    remove: c.deleteResourceType,
    putAnswersList: false,
    bodies: {
      create: CreateResourceTypeBody,
      replace: ReplaceResourceTypeBody,
      patch: PatchResourceTypeBody,
    },
  });
  registerIamKind(server, {
    path: 'resources',
    read: 'iam:read',
    write: 'iam:write',
    toItem: resourceItem,
    list: (actor, query) => c.listResources(actor, listRequest(query), str(query.type)),
    get: c.getResource,
    create: c.createResource,
    replace: (actor, id, body) => c.updateResource(actor, id, body, false),
    patch: (actor, id, body) => c.patchResource(actor, id, body),
    remove: c.deleteResource,
    putAnswersList: false,
    bodies: { create: CreateResourceBody, replace: ReplaceResourceBody, patch: PatchResourceBody },
  });
  registerIamKind(server, {
    path: 'permissions',
    read: 'iam:read',
    write: 'iam:roles:write',
    toItem: permissionItem,
    list: (actor, query) => r.listPermissions(actor, listRequest(query)),
    get: r.getPermission,
    create: r.createPermission,
    replace: (actor, id, body) => r.updatePermission(actor, id, body, false),
    patch: (actor, id, body) => r.patchPermission(actor, id, body),
    remove: r.deletePermission,
    putAnswersList: true,
    bodies: {
      create: CreatePermissionBody,
      replace: ReplacePermissionBody,
      patch: PatchPermissionBody,
    },
  });
  registerIamKind(server, {
    path: 'roles',
    read: 'iam:read',
    write: 'iam:roles:write',
    toItem: roleItem,
    list: (actor, query) => r.listRoles(actor, listRequest(query)),
    get: r.getRole,
    create: r.createRole,
    replace: (actor, id, body) => r.updateRole(actor, id, body),
    patch: (actor, id, body) => r.patchRole(actor, id, body),
    remove: r.deleteRole,
    putAnswersList: true,
    bodies: { create: CreateRoleBody, replace: ReplaceRoleBody, patch: PatchRoleBody },
  });
  const { scimUsers: users, scimGroups: groups } = deps;
  registerIamKind<Resource>(server, {
    path: 'users',
    read: 'scim:users:read',
    write: 'scim:users:write',
    toItem: (u) => scimItem('User', u),
    list: scimList(users),
    get: (actor, id) => users.get(actor, id, '/scim/v2'),
    create: (actor, body) => users.create(actor, body, '/scim/v2'),
    replace: (actor, id, body) => users.replace(actor, id, body, undefined, '/scim/v2'),
    patch: (actor, id, body) => users.patch(actor, id, body, undefined, '/scim/v2'),
    remove: (actor, id) => users.remove(actor, id, undefined),
    putAnswersList: true,
  });
  registerIamKind<Resource>(server, {
    path: 'groups',
    read: 'scim:groups:read',
    write: 'scim:groups:write',
    toItem: (g) => scimItem('Group', g),
    list: scimList(groups),
    get: (actor, id) => groups.get(actor, id, '/scim/v2'),
    create: (actor, body) => groups.create(actor, body, '/scim/v2'),
    // The contract's "Update Groups" carries the name only: without `members` they stay as they
    // are (a client following it must not empty the group). With `members`, a replace (RFC 7644
    // §3.5.1), the same call as SCIM's PUT: the members become the given list.
    replace: async (actor, id, body) =>
      body.members === undefined
        ? ((await groups.patch(
            actor,
            id,
            { Operations: [{ op: 'replace', value: { displayName: body.displayName } }] },
            undefined,
            '/scim/v2',
            true,
          )) as Resource)
        : groups.replace(actor, id, body, undefined, '/scim/v2'),
    patch: async (actor, id, body) =>
      (await groups.patch(actor, id, body, undefined, '/scim/v2', true)) as Resource,
    remove: (actor, id) => groups.remove(actor, id, undefined),
    putAnswersList: true,
  });
}
