import type { UsersList } from '../../modules/directory/users-list.js';
import { actorOf, type Server } from '../http/server.js';
import { ListQuery, manageErrors, Page } from './common.schema.js';
import { User } from './users.schema.js';
import { VersionHeaders } from './versions.js';

/** `/users`: the directory's people, with its own per-key rate limit (the contract's 100/minute). */
export async function usersRoutes(
  app: Server,
  {
    usersList,
    usersRateLimit,
    usersLimit,
  }: {
    usersList: UsersList;
    usersRateLimit: { max: number; windowMs: number };
    /** The shared `/users` limiter (`server.rateLimit`): one budget for every prefix. */
    usersLimit: ReturnType<Server['rateLimit']>;
  },
  prefix: string,
): Promise<void> {
  app.get(
    `${prefix}/users`,
    {
      // The general limit gives way to the `/users` one.
      config: { action: 'users:read', rateLimit: false },
      onRequest: usersLimit,
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
