import type { UsersList } from '../../modules/directory/users-list.js';
import { actorOf, type Server } from '../http/server.js';
import { ListQuery, manageErrors, Page } from './common.schema.js';
import { User } from './users.schema.js';
import { VersionHeaders } from './versions.js';

/** `/users`: the directory's people, with its own per-key rate limit (the contract's 100/minute). */
export async function usersRoutes(
  app: Server,
  { usersList, usersRateLimit }: { usersList: UsersList; usersRateLimit: { max: number; windowMs: number } },
  prefix: string,
): Promise<void> {
  app.get(
    `${prefix}/users`,
    {
      config: {
        action: 'users:read',
        rateLimit: { max: usersRateLimit.max, timeWindow: usersRateLimit.windowMs },
      },
      schema: {
        tags: ['manage'],
        description: `Rate limit: ${usersRateLimit.max} requests per ${usersRateLimit.windowMs / 1000} s per key.`,
        headers: VersionHeaders,
        querystring: ListQuery,
        response: manageErrors({ 200: Page(User) }),
      },
    },
    async (request) => usersList.list(actorOf(request), request.query),
  );
}
