import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestApp } from './helpers/app.js';
import { testDb } from './helpers/db.js';

describe.skipIf(testDb !== 'sqlite')('SQLITE_CACHE_MB', () => {
  it("sizes the page cache of the server's connection", async () => {
    const cacheOf = async (env: Record<string, string>) => {
      const t = await startTestApp(env);
      try {
        const { rows } = await sql.raw('pragma cache_size').execute(t.app.store.db);
        return Object.values(rows[0] as object)[0];
      } finally {
        await t.close();
      }
    };
    expect(await cacheOf({})).toBe(-16 * 1024);
    expect(await cacheOf({ SQLITE_CACHE_MB: '48' })).toBe(-48 * 1024);
  });
});
