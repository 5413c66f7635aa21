#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { type App, createApp } from './app.js';
import { formatResult, push } from './cli/push.js';
import { formatDemoSummary, serve } from './cli/serve.js';
import { systemActor } from './modules/auth/actor.js';
import { expiryInstant } from './modules/auth/tokens.service.js';
import { generateDemo } from './modules/demo/demo.service.js';
import { factEntities, snapshotEntities } from './modules/ingest/records.schema.js';
import { ConfigError, loadConfig } from './platform/config/config.js';
import { openStore } from './platform/db/db.js';
import { createLogger } from './platform/log/log.js';

const program = new Command();
program.name('sightline').description('Sightline: the system of record for your SaaS estate');

function config() {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** Opens the app without listening, for one-shot commands; logs only warnings. */
async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const cfg = config();
  const app = await createApp(cfg, { log: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

async function tenantActor(app: App, tenant?: string) {
  const found = tenant ? await app.services.tenants.find(tenant) : await app.services.tenants.find('default');
  if (!found) throw new Error(`No tenant '${tenant ?? 'default'}'`);
  return systemActor(found.id, 'cli');
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

/** A token name as the API takes it: 1 to 200 characters. */
function tokenName(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('the name must not be empty');
  if (value.length > 200) throw new InvalidArgumentError('the name must be at most 200 characters');
  return value;
}

/** `--expires-at`: the token service's own check and UTC form (`expiryInstant`), as a CLI error. */
function expiryTime(value: string): string {
  try {
    return expiryInstant(value);
  } catch {
    throw new InvalidArgumentError(
      'expected an ISO 8601 date-time with a time zone, e.g. 2027-01-01T00:00:00Z or 2027-01-01T09:00:00+02:00',
    );
  }
}

program
  .command('serve')
  .description('Migrate the database and start the server')
  .option('--demo', 'fill the default tenant with demo data if it has no people yet (env DEMO=true)')
  .action((opts: { demo?: boolean }) => serve(config(), opts));

program
  .command('migrate')
  .description('Apply pending database migrations')
  .action(async () => {
    const cfg = config();
    const store = openStore({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
    try {
      const applied = await store.migrate();
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Schema is up to date\n');
    } finally {
      await store.close();
    }
  });

const token = program.command('token').description('Manage API tokens');
token
  .command('create')
  .description('Create an API token and print its secret (shown once)')
  .requiredOption('--role <role>', 'owner, admin, viewer, integration, provisioning or a custom role')
  .option('--name <name>', 'a name to recognise the token by', tokenName, 'cli')
  .option('--tenant <tenant>', 'tenant slug or id (default: the default tenant)')
  .option('--expires-at <iso>', 'expiry time: ISO 8601 date-time with a time zone', expiryTime)
  .action(async (opts: { role: string; name: string; tenant?: string; expiresAt?: string }) => {
    await withApp(async (app) => {
      const actor = await tenantActor(app, opts.tenant);
      const { token: secret, info } = await app.services.tokens.create(actor, {
        name: opts.name,
        role: opts.role,
        expiresAt: opts.expiresAt ?? null,
      });
      process.stdout.write(`${secret}\n`);
      process.stderr.write(
        `Created token ${info.id} (${info.name}, role ${info.role}). Store the secret now.\n`,
      );
    });
  });

const instance = program.command('instance').description('Manage integration instances');
instance
  .command('create')
  .description('Create a custom-integration instance for an app (the app is created if new); prints its id')
  .requiredOption('--app <name>', 'the app this instance connects')
  .option('--name <name>', 'instance name (default: the app name)')
  .option('--tenant <tenant>', 'tenant slug or id (default: the default tenant)')
  .action(async (opts: { app: string; name?: string; tenant?: string }) => {
    await withApp(async (app) => {
      const actor = await tenantActor(app, opts.tenant);
      const created = await app.services.instances.create(actor, {
        appName: opts.app,
        ...(opts.name ? { name: opts.name } : {}),
      });
      process.stdout.write(`${created.id}\n`);
      process.stderr.write(`Created instance ${created.id} of ${created.app_name}.\n`);
    });
  });

program
  .command('demo')
  .description('Fill a tenant with a deterministic demo organization (refused if it already has people)')
  .option('--tenant <tenant>', 'tenant slug or id', 'default')
  .option('--seed <n>', 'random seed: the same seed gives the same organization', wholeNumber, 42)
  .option('--people <n>', 'number of people (default 500)', wholeNumber)
  .option('--apps <n>', 'number of apps (default 60)', wholeNumber)
  .action(async (opts: { tenant: string; seed: number; people?: number; apps?: number }) => {
    await withApp(async (app) => {
      const tenant = await app.services.tenants.find(opts.tenant);
      if (!tenant) throw new Error(`No tenant '${opts.tenant}'`);
      const { seed, people, apps } = opts;
      const summary = await generateDemo(app.store.db, tenant.id, { seed, people, apps });
      process.stdout.write(formatDemoSummary(tenant.slug, summary));
    });
  });

program
  .command('push')
  .description('Push a CSV, JSON or NDJSON file to a running server through the /v2 push-sync API')
  .argument('<file>', 'records: CSV with a header row, a JSON array, or NDJSON')
  .requiredOption('--instance <id>', 'instance id')
  .requiredOption('--entity <entity>', `snapshot entity: ${snapshotEntities.join(', ')}`)
  .option('--facts', `send as fact data (${factEntities.join(', ')}) instead of a snapshot`)
  .option(
    '--url <url>',
    'server URL (env SIGHTLINE_URL)',
    process.env.SIGHTLINE_URL ?? 'http://localhost:8080',
  )
  .option(
    '--token <token>',
    'API token with the integration role (env SIGHTLINE_TOKEN)',
    process.env.SIGHTLINE_TOKEN,
  )
  .option('--page-size <n>', 'records per page (at most 1000)', '1000')
  .option('--no-progress', 'no progress bar')
  .action(
    async (
      file: string,
      opts: {
        instance: string;
        entity: string;
        facts?: boolean;
        url: string;
        token?: string;
        pageSize: string;
        progress: boolean;
      },
    ) => {
      if (!opts.token) throw new Error('--token (or SIGHTLINE_TOKEN) is required');
      const pageSize = Number(opts.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
        throw new Error('--page-size must be 1 to 1000');
      const result = await push({
        url: opts.url,
        token: opts.token,
        instance: opts.instance,
        entity: opts.entity,
        file,
        kind: opts.facts ? 'facts' : 'snapshots',
        pageSize,
        progress: opts.progress && process.stderr.isTTY === true,
      });
      process.stdout.write(formatResult(result));
      if (result.status !== 'finished') process.exitCode = 1;
    },
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
