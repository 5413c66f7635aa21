import { Type } from '@sinclair/typebox';
import type { InstancesService } from '../../modules/instances/instances.service.js';
import { actorOf, type Server } from '../http/server.js';
import { Instance, InstanceParams, InstanceUpdate, syncErrors } from './sync.schema.js';

/** `/v2/integrations-sync/instances`: list, get, update (Zluri contract). */
export async function instancesRoutes(
  app: Server,
  { instances }: { instances: InstancesService },
): Promise<void> {
  const tags = ['sync'];
  app.get(
    '/v2/integrations-sync/instances',
    {
      config: { action: 'instances:read' },
      schema: { tags, response: syncErrors({ 200: Type.Object({ data: Type.Array(Instance) }) }) },
    },
    async (request) => ({ data: await instances.list(actorOf(request)) }),
  );
  app.get(
    '/v2/integrations-sync/instances/:instance_id',
    {
      config: { action: 'instances:read' },
      schema: {
        tags,
        params: InstanceParams,
        response: syncErrors({ 200: Type.Object({ data: Instance }) }),
      },
    },
    async (request) => ({ data: await instances.get(actorOf(request), request.params.instance_id) }),
  );
  app.put(
    '/v2/integrations-sync/instances/:instance_id',
    {
      config: { action: 'instances:write' },
      bodyLimit: 64 * 1024,
      schema: {
        tags,
        params: InstanceParams,
        body: InstanceUpdate,
        response: syncErrors({ 200: Type.Object({ data: Instance }) }),
      },
    },
    async (request) => ({
      data: await instances.update(actorOf(request), request.params.instance_id, request.body),
    }),
  );
}
