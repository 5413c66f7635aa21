import multipart from '@fastify/multipart';
import type { AppsService } from '../../modules/apps/apps.service.js';
import type { AuditList } from '../../modules/audit/audit-list.js';
import type { ContractsService } from '../../modules/contracts/contracts.service.js';
import type { UsersList } from '../../modules/directory/users-list.js';
import type { FieldsService } from '../../modules/fields/fields.service.js';
import type { FilesService } from '../../modules/files/files.service.js';
import type { ParsingsService } from '../../modules/imports/parsings.service.js';
import type { CustomIntegrationSync } from '../../modules/ingest/custom-integration-sync.js';
import type { ExecutionsList } from '../../modules/workflows/executions-list.js';
import { rateLimitError, registerFaceErrors, type Server } from '../http/server.js';
import { appsRoutes } from './apps.routes.js';
import { auditRoutes } from './audit.routes.js';
import { contractsRoutes } from './contracts.routes.js';
import { renderManageError } from './errors.js';
import { fieldsRoutes } from './fields.routes.js';
import { fileParsingsRoutes } from './file-parsings.routes.js';
import { fileUploadsRoutes } from './file-uploads.routes.js';
import { metadataRoutes } from './metadata.routes.js';
import { servicesSyncRoutes } from './services-sync.routes.js';
import { usersRoutes } from './users.routes.js';
import { managePrefixes, versionOf } from './versions.js';
import { workflowsRoutes } from './workflows.routes.js';

export interface ManageDeps {
  apps: AppsService;
  contracts: ContractsService;
  fields: FieldsService;
  usersList: UsersList;
  auditList: AuditList;
  customSync: CustomIntegrationSync;
  files: FilesService;
  parsings: ParsingsService;
  executionsList: ExecutionsList;
  publicUrl: string | undefined;
  /** `/users` budget per key (the contract documents 100 requests per minute). */
  usersRateLimit: { max: number; windowMs: number };
}

/**
 * The Torii-compatible management face: the same routes under `/v1.0` and `/v1.1`, errors as
 * `{error, message}`, and the version in effect (X-API-Version header, else the prefix) echoed
 * in the `X-API-Version` response header.
 */
export async function manageFace(server: Server, deps: ManageDeps): Promise<void> {
  // A callback hook, not an async one: it runs on every response of every face.
  server.addHook('onSend', (request, reply, payload, done) => {
    if (managePrefixes.some((p) => request.url.startsWith(`${p}/`))) {
      const version = versionOf(request);
      if (version) reply.header('x-api-version', version);
    }
    done(null, payload);
  });
  // Multipart bodies (file uploads); each route sets its own size limit.
  await server.register(multipart);
  // One `/users` budget per key across `/v1.0` and `/v1.1` (a route's own limit would get a store each).
  const usersLimit = server.rateLimit({
    max: deps.usersRateLimit.max,
    timeWindow: deps.usersRateLimit.windowMs,
    errorResponseBuilder: rateLimitError(deps.usersRateLimit.windowMs),
  });
  for (const prefix of managePrefixes) {
    registerFaceErrors(prefix, renderManageError);
    await appsRoutes(server, deps, prefix);
    await metadataRoutes(server, deps, prefix);
    await usersRoutes(server, { ...deps, usersLimit }, prefix);
    await contractsRoutes(server, deps, prefix);
    await auditRoutes(server, deps, prefix);
    await fieldsRoutes(server, deps, prefix);
    await servicesSyncRoutes(server, deps, prefix);
    await fileUploadsRoutes(server, deps, prefix);
    await fileParsingsRoutes(server, deps, prefix);
    await workflowsRoutes(server, deps, prefix);
  }
}
