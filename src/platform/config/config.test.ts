import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.js';
import { ConfigError, loadConfig } from './config.js';

const freshDir = () => tempDir('sightline-config');
const KEY = Buffer.alloc(32, 7).toString('base64');

/** The problems of the ConfigError that loading `env` throws. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const dataDir = freshDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir,
      databaseUrl: undefined,
      adminToken: undefined,
      publicUrl: undefined,
      logLevel: 'info',
      rateLimit: { max: 600, windowMs: 60_000 },
      bodyLimitBytes: 1_048_576,
      allowPrivateWebhookUrls: false,
      jobsPollMs: 500,
      shutdownGraceMs: 25_000,
      sqliteCacheMb: 16,
      demo: false,
      ingest: { guardShare: 0.3, guardMinActive: 20, idleMs: 1440 * 60_000, finishWaitMs: 30_000 },
    });
    expect(config.encryptionKey).toHaveLength(32);
  });

  it('reads and coerces the variables, treating empty ones as unset', () => {
    const config = loadConfig({
      DATA_DIR: freshDir(),
      PORT: '9090',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'warn',
      ALLOW_PRIVATE_WEBHOOK_URLS: 'true',
      SYNC_GUARD_SHARE: '0.5',
      SYNC_IDLE_MINUTES: '2',
      DATABASE_URL: 'postgresql://db.internal/sightline',
      SIGHTLINE_ENCRYPTION_KEY: KEY,
      SIGHTLINE_PUBLIC_URL: '',
      SQLITE_CACHE_MB: '64',
    });
    expect(config).toMatchObject({
      port: 9090,
      host: '0.0.0.0',
      logLevel: 'warn',
      allowPrivateWebhookUrls: true,
      databaseUrl: 'postgresql://db.internal/sightline',
      publicUrl: undefined,
      sqliteCacheMb: 64,
      ingest: { guardShare: 0.5, idleMs: 120_000 },
    });
    expect(config.encryptionKey.equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it('lists every bad variable at once, each once, naming the value it got', () => {
    const problems = problemsOf({
      DATA_DIR: freshDir(),
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      SIGHTLINE_ENCRYPTION_KEY: KEY,
      JOBS_POLL_MS: '5',
      SQLITE_CACHE_MB: '0',
    });
    expect(problems).toHaveLength(5);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: .*integer.*"abc"/),
        'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
        expect.stringMatching(/^DATABASE_URL: .*postgres.*"mysql:\/\/x"/),
        expect.stringMatching(/^JOBS_POLL_MS: must be >= 10/),
        expect.stringMatching(/^SQLITE_CACHE_MB: must be >= 1/),
      ]),
    );
    const bad = () => loadConfig({ DATA_DIR: freshDir(), PORT: 'abc' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/^Invalid configuration:\n {2}- PORT: /);
  });

  it('requires SIGHTLINE_ENCRYPTION_KEY with DATABASE_URL, also among other problems', () => {
    expect(problemsOf({ DATA_DIR: freshDir(), DATABASE_URL: 'postgres://db/sightline' })).toEqual([
      expect.stringMatching(/^SIGHTLINE_ENCRYPTION_KEY: required with DATABASE_URL/),
    ]);
    const problems = problemsOf({ DATA_DIR: freshDir(), DATABASE_URL: 'postgres://db/s', PORT: '70000' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'SIGHTLINE_ENCRYPTION_KEY']);
    expect(problemsOf({ SIGHTLINE_ENCRYPTION_KEY: 'too-short' })).toEqual([
      expect.stringMatching(/^SIGHTLINE_ENCRYPTION_KEY: must match pattern/),
    ]);
  });

  it('reads the S3 settings; half a credential pair or S3 options without a bucket are refused', () => {
    expect(loadConfig({ DATA_DIR: freshDir(), SIGHTLINE_ENCRYPTION_KEY: KEY }).s3).toBeUndefined();
    const config = loadConfig({
      DATA_DIR: freshDir(),
      SIGHTLINE_ENCRYPTION_KEY: KEY,
      S3_BUCKET: 'acme-files',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
    });
    expect(config.s3).toEqual({
      bucket: 'acme-files',
      prefix: '',
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    });
    expect(problemsOf({ DATA_DIR: freshDir(), S3_BUCKET: 'acme-files', S3_ACCESS_KEY_ID: 'id' })).toEqual([
      expect.stringMatching(/^S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both/),
    ]);
    expect(problemsOf({ DATA_DIR: freshDir(), S3_ENDPOINT: 'http://minio:9000' })).toEqual([
      'S3_ENDPOINT: needs S3_BUCKET',
    ]);
    expect(problemsOf({ DATA_DIR: freshDir(), S3_BUCKET: 'Bad_Bucket' })[0]).toMatch(
      /^S3_BUCKET: must match/,
    );
  });

  it('generates the embedded key file into DATA_DIR once and reuses it', () => {
    const dataDir = join(freshDir(), 'nested');
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = join(dataDir, 'encryption.key');
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first.encryptionKey)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.encryptionKey.equals(first.encryptionKey)).toBe(true);
    // An explicit key wins over the file.
    expect(
      loadConfig({ DATA_DIR: dataDir, SIGHTLINE_ENCRYPTION_KEY: KEY }).encryptionKey.equals(
        first.encryptionKey,
      ),
    ).toBe(false);
  });

  it('rejects a key file that does not hold 32 bytes', () => {
    const dataDir = freshDir();
    writeFileSync(join(dataDir, 'encryption.key'), 'c2hvcnQ=\n');
    expect(problemsOf({ DATA_DIR: dataDir })).toEqual([
      expect.stringMatching(/encryption\.key: must hold a base64 32-byte key/),
    ]);
  });
});
