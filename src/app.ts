import { ingestAdminRoutes } from './api/admin/ingest.routes.js';
import { tenantsRoutes } from './api/admin/tenants.routes.js';
import { tokensRoutes } from './api/admin/tokens.routes.js';
import { createServer, registerFaceErrors, type Server } from './api/http/server.js';
import { renderSyncError } from './api/sync/errors.js';
import { instancesRoutes } from './api/sync/instances.routes.js';
import { syncsRoutes } from './api/sync/syncs.routes.js';
import { healthRoutes } from './api/system/health.routes.js';
import { createTokensService, type TokensService } from './modules/auth/tokens.service.js';
import { createOutboxRelay, type OutboxRelay } from './modules/events/outbox-relay.js';
import { createSyncsService, type SyncsService } from './modules/ingest/syncs.service.js';
import { createInstancesService, type InstancesService } from './modules/instances/instances.service.js';
import { createTenantsService, type TenantsService } from './modules/tenants/tenants.service.js';
import type { Config } from './platform/config/config.js';
import { openStore, type Store } from './platform/db/db.js';
import { createEmbeddedQueue } from './platform/jobs/embedded-queue.js';
import type { JobQueue } from './platform/jobs/jobs.js';
import { createPgBossQueue } from './platform/jobs/pgboss-queue.js';
import { createLogger, type Logger } from './platform/log/log.js';

export interface Services {
  tenants: TenantsService;
  tokens: TokensService;
  instances: InstancesService;
  syncs: SyncsService;
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
  /** Starts jobs and the outbox relay, then listens. Returns the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, finishes in-flight requests and jobs, closes the database. */
  close(): Promise<void>;
}

/** The composition root: opens the store, migrates, builds modules, registers every face. */
export async function createApp(config: Config, options: { log?: Logger } = {}): Promise<App> {
  const log = options.log ?? createLogger(config.logLevel);
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await store.migrate();
  const { db } = store;

  const queue: JobQueue = config.databaseUrl
    ? createPgBossQueue({ connectionString: config.databaseUrl, log, pollMs: config.jobsPollMs })
    : createEmbeddedQueue({ db, log, pollMs: config.jobsPollMs });
  const outbox = createOutboxRelay({ db, log, pollMs: config.jobsPollMs });

  const services: Services = {
    tenants: createTenantsService({ db }),
    tokens: createTokensService({ db }),
    instances: createInstancesService({ db }),
    syncs: createSyncsService({
      store,
      queue,
      log,
      settings: config.ingest,
      ...(store.dialect === 'sqlite'
        ? { sqliteWorker: { dataDir: config.dataDir, logLevel: config.logLevel } }
        : {}),
    }),
  };
  const { createdToken } = await services.tenants.bootstrap(config.adminToken);

  const server = await createServer({
    log,
    tokens: services.tokens,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit: config.rateLimit,
  });
  await healthRoutes(server, { store });
  await tokensRoutes(server, services);
  await tenantsRoutes(server, services);
  await ingestAdminRoutes(server, services);
  registerFaceErrors('/v2', renderSyncError);
  await instancesRoutes(server, services);
  await syncsRoutes(server, services);
  await server.ready();

  let closing: Promise<void> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  return {
    config,
    log,
    store,
    queue,
    outbox,
    services,
    server,
    createdOwnerToken: createdToken,
    async listen() {
      await queue.start();
      outbox.start();
      idleTimer = setInterval(
        () =>
          void services.syncs
            .expireIdle()
            .catch((err: unknown) => log.error({ err }, 'idle sync expiry failed')),
        60_000,
      );
      idleTimer.unref();
      return server.listen({ port: config.port, host: config.host });
    },
    close() {
      closing ??= (async () => {
        if (idleTimer) clearInterval(idleTimer);
        await server.close();
        await outbox.stop();
        await queue.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
