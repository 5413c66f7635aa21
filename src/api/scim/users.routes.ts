import type { ScimUsersService } from '../../modules/scim/users.service.js';
import { userSchemas } from '../../modules/scim/users.service.js';
import type { Server } from '../http/server.js';
import { resourceRoutes } from './resource-routes.js';

/** `/Users` under one SCIM prefix. */
export async function usersRoutes(
  app: Server,
  { prefix, users, publicUrl }: { prefix: string; users: ScimUsersService; publicUrl: string | undefined },
): Promise<void> {
  resourceRoutes(
    app,
    {
      name: 'Users',
      read: 'scim:users:read',
      write: 'scim:users:write',
      schemaIds: userSchemas.map((s) => s.id),
      list: users.list,
      get: users.get,
      create: users.create,
      replace: users.replace,
      // The person is read back either way: a 204 still carries the new version as its ETag.
      patch: users.patch,
      remove: users.remove,
    },
    { prefix, publicUrl },
  );
}
