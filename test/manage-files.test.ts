import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;
const CONTRACT = 'torii-v1.openapi.yaml';

interface Part {
  field: string;
  filename: string;
  content: Buffer;
}

/** A multipart/form-data body of file parts; `cut` drops that many bytes from its end (a torn body). */
function multipartOf(parts: Part[], cut = 0) {
  const boundary = `----sightline${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    ...parts.flatMap(({ field, filename, content }) => [
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`,
      ),
      content,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return {
    payload: payload.subarray(0, payload.length - cut),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const multipart = (filename: string, content: Buffer, field = 'file') =>
  multipartOf([{ field, filename, content }]);

/** A UTF-8 CSV whose byte 4096 falls inside a two-byte character (what a sniffer sees first). */
function accentedCsv(): Buffer {
  const tail = '@acme.test,Zo';
  const prefix = `Email,Name\nx${'a'.repeat(4095 - 'Email,Name\nx'.length - tail.length)}${tail}`;
  return Buffer.from(`${prefix}ë Ærø\nann@acme.test,Ann\n`);
}

/** Files beyond test/manage-file-imports.test.ts: storage, text sniffing, signed-URL limits, audit. */
describe('Torii files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ UPLOADS_MAX_BYTES: String(64 * 1024) });
  });
  afterAll(() => t.close());

  const upload = (filename: string, content: Buffer, field = 'file', token = t.ownerToken) =>
    t.request({
      method: 'POST',
      url: '/v1.0/files/upload',
      token,
      ...multipart(filename, content, field),
    });
  const json = (res: TestResponse, status = 200) => {
    expect(res.statusCode, res.body).toBe(status);
    return res.json<Obj>();
  };
  const signedPath = async (name: string) => {
    const made = json(
      await t.request({ method: 'GET', url: `/v1.0/files/url?name=${name}`, token: t.ownerToken }),
    );
    const url = new URL(made.url);
    return { path: `${url.pathname}${url.search}`, fileId: made.fileId as string };
  };

  it('stores the file under DATA_DIR/files/<tenant>/<id> and audits it', async () => {
    const content = Buffer.from('Email\nann@acme.test\n');
    const res = await upload('people.csv', content);
    expectContract(CONTRACT, 'post', '/files/upload', res);
    const { id } = json(res);
    const row = await t.app.store.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'people.csv', content_type: 'text/csv', size_bytes: content.length });
    const path = join(t.env.DATA_DIR ?? '', 'files', row.tenant_id, id);
    expect(readFileSync(path)).toEqual(content);
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('target_id', '=', id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['file.uploaded']);
  });

  it('accepts UTF-8 text whose sniffed head ends inside a character', async () => {
    const csv = accentedCsv();
    expect(csv[4095]).toBeGreaterThan(0x7f);
    expect(json(await upload('accented.csv', csv)).id).toEqual(expect.any(String));
    const { path } = await signedPath('accented.csv');
    const put = await t.request({ method: 'PUT', url: path, payload: csv });
    expect(put.statusCode, put.body).toBe(200);
  });

  it('400 naming the field when the multipart body has no "file"; 401 without a token', async () => {
    const res = await upload('a.csv', Buffer.from('Email\n'), 'document');
    expect(res.statusCode).toBe(400);
    expect(res.json<Obj>().message).toContain('file');
    expect(
      (
        await t.request({
          method: 'POST',
          url: '/v1.1/files/upload',
          ...multipart('a.csv', Buffer.from('x')),
        })
      ).statusCode,
    ).toBe(401);
    expect((await t.request({ method: 'GET', url: '/v1.1/files/url' })).statusCode).toBe(401);
  });

  it('400 naming the field for an empty file; nothing is stored', async () => {
    const before = await t.app.store.db.selectFrom('files').select('id').execute();
    const res = await upload('empty.csv', Buffer.alloc(0));
    expect(res.statusCode).toBe(400);
    expect(res.json<Obj>().message).toMatch(/file.*empty/);
    expect(await t.app.store.db.selectFrom('files').select('id').execute()).toEqual(before);
  });

  it('signed URLs: 413 past the configured maximum, 415 for the wrong content, spent either way', async () => {
    const big = await signedPath('big.csv');
    const tooBig = await t.request({ method: 'PUT', url: big.path, payload: Buffer.alloc(65 * 1024, 'a') });
    expect(tooBig.statusCode).toBe(413);
    expect((await t.request({ method: 'PUT', url: big.path, payload: Buffer.from('a') })).statusCode).toBe(
      409,
    );
    const row = await t.app.store.db
      .selectFrom('files')
      .select(['status', 'tenant_id'])
      .where('id', '=', big.fileId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(existsSync(join(t.env.DATA_DIR ?? '', 'files', row.tenant_id, big.fileId))).toBe(false);
    const fake = await signedPath('sheet.xlsx');
    const pdf = await t.request({
      method: 'PUT',
      url: fake.path,
      payload: Buffer.from('%PDF-1.7 not a sheet'),
    });
    expect(pdf.statusCode).toBe(415);
    expect(pdf.body).toContain('.xlsx');
  });

  it('audits handing out a signed URL; the URL’s file is 404 to another tenant', async () => {
    const { path, fileId } = await signedPath('shared.csv');
    json(await t.request({ method: 'PUT', url: path, payload: Buffer.from('Email\nx@acme.test\n') }));
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('target_id', '=', fileId)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['file.upload_url_created', 'file.uploaded']);
    const otherToken = await createTenant(t, 'Files Two', 'files-two');
    expect(
      (await t.request({ method: 'GET', url: `/api/files/${fileId}/content`, token: otherToken })).statusCode,
    ).toBe(404);
    expect(
      (await t.request({ method: 'GET', url: `/api/files/${fileId}/content`, token: t.ownerToken })).body,
    ).toContain('x@acme.test');
  });

  /** What Node can send as a header value: visible ASCII, space and tab. */
  const isSendable = (value: unknown) => typeof value === 'string' && /^[\t\x20-\x7e]*$/.test(value);

  it('serves content whose name is outside Latin-1 with an RFC 6266 Content-Disposition', async () => {
    const content = Buffer.from('Email\nann@acme.test\n');
    const { url } = json(await upload('😀 données.csv', content));
    const read = await t.request({ method: 'GET', url: new URL(url).pathname, token: t.ownerToken });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.body).toBe(content.toString());
    expect(read.headers['content-disposition']).toBe(
      `attachment; filename="_ donn_es.csv"; filename*=UTF-8''%F0%9F%98%80%20donn%C3%A9es.csv`,
    );
  });

  it('a name with quotes, backslashes or CR/LF cannot break the Content-Disposition header', async () => {
    const name = 'a"b\\c\r\nX-Injected: 1;.csv';
    const { path, fileId } = await signedPath('n.csv');
    const put = await t.request({
      method: 'PUT',
      url: `${path}&name=${encodeURIComponent(name)}`,
      payload: Buffer.from('Email\nx@acme.test\n'),
    });
    expect(put.statusCode, put.body).toBe(200);
    const read = await t.request({ method: 'GET', url: `/api/files/${fileId}/content`, token: t.ownerToken });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.headers['x-injected']).toBeUndefined();
    const disposition = read.headers['content-disposition'];
    expect(isSendable(disposition)).toBe(true);
    expect(decodeURIComponent(String(disposition).split("filename*=UTF-8''")[1] ?? '')).toBe(name);
  });

  it('signed URLs: a missing or empty body is a 400 that leaves the URL usable', async () => {
    const { path, fileId } = await signedPath('e.csv');
    const status = async () =>
      (
        await t.app.store.db
          .selectFrom('files')
          .select('status')
          .where('id', '=', fileId)
          .executeTakeFirstOrThrow()
      ).status;
    const missing = await t.request({ method: 'PUT', url: path });
    expect(missing.statusCode, missing.body).toBe(400);
    expect(missing.json<Obj>().error.message).toMatch(/^body: is missing/);
    const empty = await t.request({
      method: 'PUT',
      url: path,
      headers: { 'content-type': 'text/csv' },
      payload: Buffer.alloc(0),
    });
    expect(empty.statusCode, empty.body).toBe(400);
    expect(empty.json<Obj>().error.message).toMatch(/^body: is empty/);
    expect(await status()).toBe('pending');
    const retry = await t.request({ method: 'PUT', url: path, payload: Buffer.from('Email\nx@acme.test\n') });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(await status()).toBe('stored');
    const again = await t.request({ method: 'PUT', url: path });
    expect(again.statusCode, again.body).toBe(409);
  });

  it('400 naming the problem for a malformed multipart body (no boundary, a part cut short)', async () => {
    for (const version of ['v1.0', 'v1.1']) {
      const noBoundary = await t.request({
        method: 'POST',
        url: `/${version}/files/upload`,
        token: t.ownerToken,
        headers: { 'content-type': 'multipart/form-data' },
        payload: 'abc',
      });
      expect(noBoundary.statusCode, noBoundary.body).toBe(400);
      expect(noBoundary.json<Obj>().message).toMatch(
        /^body: is not a well-formed multipart body \(.*Boundary not found/,
      );
      const torn = await t.request({
        method: 'POST',
        url: `/${version}/files/upload`,
        token: t.ownerToken,
        ...multipartOf(
          [{ field: 'file', filename: 'torn.csv', content: Buffer.from('Email\nx@acme.test\n') }],
          20,
        ),
      });
      expect(torn.statusCode, torn.body).toBe(400);
      expect(torn.json<Obj>().message).toMatch(
        /^body: is not a well-formed multipart body \((Part terminated early|the body ended inside)/,
      );
    }
  });

  it('400 naming the field when a multipart body has a second file part', async () => {
    const csv = Buffer.from('Email\nx@acme.test\n');
    const res = await t.request({
      method: 'POST',
      url: '/v1.1/files/upload',
      token: t.ownerToken,
      ...multipartOf([
        { field: 'file', filename: 'one.csv', content: csv },
        { field: 'file', filename: 'two.csv', content: csv },
      ]),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<Obj>().message).toMatch(/^file: a second file part/);
  });
});
