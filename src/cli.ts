#!/usr/bin/env node
import { Command } from 'commander';
import { type App, createApp } from './app.js';
import { systemActor } from './modules/auth/actor.js';
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

program
  .command('serve')
  .description('Migrate the database and start the server')
  .action(async () => {
    const cfg = config();
    const app = await createApp(cfg);
    const url = await app.listen();
    const publicUrl = cfg.publicUrl ?? url.replace('http://127.0.0.1', 'http://localhost');
    if (app.createdOwnerToken) {
      process.stdout.write(
        `\nSightline is running at ${publicUrl} (API docs: ${publicUrl}/docs)\n` +
          `First start: created the default tenant. Its owner token, shown only this once:\n\n` +
          `    ${app.createdOwnerToken}\n\n` +
          `Use it as: curl -H "Authorization: Bearer <token>" ${publicUrl}/api/tenant\n\n`,
      );
    } else {
      process.stdout.write(`Sightline is running at ${publicUrl} (API docs: ${publicUrl}/docs)\n`);
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down: finishing in-flight requests and jobs');
      await app.close();
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });

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
  .option('--name <name>', 'a name to recognise the token by', 'cli')
  .option('--tenant <tenant>', 'tenant slug or id (default: the default tenant)')
  .option('--expires-at <iso>', 'expiry time (ISO-8601)')
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

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
