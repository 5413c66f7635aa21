import { Type } from '@sinclair/typebox';
import { snapshotRecords } from '../../modules/ingest/records.schema.js';
import type { SyncsService } from '../../modules/ingest/syncs.service.js';
import { actorOf, type Server } from '../http/server.js';
import {
  FactUpload,
  InstanceParams,
  SnapshotUpload,
  Sync,
  SyncError,
  SyncParams,
  syncErrors,
  Uploaded,
} from './sync.schema.js';

/** A 1000-record page of wide records stays far below this. */
const PAGE_BODY_LIMIT = 8 * 1024 * 1024;
const base = '/v2/integrations-sync/instances/:instance_id/syncs';

/** Sync sessions and their pages (Zluri contract), plus `?force=true` on finish. */
export async function syncsRoutes(app: Server, { syncs }: { syncs: SyncsService }): Promise<void> {
  const tags = ['sync'];
  // Publish each entity's record schema in the OpenAPI components (SyncUserRecord, ...).
  for (const schema of Object.values(snapshotRecords)) app.addSchema(schema);
  app.post(
    base,
    {
      config: { action: 'sync:write' },
      schema: {
        tags,
        params: InstanceParams,
        response: syncErrors({ 201: Type.Object({ data: Sync }), 409: SyncError }),
      },
    },
    async (request, reply) =>
      reply.status(201).send({ data: await syncs.create(actorOf(request), request.params.instance_id) }),
  );
  app.get(
    `${base}/:sync_id`,
    {
      config: { action: 'sync:read' },
      schema: { tags, params: SyncParams, response: syncErrors({ 200: Type.Object({ data: Sync }) }) },
    },
    async (request) => ({
      data: await syncs.get(actorOf(request), request.params.instance_id, request.params.sync_id),
    }),
  );
  app.post(
    `${base}/:sync_id/finish`,
    {
      config: { action: 'sync:write' },
      schema: {
        tags,
        params: SyncParams,
        querystring: Type.Object(
          {
            force: Type.Optional(
              Type.Boolean({ description: 'Apply past the mass-deactivation guard (needs sync:approve)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: syncErrors({ 200: Type.Object({ data: Sync }) }),
      },
    },
    async (request) => ({
      data: await syncs.finish(actorOf(request), request.params.instance_id, request.params.sync_id, {
        force: request.query.force === true,
      }),
    }),
  );
  for (const [kind, path, body] of [
    ['snapshot', 'snapshots', SnapshotUpload],
    ['fact', 'facts', FactUpload],
  ] as const) {
    app.post(
      `${base}/:sync_id/data/${path}`,
      {
        config: { action: 'sync:write' },
        bodyLimit: PAGE_BODY_LIMIT,
        schema: {
          tags,
          params: SyncParams,
          body,
          response: syncErrors({ 200: Uploaded, 413: SyncError, 422: SyncError }),
        },
      },
      async (request) => {
        await syncs.uploadPage(actorOf(request), {
          instanceId: request.params.instance_id,
          syncId: request.params.sync_id,
          kind,
          entity: request.body.entity,
          page: request.body.page,
          data: request.body.data,
        });
        return { message: 'Data uploaded successfully' };
      },
    );
  }
}
