import type { AppsService } from '../../modules/apps/apps.service.js';
import { actorOf, type Server } from '../http/server.js';
import { App, AppCreate, AppParams, AppUpdate } from './apps.schema.js';
import { ListQuery, manageErrors, Page } from './common.schema.js';
import { VersionHeaders } from './versions.js';

/** `/apps` (the contract's list) and Sightline's native app get, create, update and close. */
export async function appsRoutes(
  app: Server,
  { apps }: { apps: AppsService },
  prefix: string,
): Promise<void> {
  const tags = ['manage'];
  const headers = VersionHeaders;
  app.get(
    `${prefix}/apps`,
    {
      config: { action: 'apps:read' },
      schema: { tags, headers, querystring: ListQuery, response: manageErrors({ 200: Page(App) }) },
    },
    async (request) => apps.list(actorOf(request), request.query),
  );
  app.get(
    `${prefix}/apps/:idApp`,
    {
      config: { action: 'apps:read' },
      schema: { tags, headers, params: AppParams, response: manageErrors({ 200: App }) },
    },
    async (request) => apps.get(actorOf(request), request.params.idApp),
  );
  app.post(
    `${prefix}/apps`,
    {
      config: { action: 'apps:write' },
      bodyLimit: 64 * 1024,
      schema: { tags, headers, body: AppCreate, response: manageErrors({ 201: App }) },
    },
    async (request, reply) => reply.status(201).send(await apps.create(actorOf(request), request.body)),
  );
  app.put(
    `${prefix}/apps/:idApp`,
    {
      config: { action: 'apps:write' },
      bodyLimit: 64 * 1024,
      schema: { tags, headers, params: AppParams, body: AppUpdate, response: manageErrors({ 200: App }) },
    },
    async (request) => apps.update(actorOf(request), request.params.idApp, request.body),
  );
  app.post(
    `${prefix}/apps/:idApp/close`,
    {
      config: { action: 'apps:write' },
      schema: { tags, headers, params: AppParams, response: manageErrors({ 200: App }) },
    },
    async (request) => apps.close(actorOf(request), request.params.idApp),
  );
}
