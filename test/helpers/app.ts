import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { freshStoreEnv } from './db.js';

export interface TestApp {
  app: App;
  /** Owner token of the default (system) tenant. */
  ownerToken: string;
  env: Record<string, string>;
  /** Fastify inject with an optional bearer token; JSON bodies are sent as JSON. */
  request(options: InjectOptions & { token?: string | undefined }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** Starts Sightline in-process on a fresh store (SQLite or PostgreSQL, per the test project). */
export async function startTestApp(
  extraEnv: Record<string, string> = {},
  existing?: Record<string, string>,
  appOptions: Parameters<typeof createApp>[1] = {},
): Promise<TestApp> {
  const ownerToken = `sl_${randomBytes(32).toString('base64url')}`;
  const env: Record<string, string> = existing ?? {
    ...(await freshStoreEnv()),
    SIGHTLINE_ADMIN_TOKEN: ownerToken,
    SIGHTLINE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    JOBS_POLL_MS: '50',
    ALLOW_PRIVATE_WEBHOOK_URLS: 'true',
    ...extraEnv,
  };
  const app = await createApp(loadConfig(env), appOptions);
  return {
    app,
    ownerToken: env.SIGHTLINE_ADMIN_TOKEN ?? ownerToken,
    env,
    async request({ token, ...options }) {
      const headers = { ...(options.headers ?? {}) };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await app.server.inject({ ...options, headers });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        json: <T>() => JSON.parse(response.body) as T,
      };
    },
    close: () => app.close(),
  };
}

/** Creates a token with the given role through the API and returns its secret. */
export async function createToken(t: TestApp, role: string, asToken = t.ownerToken): Promise<string> {
  const response = await t.request({
    method: 'POST',
    url: '/api/tokens',
    token: asToken,
    payload: { name: `${role}-token`, role },
  });
  if (response.statusCode !== 201)
    throw new Error(`token create failed: ${response.statusCode} ${response.body}`);
  return response.json<{ token: string }>().token;
}

/** Creates another tenant through the API (as the first tenant's owner); returns its owner token. */
export async function createTenant(t: TestApp, name: string, slug?: string): Promise<string> {
  const response = await t.request({
    method: 'POST',
    url: '/api/tenants',
    token: t.ownerToken,
    payload: slug === undefined ? { name } : { name, slug },
  });
  if (response.statusCode !== 201)
    throw new Error(`tenant create failed: ${response.statusCode} ${response.body}`);
  return response.json<{ ownerToken: string }>().ownerToken;
}

/** Creates an instance of a new or existing app (by name) through the API; returns its id. */
export async function createInstance(t: TestApp, appName: string): Promise<string> {
  const response = await t.request({
    method: 'POST',
    url: '/api/instances',
    token: t.ownerToken,
    payload: { appName },
  });
  if (response.statusCode !== 201)
    throw new Error(`instance create failed: ${response.statusCode} ${response.body}`);
  return response.json<{ data: { id: string } }>().data.id;
}

/** The id of the system (default) tenant, whose owner token is `t.ownerToken`. */
export async function systemTenantId(t: TestApp): Promise<string> {
  const tenant = await t.app.store.db
    .selectFrom('tenants')
    .select('id')
    .where('is_system', '=', 1)
    .executeTakeFirstOrThrow();
  return tenant.id;
}
