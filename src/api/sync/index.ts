import type { SyncsService } from '../../modules/ingest/syncs.service.js';
import type { InstancesService } from '../../modules/instances/instances.service.js';
import type { WebhooksService } from '../../modules/webhooks/webhooks.service.js';
import { registerFaceErrors, type Server } from '../http/server.js';
import { renderSyncError } from './errors.js';
import { instancesRoutes } from './instances.routes.js';
import { syncsRoutes } from './syncs.routes.js';
import { webhooksRoutes } from './webhooks.routes.js';

/** The push-sync face (Zluri v2, under `/v2`): its error format and its routes. */
export async function syncFace(
  server: Server,
  deps: { instances: InstancesService; syncs: SyncsService; webhooks: WebhooksService },
): Promise<void> {
  registerFaceErrors('/v2', renderSyncError);
  await instancesRoutes(server, deps);
  await syncsRoutes(server, deps);
  await webhooksRoutes(server, deps);
}
