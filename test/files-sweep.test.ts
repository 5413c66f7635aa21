import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

/** Upload URLs that were never used, and uploads that failed or died, are forgotten after expiry. */
describe('files: sweeping unused uploads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ UPLOADS_MAX_BYTES: String(4 * 1024) });
  });
  afterAll(() => t.close());

  const signed = async (name: string) => {
    const res = await t.request({ method: 'GET', url: `/v1.1/files/url?name=${name}`, token: t.ownerToken });
    expect(res.statusCode, res.body).toBe(200);
    const made = res.json<{ url: string; fileId: string }>();
    const url = new URL(made.url);
    return { path: `${url.pathname}${url.search}`, fileId: made.fileId };
  };
  const statusOf = async (id: string) =>
    (await t.app.store.db.selectFrom('files').select('status').where('id', '=', id).executeTakeFirst())
      ?.status;

  it('keeps stored files and live URLs; drops expired unused URLs, failed and dead uploads', async () => {
    const unused = await signed('unused.csv');
    const used = await signed('used.csv');
    expect(
      (await t.request({ method: 'PUT', url: used.path, payload: Buffer.from('Email\na@acme.test\n') }))
        .statusCode,
    ).toBe(200);
    const failed = await signed('failed.csv');
    expect(
      (await t.request({ method: 'PUT', url: failed.path, payload: Buffer.alloc(5000, 'a') })).statusCode,
    ).toBe(413);
    const dead = await signed('dead.csv');
    await t.app.store.db
      .updateTable('files')
      .set({ status: 'receiving' })
      .where('id', '=', dead.fileId)
      .execute();

    // Nothing has expired yet.
    expect(await t.app.services.files.sweepUnused()).toBe(0);
    // Past the URLs' expiry (15 minutes): the unused and the failed go; a claimed upload gets an hour more.
    const later = Date.now() + 16 * 60_000;
    expect(await t.app.services.files.sweepUnused(later)).toBe(2);
    expect(await statusOf(unused.fileId)).toBeUndefined();
    expect(await statusOf(failed.fileId)).toBeUndefined();
    expect(await statusOf(dead.fileId)).toBe('receiving');
    expect(await statusOf(used.fileId)).toBe('stored');
    expect(await t.app.services.files.sweepUnused(later + 60 * 60_000)).toBe(1);
    expect(await statusOf(dead.fileId)).toBeUndefined();
    expect(await statusOf(used.fileId)).toBe('stored');
    // An unused URL that was swept no longer uploads anything.
    expect(
      (await t.request({ method: 'PUT', url: unused.path, payload: Buffer.from('Email\n') })).statusCode,
    ).toBe(404);
  });
});
