import { Type } from '@sinclair/typebox';
import type { TenantsService } from '../../modules/tenants/tenants.service.js';
import { actorOf, type Server } from '../http/server.js';
import { withErrors } from './schemas.js';

const Tenant = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  domains: Type.Array(Type.String()),
  isSystem: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const Domains = Type.Array(Type.String({ minLength: 3, maxLength: 253 }), { maxItems: 100 });

const CreateTenantBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    domains: Type.Optional(Domains),
  },
  { additionalProperties: false },
);

const UpdateTenantBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), domains: Type.Optional(Domains) },
  { additionalProperties: false, minProperties: 1 },
);

/** `/api/tenants`: every tenant (system tenant's owners only) and the caller's own tenant. */
export async function tenantsRoutes(app: Server, { tenants }: { tenants: TenantsService }): Promise<void> {
  app.post(
    '/api/tenants',
    {
      config: { action: 'tenants:admin' },
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['admin'],
        body: CreateTenantBody,
        response: withErrors({
          201: Type.Object({ tenant: Tenant, ownerToken: Type.String() }),
          409: Type.Unknown(),
        }),
      },
    },
    async (request, reply) => reply.status(201).send(await tenants.create(actorOf(request), request.body)),
  );

  app.get(
    '/api/tenants',
    {
      config: { action: 'tenants:admin' },
      schema: {
        tags: ['admin'],
        response: withErrors({ 200: Type.Object({ tenants: Type.Array(Tenant) }) }),
      },
    },
    async (request) => ({ tenants: await tenants.list(actorOf(request)) }),
  );

  app.get(
    '/api/tenant',
    {
      config: { action: 'tenants:read' },
      schema: { tags: ['admin'], response: withErrors({ 200: Tenant }) },
    },
    async (request) => tenants.getCurrent(actorOf(request)),
  );

  app.patch(
    '/api/tenant',
    {
      config: { action: 'tenants:write' },
      bodyLimit: 16 * 1024,
      schema: { tags: ['admin'], body: UpdateTenantBody, response: withErrors({ 200: Tenant }) },
    },
    async (request) => tenants.updateCurrent(actorOf(request), request.body),
  );
}
