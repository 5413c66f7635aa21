import { Type } from '@sinclair/typebox';
import type { CustomIntegrationSync } from '../../modules/ingest/custom-integration-sync.js';
import { actorOf, type Server } from '../http/server.js';
import { manageErrors } from './common.schema.js';
import { VersionHeaders } from './versions.js';

const Loose = Type.Object({}, { additionalProperties: true });
/** Fields are checked by the module so every problem can name its entry (`users[3].email`). */
const CustomSyncBody = Type.Object(
  {
    appName: Type.Unknown({ description: 'The name of the application to sync (created when new)' }),
    users: Type.Optional(
      Type.Array(Loose, {
        maxItems: 200_000,
        description: '{email, status, role, lastUsedDate}; users left out become inactive',
      }),
    ),
    licenses: Type.Optional(
      Type.Array(Loose, { maxItems: 1000, description: '{name, total, used, pricePerUser}' }),
    ),
  },
  { additionalProperties: false },
);

const CustomSyncResult = Type.Object({
  status: Type.String({ description: '`completed`, or `in_progress` when the apply outlasts the wait' }),
  syncId: Type.Union([Type.String(), Type.Null()], { description: 'null for a licenses-only call' }),
  instanceId: Type.String(),
  appId: Type.String(),
  counts: Type.Record(Type.String(), Type.Record(Type.String(), Type.Number())),
});

/** `POST /services/sync/custom` (Torii): a custom integration's users and licenses, applied as a snapshot. */
export async function servicesSyncRoutes(
  app: Server,
  { customSync }: { customSync: CustomIntegrationSync },
  prefix: string,
): Promise<void> {
  app.post(
    `${prefix}/services/sync/custom`,
    {
      config: { action: 'sync:write' },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        tags: ['manage'],
        headers: VersionHeaders,
        body: CustomSyncBody,
        response: manageErrors({ 200: CustomSyncResult }),
      },
    },
    async (request) => {
      const result = await customSync.run(actorOf(request), request.body);
      const counts = Object.fromEntries(
        Object.entries(result.sync?.result?.entities ?? {}).map(([entity, c]) => [
          entity,
          Object.fromEntries(Object.entries(c).filter(([, v]) => typeof v === 'number')),
        ]),
      );
      return {
        status: result.status,
        syncId: result.syncId,
        instanceId: result.instanceId,
        appId: result.appId,
        counts,
      };
    },
  );
}
