import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import type { S3Settings } from '../storage/s3-store.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const ENCRYPTION_KEY_REQUIRED =
  'SIGHTLINE_ENCRYPTION_KEY: required with DATABASE_URL (32 bytes, base64; e.g. `openssl rand -base64 32`)';

/** Environment variables Sightline reads, with their defaults. Documented in the README. */
const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HTTP_PROCESSES: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  SIGHTLINE_ADMIN_TOKEN: Type.Optional(Type.String({ pattern: '^sl_[A-Za-z0-9_-]{20,}$' })),
  SIGHTLINE_ENCRYPTION_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' })),
  SIGHTLINE_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  // An enum rather than a union of literals: one readable error that lists the allowed values.
  LOG_LEVEL: Type.Unsafe<(typeof LOG_LEVELS)[number]>(
    Type.String({ enum: [...LOG_LEVELS], default: 'info' }),
  ),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 600 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  ALLOW_PRIVATE_WEBHOOK_URLS: Type.Boolean({ default: false }),
  JOBS_POLL_MS: Type.Integer({ minimum: 10, default: 500 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 25_000 }),
  SQLITE_LOCK_WAIT_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 30_000 }),
  SQLITE_CACHE_MB: Type.Integer({ minimum: 1, maximum: 65_536, default: 16 }),
  DEMO: Type.Boolean({ default: false }),
  SYNC_GUARD_SHARE: Type.Number({ minimum: 0, maximum: 1, default: 0.3 }),
  SYNC_GUARD_MIN_ACTIVE: Type.Integer({ minimum: 0, default: 20 }),
  SYNC_IDLE_MINUTES: Type.Integer({ minimum: 1, default: 1440 }),
  SYNC_FINISH_WAIT_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 30_000 }),
  MANAGE_USERS_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 100 }),
  MANAGE_USERS_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  UPLOADS_MAX_BYTES: Type.Integer({ minimum: 1024, default: 104_857_600 }),
  UPLOAD_URL_TTL_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  S3_BUCKET: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' })),
  S3_PREFIX: Type.String({ maxLength: 500, default: '' }),
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: false }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
});
type Env = Static<typeof EnvSchema>;

export interface Config {
  port: number;
  /** Processes answering HTTP (`serve`); with more than one, a primary process runs jobs. */
  httpProcesses: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  /** 32-byte key for AES-256-GCM encryption of secrets at rest. */
  encryptionKey: Buffer;
  publicUrl: string | undefined;
  logLevel: string;
  rateLimit: { max: number; windowMs: number };
  bodyLimitBytes: number;
  allowPrivateWebhookUrls: boolean;
  jobsPollMs: number;
  /** How long a stop (SIGTERM, SIGINT) waits for in-flight requests and jobs before exiting anyway. */
  shutdownGraceMs: number;
  /** SQLite: how long a write waits for another connection's write lock before a 503. */
  sqliteLockWaitMs: number;
  /** SQLite: the page cache of the server's connection, in MiB. */
  sqliteCacheMb: number;
  demo: boolean;
  ingest: { guardShare: number; guardMinActive: number; idleMs: number; finishWaitMs: number };
  /** The management face: `/users` has its own per-key budget (Torii documents 100/minute). */
  manage: { usersRateLimit: { max: number; windowMs: number } };
  /** Signed upload URLs (`GET /v1.x/files/url`): largest file and how long a URL stays valid. */
  uploads: { maxBytes: number; urlTtlMs: number };
  /** File contents in an S3-compatible bucket instead of DATA_DIR (undefined: DATA_DIR). */
  s3: S3Settings | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true });
const validateEnv = ajv.compile<Env>(EnvSchema);

/**
 * Reads and validates the configuration from environment variables. Every problem is reported
 * at once in a ConfigError. In embedded mode a missing encryption key is generated into DATA_DIR.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const problems = new Map<string, string>();
  if (!validateEnv(input)) {
    for (const e of validateEnv.errors ?? []) {
      const field = e.instancePath.replace(/^\//, '') || String(e.params.missingProperty ?? '');
      const allowed =
        e.keyword === 'enum' ? `must be one of ${e.params.allowedValues.join(', ')}` : undefined;
      // One problem per variable: the first error names it best.
      if (!problems.has(field))
        problems.set(
          field,
          `${field}: ${allowed ?? e.message ?? 'is invalid'} (got ${JSON.stringify(input[field])})`,
        );
    }
  }
  if (input.DATABASE_URL && !input.SIGHTLINE_ENCRYPTION_KEY)
    problems.set('SIGHTLINE_ENCRYPTION_KEY', ENCRYPTION_KEY_REQUIRED);
  if (!input.S3_ACCESS_KEY_ID !== !input.S3_SECRET_ACCESS_KEY)
    problems.set(
      'S3_ACCESS_KEY_ID',
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both, or neither to use the default AWS credential chain',
    );
  for (const key of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_PREFIX'])
    if (input[key] && !input.S3_BUCKET) problems.set(key, `${key}: needs S3_BUCKET`);
  if (problems.size > 0) throw new ConfigError([...problems.values()]);
  const parsed = input as unknown as Env;
  const dataDir = resolve(parsed.DATA_DIR);
  const encryptionKey = parsed.SIGHTLINE_ENCRYPTION_KEY
    ? Buffer.from(parsed.SIGHTLINE_ENCRYPTION_KEY, 'base64')
    : loadOrCreateKeyFile(dataDir);
  return {
    port: parsed.PORT,
    httpProcesses: parsed.HTTP_PROCESSES,
    host: parsed.HOST,
    dataDir,
    databaseUrl: parsed.DATABASE_URL,
    adminToken: parsed.SIGHTLINE_ADMIN_TOKEN,
    encryptionKey,
    publicUrl: parsed.SIGHTLINE_PUBLIC_URL,
    logLevel: parsed.LOG_LEVEL,
    rateLimit: { max: parsed.RATE_LIMIT_MAX, windowMs: parsed.RATE_LIMIT_WINDOW_MS },
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    allowPrivateWebhookUrls: parsed.ALLOW_PRIVATE_WEBHOOK_URLS,
    jobsPollMs: parsed.JOBS_POLL_MS,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    sqliteLockWaitMs: parsed.SQLITE_LOCK_WAIT_MS,
    sqliteCacheMb: parsed.SQLITE_CACHE_MB,
    demo: parsed.DEMO,
    ingest: {
      guardShare: parsed.SYNC_GUARD_SHARE,
      guardMinActive: parsed.SYNC_GUARD_MIN_ACTIVE,
      idleMs: parsed.SYNC_IDLE_MINUTES * 60_000,
      finishWaitMs: parsed.SYNC_FINISH_WAIT_MS,
    },
    uploads: { maxBytes: parsed.UPLOADS_MAX_BYTES, urlTtlMs: parsed.UPLOAD_URL_TTL_SECONDS * 1000 },
    s3: parsed.S3_BUCKET
      ? {
          bucket: parsed.S3_BUCKET,
          prefix: parsed.S3_PREFIX,
          region: parsed.S3_REGION,
          endpoint: parsed.S3_ENDPOINT,
          forcePathStyle: parsed.S3_FORCE_PATH_STYLE,
          credentials:
            parsed.S3_ACCESS_KEY_ID && parsed.S3_SECRET_ACCESS_KEY
              ? { accessKeyId: parsed.S3_ACCESS_KEY_ID, secretAccessKey: parsed.S3_SECRET_ACCESS_KEY }
              : undefined,
        }
      : undefined,
    manage: {
      usersRateLimit: {
        max: parsed.MANAGE_USERS_RATE_LIMIT_MAX,
        windowMs: parsed.MANAGE_USERS_RATE_LIMIT_WINDOW_MS,
      },
    },
  };
}

function loadOrCreateKeyFile(dataDir: string): Buffer {
  const path = join(dataDir, 'encryption.key');
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32)
      throw new ConfigError([`${path}: must hold a base64 32-byte key (it holds ${key.length} bytes)`]);
    return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = crypto.getRandomValues(new Uint8Array(32));
  writeFileSync(path, `${Buffer.from(key).toString('base64')}\n`, { mode: 0o600 });
  return Buffer.from(key);
}

/** The documented variables, for the README and `sightline config`. */
export const configVariables = Object.keys(EnvSchema.properties);
