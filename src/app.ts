import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { ingestAdminRoutes } from './api/admin/ingest.routes.js';
import { signedUploadsRoutes } from './api/admin/signed-uploads.routes.js';
import { tenantsRoutes } from './api/admin/tenants.routes.js';
import { tokensRoutes } from './api/admin/tokens.routes.js';
import { workflowsAdminRoutes } from './api/admin/workflows.routes.js';
import { createServer, type Server } from './api/http/server.js';
import { iamFace } from './api/iam/index.js';
import { manageFace } from './api/manage/index.js';
import { scimFace } from './api/scim/index.js';
import { syncFace } from './api/sync/index.js';
import { healthRoutes } from './api/system/health.routes.js';
import { type AppsService, createAppsService } from './modules/apps/apps.service.js';
import { type AuditList, createAuditList } from './modules/audit/audit-list.js';
import { createTokensService, type TokensService } from './modules/auth/tokens.service.js';
import { type ContractsService, createContractsService } from './modules/contracts/contracts.service.js';
import { createUsersList, type UsersList } from './modules/directory/users-list.js';
import { createOutboxRelay, type OutboxRelay } from './modules/events/outbox-relay.js';
import { createFieldsService, type FieldsService } from './modules/fields/fields.service.js';
import { createFilesService, type FilesService } from './modules/files/files.service.js';
import { createIamCatalogService, type IamCatalogService } from './modules/iam/iam-catalog.service.js';
import { createIamRolesService, type IamRolesService } from './modules/iam/iam-roles.service.js';
import { createParsingsService, type ParsingsService } from './modules/imports/parsings.service.js';
import {
  type CustomIntegrationSync,
  createCustomIntegrationSync,
} from './modules/ingest/custom-integration-sync.js';
import { createSyncsService, type SyncsService } from './modules/ingest/syncs.service.js';
import { createInstancesService, type InstancesService } from './modules/instances/instances.service.js';
import { createScimGroupsService, type ScimGroupsService } from './modules/scim/groups.service.js';
import { createScimUsersService, type ScimUsersService } from './modules/scim/users.service.js';
import { createTenantsService, type TenantsService } from './modules/tenants/tenants.service.js';
import { createWebhookDelivery, registerWebhookDelivery } from './modules/webhooks/delivery.js';
import { createWebhooksService, type WebhooksService } from './modules/webhooks/webhooks.service.js';
import { createExecutionsList, type ExecutionsList } from './modules/workflows/executions-list.js';
import { createWorkflowRunner } from './modules/workflows/workflow-runner.js';
import { createWorkflowsService, type WorkflowsService } from './modules/workflows/workflows.service.js';
import type { Config } from './platform/config/config.js';
import { openStore, type Store } from './platform/db/db.js';
import { createEmbeddedQueue } from './platform/jobs/embedded-queue.js';
import type { JobQueue } from './platform/jobs/jobs.js';
import { createPgBossQueue } from './platform/jobs/pgboss-queue.js';
import { createLogger, type Logger } from './platform/log/log.js';
import { createDiskStore } from './platform/storage/disk-store.js';
import { createS3Store } from './platform/storage/s3-store.js';

export interface Services {
  tenants: TenantsService;
  tokens: TokensService;
  instances: InstancesService;
  syncs: SyncsService;
  webhooks: WebhooksService;
  apps: AppsService;
  contracts: ContractsService;
  fields: FieldsService;
  usersList: UsersList;
  auditList: AuditList;
  scimUsers: ScimUsersService;
  scimGroups: ScimGroupsService;
  iamCatalog: IamCatalogService;
  iamRoles: IamRolesService;
  customSync: CustomIntegrationSync;
  files: FilesService;
  parsings: ParsingsService;
  workflows: WorkflowsService;
  executionsList: ExecutionsList;
}

export interface App {
  config: Config;
  log: Logger;
  store: Store;
  queue: JobQueue;
  outbox: OutboxRelay;
  services: Services;
  server: Server;
  /** Set on first start when no admin token was configured: print it once. */
  createdOwnerToken: string | undefined;
  /** Starts jobs, the outbox relay and the periodic sweeps (once). */
  startBackground(): Promise<void>;
  /**
   * Listens, after starting the background work unless `background` is false (an HTTP process of
   * a server with several: its primary runs that work). Returns the base URL.
   */
  listen(options?: { background?: boolean }): Promise<string>;
  /** Stops accepting requests, finishes in-flight requests and jobs, closes the database. */
  close(): Promise<void>;
}

/** The composition root: opens the store, migrates, builds modules, registers every face. */
export async function createApp(
  config: Config,
  options: {
    log?: Logger;
    webhookRetryScheduleMs?: readonly number[];
    workflowBackoffMs?: number;
    workflowRetryLimit?: number;
    /**
     * One HTTP process of several (`serve` with `HTTP_PROCESSES` > 1): its primary has migrated
     * and seeded the store, runs the jobs (`onJobQueued` tells it of a new one) and keeps the
     * rate-limit counts (`rateLimitStore`).
     */
    httpProcess?: { rateLimitStore: FastifyRateLimitStoreCtor; onJobQueued: () => void };
  } = {},
): Promise<App> {
  const log = options.log ?? createLogger(config.logLevel);
  const store = openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.sqliteLockWaitMs,
    cacheMb: config.sqliteCacheMb,
  });
  if (!options.httpProcess) await store.migrate();
  const { db } = store;

  const queue: JobQueue = config.databaseUrl
    ? createPgBossQueue({
        connectionString: config.databaseUrl,
        log,
        pollMs: config.jobsPollMs,
        onQueuedElsewhere: options.httpProcess?.onJobQueued,
      })
    : createEmbeddedQueue({
        db,
        log,
        pollMs: config.jobsPollMs,
        onQueuedElsewhere: options.httpProcess?.onJobQueued,
      });
  const outbox = createOutboxRelay({ db, log, pollMs: config.jobsPollMs });

  const webhookSettings = {
    encryptionKey: config.encryptionKey,
    allowPrivateUrls: config.allowPrivateWebhookUrls,
  };
  const instances = createInstancesService({ db });
  const syncs = createSyncsService({
    store,
    queue,
    log,
    settings: config.ingest,
    ...(store.dialect === 'sqlite'
      ? { sqliteWorker: { dataDir: config.dataDir, logLevel: config.logLevel } }
      : {}),
  });
  const customSync = createCustomIntegrationSync({ db, instances, syncs });
  const s3 = config.s3 ? await createS3Store(config.s3) : undefined;
  const files = createFilesService({
    db,
    blobs: s3 ?? createDiskStore(config.dataDir),
    settings: {
      key: config.encryptionKey,
      maxUploadBytes: config.uploads.maxBytes,
      uploadUrlTtlMs: config.uploads.urlTtlMs,
    },
  });
  const scimUsers = createScimUsersService({ db, dialect: store.dialect });
  const scimGroups = createScimGroupsService({ db, dialect: store.dialect });
  const services: Services = {
    tenants: createTenantsService({ db }),
    tokens: createTokensService({ db, changeStamp: store.changeStamp }),
    instances,
    syncs,
    webhooks: createWebhooksService({ db, ...webhookSettings }),
    apps: createAppsService({ db, dialect: store.dialect }),
    contracts: createContractsService({ db, dialect: store.dialect }),
    fields: createFieldsService({ db, dialect: store.dialect }),
    usersList: createUsersList({ db, dialect: store.dialect }),
    auditList: createAuditList({ db, dialect: store.dialect }),
    scimUsers,
    scimGroups,
    iamCatalog: createIamCatalogService({ db, dialect: store.dialect }),
    iamRoles: createIamRolesService({ db, dialect: store.dialect }),
    customSync,
    files,
    parsings: createParsingsService({ db, files, syncs, customSync, queue, log }),
    workflows: createWorkflowsService({ db, ...webhookSettings, scimUsers, scimGroups }),
    executionsList: createExecutionsList({ db, dialect: store.dialect }),
  };
  const workflowRunner = createWorkflowRunner({
    db,
    queue,
    log,
    ...webhookSettings,
    scimGroups,
    publicUrl: config.publicUrl,
    backoffMs: options.workflowBackoffMs,
    retryLimit: options.workflowRetryLimit,
  });
  workflowRunner.register();
  outbox.subscribe(workflowRunner.fanOut);
  registerWebhookDelivery(
    createWebhookDelivery({
      db,
      queue,
      log,
      ...webhookSettings,
      retryScheduleMs: options.webhookRetryScheduleMs,
    }),
    { queue, outbox },
  );
  const { createdToken } = options.httpProcess
    ? { createdToken: undefined }
    : await services.tenants.bootstrap(config.adminToken);

  const server = await createServer({
    log,
    tokens: services.tokens,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit: config.rateLimit,
    rateLimitStore: options.httpProcess?.rateLimitStore,
  });
  await healthRoutes(server, { store });
  await tokensRoutes(server, services);
  await tenantsRoutes(server, services);
  await workflowsAdminRoutes(server, services);
  await ingestAdminRoutes(server, services);
  await syncFace(server, services);
  await manageFace(server, {
    ...services,
    usersRateLimit: config.manage.usersRateLimit,
    publicUrl: config.publicUrl,
  });
  await signedUploadsRoutes(server, services);
  await scimFace(server, { ...services, publicUrl: config.publicUrl });
  await iamFace(server, services);
  await server.ready();

  let closing: Promise<void> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  async function startBackground(): Promise<void> {
    if (idleTimer) return;
    idleTimer = setInterval(() => {
      void services.syncs.expireIdle().catch((err: unknown) => log.error({ err }, 'idle sync expiry failed'));
      void services.files
        .sweepUnused()
        .catch((err: unknown) => log.error({ err }, 'unused upload sweep failed'));
    }, 60_000);
    idleTimer.unref();
    await queue.start();
    outbox.start();
  }

  return {
    config,
    log,
    store,
    queue,
    outbox,
    services,
    server,
    createdOwnerToken: createdToken,
    startBackground,
    async listen(listenOptions = {}) {
      if (listenOptions.background !== false) await startBackground();
      return server.listen({ port: config.port, host: config.host });
    },
    close() {
      closing ??= (async () => {
        if (idleTimer) clearInterval(idleTimer);
        // A keep-alive connection whose request finishes after close() began would hold the server
        // open until its keep-alive timeout: close each connection as soon as it is idle.
        const sweep = setInterval(() => server.server.closeIdleConnections(), 50);
        await server.close().finally(() => clearInterval(sweep));
        await outbox.stop();
        await queue.stop();
        await syncs.close();
        await store.close();
        s3?.close();
      })();
      return closing;
    },
  };
}
