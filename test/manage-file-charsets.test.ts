import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

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

/** CSV files saved by Excel on Windows (Windows-1252) or as "Unicode text" (UTF-16) import as text. */
describe('file imports: character sets', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Imports are polled until they settle: the default per-token rate limit (600/min) is not under test here.
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    await t.app.queue.start();
  });
  afterAll(() => t.close());

  async function importPeople(name: string, content: Buffer, viaUrl = false): Promise<Obj> {
    let fileId: string;
    if (viaUrl) {
      const made = (
        await t.request({ method: 'GET', url: `/v1.1/files/url?name=${name}`, token: t.ownerToken })
      ).json<Obj>();
      const url = new URL(made.url);
      const put = await t.request({ method: 'PUT', url: `${url.pathname}${url.search}`, payload: content });
      expect(put.statusCode, put.body).toBe(200);
      fileId = made.fileId;
    } else {
      const res = await t.request({
        method: 'POST',
        url: '/v1.1/files/upload',
        token: t.ownerToken,
        ...multipart(name, content),
      });
      expect(res.statusCode, res.body).toBe(200);
      fileId = res.json<Obj>().id;
    }
    const parsing = await t.app.store.db
      .selectFrom('parsings')
      .select(['id', 'columns'])
      .where('file_id', '=', fileId)
      .executeTakeFirstOrThrow();
    const res = await t.request({
      method: 'PUT',
      url: '/v1.1/parsings/manual',
      token: t.ownerToken,
      payload: {
        fileId,
        target: 'users',
        mappings: [
          { sourceColumn: 'Email', targetField: 'email' },
          { sourceColumn: 'Name', targetField: 'name' },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    for (let i = 0; i < 200; i++) {
      const p = (
        await t.request({ method: 'GET', url: `/v1.1/parsings/${parsing.id}`, token: t.ownerToken })
      ).json<Obj>();
      if (p.status === 'completed' || p.status === 'failed') return p;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('import did not settle');
  }
  const nameOf = async (email: string) =>
    (
      await t.app.store.db
        .selectFrom('people')
        .select('display_name')
        .where('email_lc', '=', email)
        .executeTakeFirst()
    )?.display_name;

  it('a Windows-1252 CSV keeps its accents', async () => {
    const csv = Buffer.from('Email,Name\r\nzoe@acme.test,Zo\u00eb M\u00fcller\r\n', 'latin1');
    expect(await importPeople('latin.csv', csv)).toMatchObject({
      status: 'completed',
      result: { imported: 1 },
    });
    expect(await nameOf('zoe@acme.test')).toBe('Zo\u00eb M\u00fcller');
  });

  it('a UTF-16 CSV with a byte-order mark imports', async () => {
    const csv = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('Email,Name\r\nkai@acme.test,K\u00e4i \u6771\r\n', 'utf16le'),
    ]);
    expect(await importPeople('unicode.csv', csv)).toMatchObject({ status: 'completed' });
    expect(await nameOf('kai@acme.test')).toBe('K\u00e4i \u6771');
  });

  it('a CSV that turns out not to be UTF-8 after its first 4 KB is read as Windows-1252 throughout', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `plain${i}@acme.test,Plain ${i}`).join('\r\n');
    const csv = Buffer.concat([
      Buffer.from(`Email,Name\r\n${rows}\r\n`),
      Buffer.from('late@acme.test,Ren\u00e9e\r\n', 'latin1'),
    ]);
    expect(csv.length).toBeGreaterThan(4096);
    expect(await importPeople('late.csv', csv, true)).toMatchObject({
      status: 'completed',
      result: { imported: 201 },
    });
    expect(await nameOf('late@acme.test')).toBe('Ren\u00e9e');
    expect(await nameOf('plain7@acme.test')).toBe('Plain 7');
  });
});
