import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { testDb } from './helpers/db.js';
import { sleep } from './helpers/net.js';
import { scim, userBody } from './helpers/scim.js';

// Another connection holding SQLite's write lock: the sync apply worker, or a CLI in another process.
describe.skipIf(testDb !== 'sqlite')('SQLite write lock held by another connection', () => {
  let t: TestApp;
  let token: string;
  let userId: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await createToken(t, 'provisioning');
    const created = await scim(t, token, 'POST', '/Users', userBody('first@example.com'));
    userId = created.json<{ id: string }>().id;
  });
  afterAll(() => t.close());

  it('a write waits for the lock without stalling reads; then it is applied', async () => {
    const other = new SQLite(join(t.env.DATA_DIR ?? '', 'sightline.db'));
    other.exec('begin immediate');
    let written = false;
    const write = scim(t, token, 'POST', '/Users', userBody('second@example.com')).then((response) => {
      written = true;
      return response;
    });
    try {
      await sleep(100);
      // The write is waiting for the lock; a read is answered meanwhile.
      const read = await scim(t, token, 'GET', `/Users/${userId}`);
      expect(read.statusCode).toBe(200);
      expect(written).toBe(false);
      const list = await scim(t, token, 'GET', '/Users?filter=userName eq "second@example.com"');
      expect(list.json<{ totalResults: number }>().totalResults).toBe(0);
    } finally {
      other.exec('commit');
      other.close();
    }
    const response = await write;
    expect(response.statusCode, response.body).toBe(201);
    const list = await scim(t, token, 'GET', '/Users?filter=userName eq "second@example.com"');
    expect(list.json<{ totalResults: number }>().totalResults).toBe(1);
  });

  it('a write that waits out SQLITE_LOCK_WAIT_MS answers 503 with Retry-After and changes nothing', async () => {
    const quick = await startTestApp({ SQLITE_LOCK_WAIT_MS: '200' });
    try {
      const quickToken = await createToken(quick, 'provisioning');
      // First use of the token (it records its last use, a write) before the lock is taken.
      await scim(quick, quickToken, 'GET', '/Users?count=1');
      const other = new SQLite(join(quick.env.DATA_DIR ?? '', 'sightline.db'));
      other.exec('begin immediate');
      let refused: Awaited<ReturnType<typeof scim>>;
      try {
        refused = await scim(quick, quickToken, 'POST', '/Users', userBody('late@example.com'));
      } finally {
        other.exec('commit');
        other.close();
      }
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.json()).toMatchObject({ status: '503' });
      const list = await scim(quick, quickToken, 'GET', '/Users?filter=userName eq "late@example.com"');
      expect(list.json<{ totalResults: number }>().totalResults).toBe(0);
      const retried = await scim(quick, quickToken, 'POST', '/Users', userBody('late@example.com'));
      expect(retried.statusCode, retried.body).toBe(201);
    } finally {
      await quick.close();
    }
  });
});
