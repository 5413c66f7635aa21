import { Type } from '@sinclair/typebox';
import type { TokensService } from '../../modules/auth/tokens.service.js';
import { actorOf, type Server } from '../http/server.js';
import { IdParams, withErrors } from './schemas.js';
import { CreatedToken, CreateTokenBody, Token } from './tokens.schema.js';

/** `/api/tokens`: create (secret shown once), list, get, revoke. */
export async function tokensRoutes(app: Server, { tokens }: { tokens: TokensService }): Promise<void> {
  app.post(
    '/api/tokens',
    {
      config: { action: 'tokens:write' },
      bodyLimit: 16 * 1024,
      schema: { tags: ['admin'], body: CreateTokenBody, response: withErrors({ 201: CreatedToken }) },
    },
    async (request, reply) => {
      const { token, info } = await tokens.create(actorOf(request), request.body);
      return reply.status(201).send({ token, tokenInfo: info });
    },
  );

  app.get(
    '/api/tokens',
    {
      config: { action: 'tokens:read' },
      schema: { tags: ['admin'], response: withErrors({ 200: Type.Object({ tokens: Type.Array(Token) }) }) },
    },
    async (request) => ({ tokens: await tokens.list(actorOf(request)) }),
  );

  app.get(
    '/api/tokens/:id',
    {
      config: { action: 'tokens:read' },
      schema: { tags: ['admin'], params: IdParams, response: withErrors({ 200: Token }) },
    },
    async (request) => tokens.get(actorOf(request), request.params.id),
  );

  app.delete(
    '/api/tokens/:id',
    {
      config: { action: 'tokens:write' },
      schema: { tags: ['admin'], params: IdParams, response: withErrors({ 200: Token }) },
    },
    async (request) => tokens.revoke(actorOf(request), request.params.id),
  );
}
