import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;
const CONTRACT = 'torii-v1.openapi.yaml';

function multipart(filename: string, content: Buffer) {
  const boundary = `----sightline${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('Torii files and parsings', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Imports are polled until they settle: the default per-token rate limit (600/min) is not under test here.
    t = await startTestApp({ UPLOAD_URL_TTL_SECONDS: '2', RATE_LIMIT_MAX: '100000' });
    await t.app.queue.start();
  });
  afterAll(() => t.close());

  const upload = (filename: string, content: Buffer, token = t.ownerToken) =>
    t.request({ method: 'POST', url: '/v1.1/files/upload', token, ...multipart(filename, content) });
  const json = (res: TestResponse, status = 200) => {
    expect(res.statusCode, res.body).toBe(status);
    return res.json<Obj>();
  };
  /** `PUT /parsings/manual`: maps the file's columns (`{column: targetField}`) and starts the import. */
  const mapColumns = (
    payload: { fileId: string; appName?: string; target: string },
    columns: Record<string, string>,
    version = 'v1.1',
  ) =>
    t.request({
      method: 'PUT',
      url: `/${version}/parsings/manual`,
      token: t.ownerToken,
      payload: {
        ...payload,
        mappings: Object.entries(columns).map(([sourceColumn, targetField]) => ({
          sourceColumn,
          targetField,
        })),
      },
    });
  async function settled(id: string): Promise<Obj> {
    for (let i = 0; i < 200; i++) {
      const parsing = json(
        await t.request({ method: 'GET', url: `/v1.1/parsings/${id}`, token: t.ownerToken }),
      );
      if (parsing.status === 'completed' || parsing.status === 'failed') return parsing;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`parsing ${id} did not settle`);
  }

  it('refuses U+0000 in a cell (the row, naming the field) or in the header (the parsing, naming the column)', async () => {
    // PostgreSQL cannot store U+0000: the row is reported, not quoted, and the others import. (In
    // the first 4 kB of a UTF-8 file, a NUL byte makes the upload binary: 415.)
    const good = Array.from({ length: 300 }, (_, i) => `ok${i}@acme.test,Fine ${i}`);
    const csv = `Email,Full name\n${good.join('\n')}\nnul@acme.test,Bad\u0000Name\n`;
    const file = json(await upload('nul-cell.csv', Buffer.from(csv)));
    json(
      await mapColumns(
        { fileId: file.id, appName: 'Nul Cells', target: 'accounts' },
        { Email: 'email', 'Full name': 'name' },
      ),
    );
    const done = await settled(file.parsingId);
    expect(done).toMatchObject({ status: 'completed', result: { rows: 301, imported: 300, rejected: 1 } });
    expect(done.result.errors).toEqual([
      { field: 'name', problem: 'contains U+0000 (a NUL character), which text cannot hold', index: 302 },
    ]);

    // UTF-16 (with its byte-order mark) is text whatever its bytes: the header reaches the reader.
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('Email,Na\u0000me\r\na@acme.test,A\r\n', 'utf16le'),
    ]);
    const header = json(await upload('nul-header.csv', utf16));
    const parsing = json(
      await t.request({ method: 'GET', url: `/v1.1/parsings/${header.parsingId}`, token: t.ownerToken }),
    );
    expect(parsing).toMatchObject({ status: 'failed', columns: [] });
    expect(parsing.failureReason).toContain('Column 2 of the header row contains U+0000');

    const named = await upload('nul\u0000name.csv', Buffer.from('Email\na@acme.test\n'));
    expect(named.statusCode, named.body).toBe(400);
    expect(named.json<Obj>().message).toContain('file name contains U+0000');
  });

  it('uploads a CSV, detects its columns, and imports the good rows through a sync, reporting bad rows', async () => {
    const csv = [
      'Email,Full name,Role,Last login',
      'ann@acme.test,Ann,admin,2026-11-01T09:00:00Z',
      'not-an-email,Bob,member,2026-11-01T09:00:00Z',
      'cid@acme.test,Cid,member,yesterday-ish',
      'dee@acme.test,Dee,member,',
    ].join('\n');
    const res = await upload('accounts.csv', Buffer.from(csv));
    expectContract(CONTRACT, 'post', '/files/upload', res);
    const file = json(res);
    const parsing = await t.request({
      method: 'GET',
      url: `/v1.1/parsings/${file.parsingId}`,
      token: t.ownerToken,
    });
    expectContract(CONTRACT, 'get', '/parsings/{id}', parsing);
    expect(json(parsing)).toMatchObject({
      status: 'ready',
      columns: ['Email', 'Full name', 'Role', 'Last login'],
      fileId: file.id,
    });
    const mapped = await mapColumns(
      { fileId: file.id, appName: 'Imported App', target: 'accounts' },
      { Email: 'email', 'Full name': 'name', Role: 'role', 'Last login': 'lastUsedDate' },
    );
    expectContract(CONTRACT, 'put', '/parsings/manual', mapped);
    const done = await settled(file.parsingId);
    expect(done).toMatchObject({ status: 'completed', result: { rows: 4, imported: 2, rejected: 2 } });
    expect(done.result.errors).toEqual([
      { field: 'email', problem: "'not-an-email' is not an email address", index: 3 },
      { field: 'lastUsedDate', problem: "'yesterday-ish' is not a date", index: 4 },
    ]);
    const accounts = await t.app.store.db
      .selectFrom('app_accounts as a')
      .innerJoin('apps as p', 'p.id', 'a.app_id')
      .select(['a.email', 'a.role'])
      .where('p.name', '=', 'Imported App')
      .orderBy('a.email')
      .execute();
    expect(accounts).toEqual([
      { email: 'ann@acme.test', role: 'admin' },
      { email: 'dee@acme.test', role: 'member' },
    ]);
    const download = await t.request({
      method: 'GET',
      url: `/api/files/${file.id}/content`,
      token: t.ownerToken,
    });
    expect(download.body).toBe(csv);
  });

  it('imports a file of many pages (stored ten at a time): every row, each page once', async () => {
    // 12,500 rows: 13 pages of 1,000 in two uploads; the last row repeats an email of the first page.
    const rows = Array.from({ length: 12_499 }, (_, i) => `u${i}@big.test,${i % 2 ? 'member' : 'admin'}`);
    const csv = ['Email,Role', ...rows, 'U5@big.test,owner'].join('\n');
    const file = json(await upload('many.csv', Buffer.from(csv)));
    json(
      await mapColumns(
        { fileId: file.id, appName: 'Big App', target: 'accounts' },
        { Email: 'email', Role: 'role' },
      ),
    );
    const done = await settled(file.parsingId);
    expect(done).toMatchObject({
      status: 'completed',
      result: { rows: 12_500, imported: 12_499, rejected: 1 },
    });
    expect(done.result.errors).toEqual([
      { field: 'email', index: 12_501, problem: "'u5@big.test' repeats row 7; each account may appear once" },
    ]);
    const accounts = await t.app.store.db
      .selectFrom('app_accounts as a')
      .innerJoin('apps as p', 'p.id', 'a.app_id')
      .select(['a.email_lc', 'a.role', 'a.person_id'])
      .where('p.name', '=', 'Big App')
      .execute();
    expect(new Set(accounts.map((a) => a.email_lc))).toEqual(new Set(rows.map((r) => r.split(',')[0])));
    expect(accounts.filter((a) => a.person_id === null)).toEqual([]);
    expect(accounts.filter((a) => a.role === 'admin')).toHaveLength(6_250);
    const sync = await t.app.store.db
      .selectFrom('syncs')
      .select(['staged_keys', 'repeated_ids'])
      .where('id', '=', String(done.syncId))
      .executeTakeFirstOrThrow();
    expect(sync).toEqual({ staged_keys: 12_499, repeated_ids: 0 });
  });

  it('a CSV that breaks down past its header fails the parsing saying where, and imports nothing', async () => {
    // The header reads (columns detected); row 400 opens a quote that the file never closes.
    const good = Array.from({ length: 398 }, (_, i) => `q${i}@acme.test,Quoted ${i}`);
    const csv = `Email,Full name\n${good.join('\n')}\nbad@acme.test,"Never closed\nlast@acme.test,Last\n`;
    const file = json(await upload('unclosed.csv', Buffer.from(csv)));
    json(
      await mapColumns(
        { fileId: file.id, appName: 'Broken Quotes', target: 'accounts' },
        { Email: 'email', 'Full name': 'name' },
      ),
    );
    const done = await settled(file.parsingId);
    expect(done.status).toBe('failed');
    expect(done.failureReason).toBe(
      'The file could not be read: Quote Not Closed: the parsing is finished with an opening quote at line 401',
    );
    const app = await t.app.store.db
      .selectFrom('apps')
      .select('id')
      .where('name', '=', 'Broken Quotes')
      .executeTakeFirst();
    const accounts = await t.app.store.db
      .selectFrom('app_accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_id', '=', app?.id ?? '')
      .executeTakeFirstOrThrow();
    expect(Number(accounts.n)).toBe(0);
  });

  it('imports an XLSX file (streamed) as transactions', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Spend');
    sheet.addRow(['Date', 'Amount', 'Currency', 'Vendor']);
    sheet.addRow([new Date('2026-10-01T00:00:00Z'), 120.5, 'USD', 'Acme']);
    sheet.addRow(['2026-10-02', 'lots', 'USD', 'Acme']);
    const content = Buffer.from(await workbook.xlsx.writeBuffer());
    const file = json(await upload('spend.xlsx', content));
    expect(
      json(await t.request({ method: 'GET', url: `/v1.0/parsings/${file.parsingId}`, token: t.ownerToken }))
        .columns,
    ).toEqual(['Date', 'Amount', 'Currency', 'Vendor']);
    json(
      await mapColumns(
        { fileId: file.id, appName: 'Acme Spend', target: 'transactions' },
        { Date: 'date', Amount: 'amount', Currency: 'currency', Vendor: 'vendor' },
        'v1.0',
      ),
    );
    const done = await settled(file.parsingId);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'completed',
      result: { imported: 1, rejected: 1 },
    });
    const spend = await t.app.store.db
      .selectFrom('transactions')
      .select(['amount_minor', 'currency', 'occurred_on'])
      .where('vendor', '=', 'Acme')
      .execute();
    expect(spend).toEqual([{ amount_minor: 12050, currency: 'USD', occurred_on: '2026-10-01' }]);
  });

  it('splits semicolon- and tab-separated CSV files by their header’s delimiter, in detection and import', async () => {
    const accountsOf = (app: string) =>
      t.app.store.db
        .selectFrom('app_accounts as a')
        .innerJoin('apps as p', 'p.id', 'a.app_id')
        .select(['a.email', 'a.name', 'a.status'])
        .where('p.name', '=', app)
        .orderBy('a.email')
        .execute();
    // Excel's "CSV (semicolon)" in Europe: a byte-order mark, CRLF, a cell holding a line break and a comma.
    const semicolons = Buffer.from(
      '\uFEFFemail;name;status\r\nc@acme.example;"C\r\nDe, Jr";active\r\nd@acme.example;D;inactive\r\n',
    );
    const tabs = Buffer.from('email\tname\tstatus\ne@acme.example\tE, Esq\tactive\n');
    for (const [name, content, app] of [
      ['s.csv', semicolons, 'Semicolon App'],
      ['t.csv', tabs, 'Tab App'],
    ] as const) {
      const file = json(await upload(name, content));
      const parsing = json(
        await t.request({ method: 'GET', url: `/v1.1/parsings/${file.parsingId}`, token: t.ownerToken }),
      );
      expect(parsing, name).toMatchObject({ status: 'ready', columns: ['email', 'name', 'status'] });
      json(
        await mapColumns(
          { fileId: file.id, appName: app, target: 'accounts' },
          { email: 'email', name: 'name', status: 'status' },
        ),
      );
      expect(await settled(file.parsingId), name).toMatchObject({ status: 'completed' });
    }
    expect(await accountsOf('Semicolon App')).toEqual([
      { email: 'c@acme.example', name: 'C\r\nDe, Jr', status: 'active' },
      { email: 'd@acme.example', name: 'D', status: 'inactive' },
    ]);
    expect(await accountsOf('Tab App')).toEqual([
      { email: 'e@acme.example', name: 'E, Esq', status: 'active' },
    ]);
  });

  it('a header naming a column twice offers both, numbered, and imports the one mapped', async () => {
    const file = json(
      await upload('twice.csv', Buffer.from('email,email,name\nfirst@twice.test,second@twice.test,Nu\n')),
    );
    const parsing = json(
      await t.request({ method: 'GET', url: `/v1.1/parsings/${file.parsingId}`, token: t.ownerToken }),
    );
    expect(parsing.columns).toEqual(['email', 'email (2)', 'name']);
    json(
      await mapColumns(
        { fileId: file.id, appName: 'Twice Named', target: 'accounts' },
        { 'email (2)': 'email', name: 'name' },
      ),
    );
    expect(await settled(file.parsingId)).toMatchObject({ status: 'completed', result: { imported: 1 } });
    const accounts = await t.app.store.db
      .selectFrom('app_accounts as a')
      .innerJoin('apps as p', 'p.id', 'a.app_id')
      .select(['a.email'])
      .where('p.name', '=', 'Twice Named')
      .execute();
    expect(accounts).toEqual([{ email: 'second@twice.test' }]);
  });

  it('a truncated workbook fails its parsing saying the workbook could not be read, and why', async () => {
    const file = json(await upload('broken.xlsx', Buffer.from('PK\x03\x04garbage', 'latin1')));
    const parsing = json(
      await t.request({ method: 'GET', url: `/v1.1/parsings/${file.parsingId}`, token: t.ownerToken }),
    );
    expect(parsing).toMatchObject({
      status: 'failed',
      columns: [],
      failureReason:
        "The file could not be read: the workbook's zip archive ends early (the file is truncated or not a complete XLSX file)",
    });
  });

  it('imports licenses (totals, used counts, price per user) from a CSV', async () => {
    const file = json(
      await upload('licenses.csv', Buffer.from('License,Seats,In use,Price\nPro,50,42,9.99\nBasic,-3,1,0\n')),
    );
    json(
      await mapColumns(
        { fileId: file.id, appName: 'Licensed App', target: 'licenses' },
        { License: 'name', Seats: 'total', 'In use': 'used', Price: 'pricePerUser' },
      ),
    );
    const done = await settled(file.parsingId);
    expect(done).toMatchObject({
      status: 'completed',
      result: { imported: 1, rejected: 1, errors: [{ field: 'total', index: 3 }] },
    });
    const license = await t.app.store.db
      .selectFrom('licenses')
      .selectAll()
      .where('name', '=', 'Pro')
      .executeTakeFirstOrThrow();
    expect(license).toMatchObject({ total: 50, used: 42, price_per_unit_minor: 999 });
  });

  it('imports directory people (no app), creating and updating by email', async () => {
    const scimPost = (url: string, payload: object) =>
      t.request({ method: 'POST', url: `/scim/v2/${url}`, token: t.ownerToken, payload });
    const known = (
      await scimPost('Users', {
        userName: 'known@acme.test',
        name: { givenName: 'Old' },
        emails: [{ value: 'known@acme.test', primary: true }],
      })
    ).json<Obj>();
    // A group and a report show the person's display name: their versions follow it.
    const team = (
      await scimPost('Groups', { displayName: 'Known team', members: [{ value: known.id }] })
    ).json<Obj>();
    const report = (
      await scimPost('Users', {
        userName: 'report@acme.test',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: known.id } },
      })
    ).json<Obj>();
    const scimGet = async (url: string) =>
      (await t.request({ method: 'GET', url: `/scim/v2/${url}`, token: t.ownerToken })).json<Obj>();
    const csv =
      'Email,Name,Department,Title\nknown@acme.test,Known Person,Finance,CFO\nnew@acme.test,New Person,Sales,\nbroken,Nobody,,\n';
    const file = json(await upload('people.csv', Buffer.from(csv)));
    json(
      await mapColumns(
        { fileId: file.id, target: 'users' },
        { Email: 'email', Name: 'name', Department: 'department', Title: 'title' },
      ),
    );
    const done = await settled(file.parsingId);
    expect(done).toMatchObject({
      status: 'completed',
      result: { imported: 2, rejected: 1, errors: [{ field: 'email', index: 4 }] },
    });
    const people = await t.app.store.db
      .selectFrom('people')
      .select(['user_name', 'display_name', 'department', 'title', 'first_name'])
      .where('user_name_lc', 'in', ['known@acme.test', 'new@acme.test'])
      .orderBy('user_name')
      .execute();
    expect(people).toEqual([
      {
        user_name: 'known@acme.test',
        display_name: 'Known Person',
        department: 'Finance',
        title: 'CFO',
        first_name: 'Old',
      },
      {
        user_name: 'new@acme.test',
        display_name: 'New Person',
        department: 'Sales',
        title: null,
        first_name: null,
      },
    ]);
    const scim = await t.request({
      method: 'GET',
      url: '/scim/v2/Users?filter=userName eq "new@acme.test"',
      token: t.ownerToken,
    });
    expect(scim.json<Obj>().Resources[0].emails[0].value).toBe('new@acme.test');
    const teamNow = await scimGet(`Groups/${team.id}`);
    expect(teamNow.members[0].display).toBe('Known Person');
    expect(teamNow.meta.version).not.toBe(team.meta.version);
    const reportNow = await scimGet(`Users/${report.id}`);
    expect(reportNow['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].manager.displayName).toBe(
      'Known Person',
    );
    expect(reportNow.meta.version).not.toBe(report.meta.version);
  });

  it('refuses files over 3 MB (413) and content that is not what its name says (415, listing the allowed types)', async () => {
    const big = await upload('big.csv', Buffer.alloc(3 * 1024 * 1024 + 1, 'a'));
    expect(big.statusCode).toBe(413);
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      randomBytes(100),
    ]);
    const fake = await upload('people.csv', png);
    expect(fake.statusCode).toBe(415);
    expect(fake.json<Obj>().message).toContain('.csv, .xls, .xlsx');
    expect((await upload('tool.exe', Buffer.from('MZ'))).statusCode).toBe(415);
    expect((await upload('ok.png', png)).statusCode).toBe(200);
  });

  it('rejects bad mappings with 400 naming the entry, and another tenant’s parsing with 404', async () => {
    const file = json(await upload('m.csv', Buffer.from('Email\nx@acme.test\n')));
    const bad = await t.request({
      method: 'PUT',
      url: '/v1.1/parsings/manual',
      token: t.ownerToken,
      payload: { fileId: file.id, appName: 'X', mappings: [{ sourceColumn: 'Mail', targetField: 'email' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Obj>().message).toContain('mappings[0].sourceColumn');
    expect(bad.json<Obj>().message).toContain("no column 'Mail'");
    const otherToken = await createTenant(t, 'Files Other', 'files-other');
    expect(
      (await t.request({ method: 'GET', url: `/v1.1/parsings/${file.parsingId}`, token: otherToken }))
        .statusCode,
    ).toBe(404);
    expect(
      (await t.request({ method: 'GET', url: `/api/files/${file.id}/content`, token: otherToken }))
        .statusCode,
    ).toBe(404);
  });

  it('signed upload URLs: streamed, single use, tamper-proof, expiring', async () => {
    const made = await t.request({
      method: 'GET',
      url: '/v1.1/files/url?name=large.csv',
      token: t.ownerToken,
    });
    expectContract(CONTRACT, 'get', '/files/url', made);
    const { url, fileId } = json(made);
    const path = `${new URL(url).pathname}${new URL(url).search}`;
    const body = Buffer.from(
      `Email\n${Array.from({ length: 5000 }, (_, i) => `u${i}@acme.test`).join('\n')}\n`,
    );
    const put = await t.request({
      method: 'PUT',
      url: path,
      payload: body,
      headers: { 'content-type': 'text/csv' },
    });
    expect(json(put)).toMatchObject({
      fileId,
      name: 'large.csv',
      sizeBytes: body.length,
      parsingId: expect.any(String),
    });
    expect((await t.request({ method: 'PUT', url: path, payload: body })).statusCode).toBe(409);
    const fresh = json(
      await t.request({ method: 'GET', url: '/v1.1/files/url?name=x.csv', token: t.ownerToken }),
    );
    const freshPath = `${new URL(fresh.url).pathname}${new URL(fresh.url).search}`;
    const tampered = `${freshPath.slice(0, -3)}${freshPath.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect((await t.request({ method: 'PUT', url: tampered, payload: body })).statusCode).toBe(403);
    await new Promise((r) => setTimeout(r, 2200));
    const expired = await t.request({ method: 'PUT', url: freshPath, payload: body });
    expect(expired.statusCode).toBe(403);
    expect(expired.body).toContain('expired');
  });
});
