import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../src/modules/auth/actor.js';
import { IMPORT_JOB } from '../src/modules/imports/import-job.js';
import { createTenant, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;
const CONTRACT = 'torii-v1.openapi.yaml';

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

/** Parsings edge cases beyond test/manage-file-imports.test.ts: targets, failures, isolation, audit. */
describe('Torii parsings: mapped imports', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Imports are polled until they settle: the default per-token rate limit (600/min) is not under test here.
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    await t.app.queue.start();
  });
  afterAll(() => t.close());

  const json = (res: TestResponse, status = 200) => {
    expect(res.statusCode, res.body).toBe(status);
    return res.json<Obj>();
  };
  const upload = async (filename: string, content: string) =>
    json(
      await t.request({
        method: 'POST',
        url: '/v1.1/files/upload',
        token: t.ownerToken,
        ...multipart(filename, Buffer.from(content)),
      }),
    );
  const map = (payload: Obj, token = t.ownerToken) =>
    t.request({ method: 'PUT', url: '/v1.1/parsings/manual', token, payload });
  async function settled(id: string): Promise<Obj> {
    for (let i = 0; i < 200; i++) {
      const res = await t.request({ method: 'GET', url: `/v1.1/parsings/${id}`, token: t.ownerToken });
      const parsing = json(res);
      if (parsing.status === 'completed' || parsing.status === 'failed') {
        expectContract(CONTRACT, 'get', '/parsings/{id}', res);
        return parsing;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`parsing ${id} did not settle`);
  }

  it('imports transactions, refusing (not failing on) dates it cannot read', async () => {
    const file = await upload(
      'spend.csv',
      'Date,Amount,Currency\n2026-10-01,10.00,USD\n11/01/2026,20.00,USD\nMarch 3 2026,5,EUR\n',
    );
    json(
      await map({
        fileId: file.id,
        appName: 'Spend App',
        target: 'transactions',
        mappings: [
          { sourceColumn: 'Date', targetField: 'date' },
          { sourceColumn: 'Amount', targetField: 'amount' },
          { sourceColumn: 'Currency', targetField: 'currency' },
        ],
      }),
    );
    const done = await settled(file.parsingId);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'completed',
      result: { rows: 3, imported: 1, rejected: 2 },
    });
    expect(done.result.errors.map((e: Obj) => [e.index, e.field])).toEqual([
      [3, 'date'],
      [4, 'date'],
    ]);
  });

  it('refuses a row the entity schema refuses (a 600-character name) without failing the import', async () => {
    const file = await upload('long.csv', `Email,Name\nok@acme.test,Ok\nlong@acme.test,${'n'.repeat(600)}\n`);
    json(
      await map({
        fileId: file.id,
        appName: 'Long Names',
        mappings: [
          { sourceColumn: 'Email', targetField: 'email' },
          { sourceColumn: 'Name', targetField: 'name' },
        ],
      }),
    );
    const done = await settled(file.parsingId);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'completed',
      result: { imported: 1, rejected: 1, errors: [{ field: 'name', index: 3 }] },
    });
    // The instance takes the next sync: nothing was left running.
    const again = await t.request({
      method: 'POST',
      url: '/v1.1/services/sync/custom',
      token: t.ownerToken,
      payload: { appName: 'Long Names', users: [{ email: 'ok@acme.test' }] },
    });
    expect(again.statusCode, again.body).toBe(200);
  });

  it('imports contracts of an app', async () => {
    const file = await upload(
      'contracts.csv',
      'Name,Start,End,Amount,Currency\nAnnual,2026-01-01,2026-12-31,1200,USD\n,2026-01-01,,1,USD\n',
    );
    json(
      await map({
        fileId: file.id,
        appName: 'Contracted App',
        target: 'contracts',
        mappings: [
          { sourceColumn: 'Name', targetField: 'name' },
          { sourceColumn: 'Start', targetField: 'startDate' },
          { sourceColumn: 'End', targetField: 'endDate' },
          { sourceColumn: 'Amount', targetField: 'amount' },
          { sourceColumn: 'Currency', targetField: 'currency' },
        ],
      }),
    );
    const done = await settled(file.parsingId);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'completed',
      result: { imported: 1, rejected: 1, errors: [{ field: 'name', index: 3 }] },
    });
    const contracts = await t.app.store.db
      .selectFrom('contracts as c')
      .innerJoin('apps as a', 'a.id', 'c.app_id')
      .select(['c.name'])
      .where('a.name', '=', 'Contracted App')
      .execute();
    expect(contracts).toEqual([{ name: 'Annual' }]);
  });

  it('an accounts file listing one email twice (any case) refuses the repeat, naming the first row', async () => {
    const file = await upload('dups.csv', 'Email\nann@acme.test\nbob@acme.test\nANN@acme.test\n');
    json(
      await map({
        fileId: file.id,
        appName: 'Dup App',
        mappings: [{ sourceColumn: 'Email', targetField: 'email' }],
      }),
    );
    const done = await settled(file.parsingId);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'completed',
      result: { rows: 3, imported: 2, rejected: 1 },
    });
    expect(done.result.errors).toEqual([
      { field: 'email', problem: expect.stringContaining('repeats row 2'), index: 4 },
    ]);
    const accounts = await t.app.store.db
      .selectFrom('app_accounts as a')
      .innerJoin('apps as p', 'p.id', 'a.app_id')
      .select(['a.email'])
      .where('p.name', '=', 'Dup App')
      .execute();
    expect(accounts).toHaveLength(2);
  });

  it('a retried import (the worker died mid-upload) cancels the dead attempt’s sync and completes', async () => {
    const file = await upload('resume.csv', 'Email\nann@acme.test\nbob@acme.test\n');
    const row = await t.app.store.db
      .selectFrom('parsings')
      .select(['tenant_id', 'id'])
      .where('id', '=', file.parsingId)
      .executeTakeFirstOrThrow();
    const actor = systemActor(row.tenant_id, 'test');
    const { customSync, syncs } = t.app.services;
    // What a worker that died after starting its sync leaves behind.
    const instance = await customSync.instanceFor(actor, 'Resume App');
    const dead = await syncs.create(actor, instance.id);
    await t.app.store.db
      .updateTable('parsings')
      .set({ status: 'importing', target: 'accounts', sync_id: dead.id })
      .where('id', '=', row.id)
      .execute();
    await t.app.queue.enqueue(row.tenant_id, IMPORT_JOB, {
      parsingId: row.id,
      appName: 'Resume App',
      mapping: { email: 'Email' },
    });
    const done = await settled(file.parsingId);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', result: { imported: 2 } });
    expect((await syncs.get(actor, instance.id, dead.id)).status).toBe('failed');
  });

  it('a file with no importable row fails with a reason and every row listed', async () => {
    const file = await upload('bad.csv', 'Email\nnope\nstill-nope\n');
    json(
      await map({
        fileId: file.id,
        appName: 'Nothing App',
        mappings: [{ sourceColumn: 'Email', targetField: 'email' }],
      }),
    );
    const done = await settled(file.parsingId);
    expect(done).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(/no row/i),
      result: { rows: 2, imported: 0, rejected: 2 },
    });
    expect(done.result.errors.map((e: Obj) => e.index)).toEqual([2, 3]);
  });

  it('mapping the same file twice is a conflict; every mapping problem is a 400 naming its entry', async () => {
    const file = await upload('twice.csv', 'Email,Role\nann@acme.test,admin\n');
    const mappings = [{ sourceColumn: 'Email', targetField: 'email' }];
    const bad = await map({
      fileId: file.id,
      target: 'gadgets',
      mappings: [{ sourceColumn: 'Role', targetField: 'color' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Obj>()).toMatchObject({
      error: expect.any(String),
      message: expect.stringContaining('target'),
    });
    const missing = await map({
      fileId: file.id,
      appName: 'Twice',
      mappings: [{ sourceColumn: 'Role', targetField: 'role' }],
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json<Obj>().message).toContain("'email'");
    const first = await map({ fileId: file.id, appName: 'Twice', mappings });
    expectContract(CONTRACT, 'put', '/parsings/manual', first);
    await settled(file.parsingId);
    expect((await map({ fileId: file.id, appName: 'Twice', mappings })).statusCode).toBe(409);
  });

  it('two mappings to one target field are a 400 naming the second; the parsing stays mappable', async () => {
    const file = await upload('same-target.csv', 'email,name\nsame@acme.test,Same\n');
    const twice = await map({
      fileId: file.id,
      target: 'accounts',
      appName: 'Same Target',
      mappings: [
        { sourceColumn: 'email', targetField: 'email' },
        { sourceColumn: 'name', targetField: 'EMAIL' },
      ],
    });
    expect(twice.statusCode, twice.body).toBe(400);
    expect(twice.json<Obj>().message).toContain('mappings[1].targetField');
    expect(twice.json<Obj>().message).toContain('mappings[0]');
    const still = json(
      await t.request({ method: 'GET', url: `/v1.1/parsings/${file.parsingId}`, token: t.ownerToken }),
    );
    expect(still).toMatchObject({ status: 'ready', target: null });
    json(
      await map({
        fileId: file.id,
        target: 'accounts',
        appName: 'Same Target',
        mappings: [
          { sourceColumn: 'email', targetField: 'email' },
          { sourceColumn: 'name', targetField: 'name' },
        ],
      }),
    );
    expect(await settled(file.parsingId)).toMatchObject({ status: 'completed', result: { imported: 1 } });
  });

  it('another tenant’s file or parsing is 404; viewers cannot import', async () => {
    const file = await upload('mine.csv', 'Email\nx@acme.test\n');
    const otherToken = await createTenant(t, 'Parsings Other', 'parsings-other');
    const theirs = await map(
      { fileId: file.id, appName: 'X', mappings: [{ sourceColumn: 'Email', targetField: 'email' }] },
      otherToken,
    );
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json<Obj>().message).toBeDefined();
    expect(
      (await t.request({ method: 'GET', url: '/v1.0/parsings/prs_nope', token: t.ownerToken })).statusCode,
    ).toBe(404);
    const viewer = json(
      await t.request({
        method: 'POST',
        url: '/api/tokens',
        token: t.ownerToken,
        payload: { name: 'v', role: 'viewer' },
      }),
      201,
    ).token;
    expect(
      (
        await map(
          { fileId: file.id, appName: 'X', mappings: [{ sourceColumn: 'Email', targetField: 'email' }] },
          viewer,
        )
      ).statusCode,
    ).toBe(403);
  });

  it('audits the import it starts', async () => {
    const file = await upload('audited.csv', 'Email\naudit@acme.test\n');
    json(
      await map({
        fileId: file.id,
        appName: 'Audited',
        mappings: [{ sourceColumn: 'Email', targetField: 'email' }],
      }),
    );
    await settled(file.parsingId);
    const actions = await t.app.store.db
      .selectFrom('audit_entries')
      .select(['action', 'target_id'])
      .where('target_id', 'in', [file.id, file.parsingId])
      .execute();
    expect(actions.map((a) => a.action).sort()).toEqual(['file.uploaded', 'parsing.import_started']);
  });
});
