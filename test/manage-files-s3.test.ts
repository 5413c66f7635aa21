import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { startS3 } from './helpers/s3.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;

function multipart(filename: string, content: Buffer) {
  const boundary = `----sightline${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Files in an S3-compatible bucket (S3_BUCKET set): uploads, signed URLs, imports, downloads. */
describe('Torii files in an S3-compatible bucket', () => {
  let t: TestApp;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let client: S3Client;
  beforeAll(async () => {
    s3 = await startS3();
    t = await startTestApp({ ...s3.env, UPLOADS_MAX_BYTES: String(64 * 1024) });
    await t.app.queue.start();
    client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await t.close();
    await s3.stop();
  });

  const json = (res: TestResponse, status = 200) => {
    expect(res.statusCode, res.body).toBe(status);
    return res.json<Obj>();
  };
  const object = async (key: string) => {
    const out = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return out.Body?.transformToString();
  };
  const tenantOf = async (fileId: string) =>
    (
      await t.app.store.db
        .selectFrom('files')
        .select('tenant_id')
        .where('id', '=', fileId)
        .executeTakeFirstOrThrow()
    ).tenant_id;

  it('stores an upload in the bucket (under the prefix), not in DATA_DIR, and imports it from there', async () => {
    const csv = 'Email,Status\nann@acme.test,active\nbob@acme.test,active\n';
    const file = json(
      await t.request({
        method: 'POST',
        url: '/v1.1/files/upload',
        token: t.ownerToken,
        ...multipart('people.csv', Buffer.from(csv)),
      }),
    );
    const tenant = await tenantOf(file.id);
    expect(await object(`tenant-files/files/${tenant}/${file.id}`)).toBe(csv);
    expect(existsSync(join(t.env.DATA_DIR ?? '', 'files', tenant, file.id))).toBe(false);
    const parsing = json(
      await t.request({ method: 'GET', url: `/v1.1/parsings/${file.parsingId}`, token: t.ownerToken }),
    );
    expect(parsing.columns).toEqual(['Email', 'Status']);
    json(
      await t.request({
        method: 'PUT',
        url: '/v1.1/parsings/manual',
        token: t.ownerToken,
        payload: {
          fileId: file.id,
          appName: 'Bucket App',
          mappings: [
            { sourceColumn: 'Email', targetField: 'email' },
            { sourceColumn: 'Status', targetField: 'status' },
          ],
        },
      }),
    );
    let status = '';
    for (let i = 0; i < 200 && status !== 'completed' && status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = json(
        await t.request({ method: 'GET', url: `/v1.1/parsings/${file.parsingId}`, token: t.ownerToken }),
      ).status;
    }
    expect(status).toBe('completed');
    const accounts = await t.app.store.db
      .selectFrom('app_accounts as a')
      .innerJoin('apps as p', 'p.id', 'a.app_id')
      .select('a.email')
      .where('p.name', '=', 'Bucket App')
      .execute();
    expect(accounts.map((a) => a.email).sort()).toEqual(['ann@acme.test', 'bob@acme.test']);
  });

  it('streams a signed upload into the bucket and serves it back; a refused upload leaves no object', async () => {
    const made = json(
      await t.request({ method: 'GET', url: '/v1.1/files/url?name=big.csv', token: t.ownerToken }),
    );
    const url = new URL(made.url);
    const body = `Email\n${Array.from({ length: 2000 }, (_, i) => `u${i}@acme.test`).join('\n')}\n`;
    json(await t.request({ method: 'PUT', url: `${url.pathname}${url.search}`, payload: Buffer.from(body) }));
    const content = await t.request({
      method: 'GET',
      url: `/api/files/${made.fileId}/content`,
      token: t.ownerToken,
    });
    expect(content.body).toBe(body);

    const refused = json(
      await t.request({ method: 'GET', url: '/v1.1/files/url?name=huge.csv', token: t.ownerToken }),
    );
    const refusedUrl = new URL(refused.url);
    const tooBig = await t.request({
      method: 'PUT',
      url: `${refusedUrl.pathname}${refusedUrl.search}`,
      payload: Buffer.alloc(65 * 1024, 'a'),
    });
    expect(tooBig.statusCode).toBe(413);
    const tenant = await tenantOf(refused.fileId);
    await expect(object(`tenant-files/files/${tenant}/${refused.fileId}`)).rejects.toThrow();
  });
});
