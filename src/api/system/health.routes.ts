import { Type } from '@sinclair/typebox';
import type { Store } from '../../platform/db/db.js';
import type { Server } from '../http/server.js';

const Health = Type.Object({ status: Type.String(), database: Type.Optional(Type.String()) });

/** `/healthz`: the process is up. `/readyz`: the database answers and migrations are applied. */
export async function healthRoutes(app: Server, { store }: { store: Store }): Promise<void> {
  app.get(
    '/healthz',
    { schema: { tags: ['system'], security: [], response: { 200: Health } } },
    async () => ({
      status: 'ok',
    }),
  );
  app.get(
    '/readyz',
    { schema: { tags: ['system'], security: [], response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const ready = await store.isReady();
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not ready', database: store.dialect });
    },
  );
}
