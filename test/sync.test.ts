import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '../src/platform/db/json.js';
import { createInstance, createToken, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectAuthRules } from './helpers/auth-rules.js';
import { expectContract } from './helpers/contract.js';
import { skipPostgres, testDb } from './helpers/db.js';

const C = 'zluri-sync-v2.openapi.yaml';
const P = {
  instances: '/integrations-sync/instances',
  instance: '/integrations-sync/instances/{instance_id}',
  syncs: '/integrations-sync/instances/{instance_id}/syncs',
  sync: '/integrations-sync/instances/{instance_id}/syncs/{sync_id}',
  finish: '/integrations-sync/instances/{instance_id}/syncs/{sync_id}/finish',
  snapshots: '/integrations-sync/instances/{instance_id}/syncs/{sync_id}/data/snapshots',
  facts: '/integrations-sync/instances/{instance_id}/syncs/{sync_id}/data/facts',
};

interface SyncBody {
  data: {
    id: string;
    status: string;
    phase: string;
    pages: number;
    records: number;
    result?: {
      entities: Record<string, Record<string, number>>;
      unresolved: { entity: string; field: string; value: string }[];
      baseline: string[];
    };
    failure_reason?: string;
  };
}

/** A user record whose email is at its own domain (people are per tenant: tests must not share them). */
function userAt(domain: string, n: number, overrides: Record<string, unknown> = {}) {
  return user(n, { email: `user${n}@${domain}`, ...overrides });
}

function user(n: number, overrides: Record<string, unknown> = {}) {
  return {
    id: `u${n}`,
    email: `user${n}@acme.com`,
    name: `User ${n}`,
    status: 'active',
    role: 'member',
    license: 'pro',
    ...overrides,
  };
}

describe.skipIf(skipPostgres)('push-sync (Zluri v2)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ SYNC_GUARD_MIN_ACTIVE: '10' });
    await t.app.queue.start();
    token = await createToken(t, 'integration');
  });
  afterAll(() => t.close());

  const v2 = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, as = token) =>
    t.request({
      method,
      url: `/v2${url}`,
      token: as,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  const newInstance = (appName: string) => createInstance(t, appName);

  async function push(
    instanceId: string,
    pages: { entity: string; data: unknown[]; kind?: 'facts' }[],
  ): Promise<TestResponse> {
    const sync = await v2('POST', `/integrations-sync/instances/${instanceId}/syncs`);
    expect(sync.statusCode).toBe(201);
    const syncId = sync.json<SyncBody>().data.id;
    const pageNo: Record<string, number> = {};
    for (const p of pages) {
      const key = `${p.kind ?? 'snapshots'}:${p.entity}`;
      pageNo[key] = (pageNo[key] ?? 0) + 1;
      const up = await v2(
        'POST',
        `/integrations-sync/instances/${instanceId}/syncs/${syncId}/data/${p.kind ?? 'snapshots'}`,
        {
          entity: p.entity,
          page: pageNo[key],
          data: p.data,
        },
      );
      expect(up.statusCode, up.body).toBe(200);
    }
    return v2('POST', `/integrations-sync/instances/${instanceId}/syncs/${syncId}/finish`);
  }

  it('links each account to the person with its email: an existing one, one made per new email, another when it changes', async () => {
    const a = await newInstance('Linked A');
    const b = await newInstance('Linked B');
    const db = t.app.store.db;
    const personOf = async (instanceId: string, externalId: string) =>
      (
        await db
          .selectFrom('app_accounts')
          .select('person_id')
          .where('instance_id', '=', instanceId)
          .where('external_id', '=', externalId)
          .executeTakeFirstOrThrow()
      ).person_id;
    const peopleWith = (emailLc: string) =>
      db.selectFrom('people').select('id').where('email_lc', '=', emailLc).execute();
    expect((await push(a, [{ entity: 'users', data: [userAt('links.test', 1)] }])).statusCode).toBe(200);
    const [ann] = await peopleWith('user1@links.test');
    expect(ann).toBeDefined();
    /** B's snapshot: u1 at `email`, u2 and u3 sharing a new email (in two cases). */
    const pushB = (email: string) =>
      push(b, [
        {
          entity: 'users',
          data: [
            user(1, { email }),
            user(2, { email: 'new@links.test' }),
            user(3, { email: 'New@links.test' }),
          ],
        },
      ]);
    const first = await pushB('USER1@Links.test');
    expect(first.json<SyncBody>().data.status).toBe('finished');
    expect(await personOf(b, 'u1')).toBe(ann?.id);
    const made = await peopleWith('new@links.test');
    expect(made).toHaveLength(1);
    expect(await personOf(b, 'u2')).toBe(made[0]?.id);
    expect(await personOf(b, 'u3')).toBe(made[0]?.id);
    expect(await peopleWith('user1@links.test')).toHaveLength(1);
    // u1 now uses the other email: its account follows it to that person.
    const second = await pushB('new@links.test');
    expect(second.json<SyncBody>().data.status).toBe('finished');
    expect(await personOf(b, 'u1')).toBe(made[0]?.id);
    expect(await personOf(a, 'u1')).toBe(ann?.id);
  });

  it('lists, reads and updates instances per the contract', async () => {
    const id = await newInstance('Slack');
    const list = await v2('GET', '/integrations-sync/instances');
    expectContract(C, 'GET', P.instances, list);
    expect(list.json<{ data: { id: string }[] }>().data.map((i) => i.id)).toContain(id);
    const one = await v2('GET', `/integrations-sync/instances/${id}`);
    expectContract(C, 'GET', P.instance, one);
    const updated = await v2('PUT', `/integrations-sync/instances/${id}`, {
      name: 'Slack EU',
      notification_emails: ['it@acme.com'],
    });
    expectContract(C, 'PUT', P.instance, updated);
    expect(updated.json<{ data: { name: string; notification_emails: string[] } }>().data).toMatchObject({
      name: 'Slack EU',
      notification_emails: ['it@acme.com'],
    });
    const badEmail = await v2('PUT', `/integrations-sync/instances/${id}`, {
      notification_emails: ['not-an-email'],
    });
    expect(badEmail.statusCode).toBe(400);
    expectContract(C, 'PUT', P.instance, badEmail);
    expect(badEmail.json<{ error: string }>().error).toContain('notification_emails/0');
    const emptyName = await v2('PUT', `/integrations-sync/instances/${id}`, { name: '  ' });
    expect(emptyName.statusCode).toBe(400);
    expect(emptyName.json<{ error: string }>().error).toContain('name');
    const missing = await v2('GET', '/integrations-sync/instances/ins_nope');
    expect(missing.statusCode).toBe(404);
    expectContract(C, 'GET', P.instance, missing);
  });

  it('allows one running sync per instance (409 naming it) and refuses inactive instances', async () => {
    const id = await newInstance('Zoom');
    const first = await v2('POST', `/integrations-sync/instances/${id}/syncs`);
    expectContract(C, 'POST', P.syncs, first);
    const runningId = first.json<SyncBody>().data.id;
    const second = await v2('POST', `/integrations-sync/instances/${id}/syncs`);
    expect(second.statusCode).toBe(409);
    expectContract(C, 'POST', P.syncs, second);
    expect(second.json<{ error: string; code: string }>()).toMatchObject({ code: 'conflict' });
    expect(second.json<{ error: string }>().error).toContain(runningId);
    const cancelled = await t.request({
      method: 'POST',
      url: `/api/syncs/${runningId}/cancel`,
      token: t.ownerToken,
    });
    expect(cancelled.json<SyncBody>().data.status).toBe('failed');
    await t.request({
      method: 'PATCH',
      url: `/api/instances/${id}`,
      token: t.ownerToken,
      payload: { status: 'inactive' },
    });
    const refused = await v2('POST', `/integrations-sync/instances/${id}/syncs`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ error: string }>().error).toMatch(/inactive/);
  });

  it('rejects bad envelopes with 400 and bad records with 422 listing each, storing nothing', async () => {
    const id = await newInstance('Figma');
    const syncId = (await v2('POST', `/integrations-sync/instances/${id}/syncs`)).json<SyncBody>().data.id;
    const url = `/integrations-sync/instances/${id}/syncs/${syncId}/data/snapshots`;
    const zeroPage = await v2('POST', url, { entity: 'users', page: 0, data: [] });
    expect(zeroPage.statusCode).toBe(400);
    expectContract(C, 'POST', P.snapshots, zeroPage);
    expect(zeroPage.json<{ error: string }>().error).toContain('body/page');
    const tooMany = await v2('POST', url, {
      entity: 'users',
      page: 1,
      data: Array.from({ length: 1001 }, (_, i) => user(i)),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json<{ error: string }>().error).toContain('body/data');
    const unknownEntity = await v2('POST', url, { entity: 'printers', page: 1, data: [] });
    expect(unknownEntity.statusCode).toBe(400);
    const snapshotToFacts = await v2(
      'POST',
      `/integrations-sync/instances/${id}/syncs/${syncId}/data/facts`,
      { entity: 'users', page: 1, data: [user(1)] },
    );
    expect(snapshotToFacts.statusCode).toBe(400);
    expect(snapshotToFacts.json<{ error: string }>().error).toContain('body/entity');
    const bad = await v2('POST', url, {
      entity: 'users',
      page: 1,
      data: [
        user(1),
        { id: 'u2', email: 'nope' },
        user(3, { status: 'gone' }),
        { email: 'x@acme.com' },
        user(5, { shoe: 42 }),
      ],
    });
    expect(bad.statusCode).toBe(422);
    expectContract(C, 'POST', P.snapshots, bad);
    const problems = bad.json<{ details: { problems: { index: number; field: string }[] } }>().details
      .problems;
    expect(problems.map((p) => p.index)).toEqual([1, 2, 3, 4]);
    expect(problems.map((p) => p.field)).toEqual([
      'data/1/email',
      'data/2/status',
      'data/3/id',
      'data/4/shoe',
    ]);
    expect(bad.json<{ error: string }>().error).toMatch(/^4 record\(s\) break the users schema/);
    expect(problems.find((p) => p.field === 'data/2/status')).toMatchObject({
      problem: 'must be one of active, inactive, suspended',
    });
    // One record with three problems is one record; enum problems name the allowed values.
    const oneBad = await v2('POST', url, {
      entity: 'users',
      page: 1,
      data: [user(1), { id: 'u6', email: 'nope', status: 'gone', shoe: 1 }],
    });
    expect(oneBad.statusCode).toBe(422);
    expect(oneBad.json<{ error: string }>().error).toMatch(/^1 record\(s\) break the users schema/);
    expect(oneBad.json<{ details: { problems: unknown[] } }>().details.problems).toHaveLength(3);
    const nullableEnum = await v2('POST', url, {
      entity: 'contracts',
      page: 1,
      data: [{ id: 'c1', name: 'C', billing_period: 'weekly' }],
    });
    expect(nullableEnum.statusCode).toBe(422);
    expect(nullableEnum.json<{ error: string }>().error).toContain(
      'data/0/billing_period must be one of monthly, quarterly, annual, one_time or null',
    );
    const nope = await v2('POST', url, { entity: 'nope', page: 1, data: [] });
    expect(nope.statusCode).toBe(400);
    expectContract(C, 'POST', P.snapshots, nope);
    expect(nope.json<{ error: string }>().error).toBe(
      'body/entity: must be one of "users", "applications", "contracts", "transactions", "groups", "group_users", "roles", "activities"',
    );
    const status = await v2('GET', `/integrations-sync/instances/${id}/syncs/${syncId}`);
    expectContract(C, 'GET', P.sync, status);
    expect(status.json<SyncBody>().data.records).toBe(0);
  });

  it('stores synced contract amounts in minor units of their own currency, exactly', async () => {
    const id = await newInstance('Contracts Source');
    const finished = await push(id, [
      {
        entity: 'contracts',
        data: [
          { id: 'c-usd', name: 'USD', amount: 1.15, currency: 'USD' },
          { id: 'c-jpy', name: 'JPY', amount: 120000, currency: 'JPY' },
          { id: 'c-kwd', name: 'KWD', amount: 1.005, currency: 'KWD' },
        ],
      },
    ]);
    expect(finished.json<SyncBody>().data.status, finished.body).toBe('finished');
    const rows = await t.app.store.db
      .selectFrom('contracts')
      .select(['external_id', 'cost_minor'])
      .where('external_id', 'like', `${id}:%`)
      .orderBy('external_id')
      .execute();
    expect(rows.map((r) => [r.external_id, r.cost_minor])).toEqual([
      [`${id}:c-jpy`, 120000],
      [`${id}:c-kwd`, 1005],
      [`${id}:c-usd`, 115],
    ]);
  });

  it('refuses pages, finish and approval of a sync whose instance was made inactive; it can be cancelled', async () => {
    const id = await newInstance('Okta');
    const user = (n: number) => userAt('okta.test', n);
    const syncId = (await v2('POST', `/integrations-sync/instances/${id}/syncs`)).json<SyncBody>().data.id;
    const url = `/integrations-sync/instances/${id}/syncs/${syncId}`;
    const before = await v2('POST', `${url}/data/snapshots`, { entity: 'users', page: 1, data: [user(1)] });
    expect(before.statusCode).toBe(200);
    const setStatus = (status: string) =>
      t.request({ method: 'PATCH', url: `/api/instances/${id}`, token: t.ownerToken, payload: { status } });
    expect((await setStatus('inactive')).statusCode).toBe(200);
    const page = await v2('POST', `${url}/data/snapshots`, { entity: 'users', page: 2, data: [user(2)] });
    expect(page.statusCode).toBe(400);
    expectContract(C, 'POST', P.snapshots, page);
    expect(page.json<{ error: string; code: string }>()).toMatchObject({ code: 'bad_request' });
    expect(page.json<{ error: string }>().error).toMatch(/inactive/);
    const fact = await v2('POST', `${url}/data/facts`, {
      entity: 'activities',
      page: 1,
      data: [{ user_id: 'u1', timestamp: '2026-01-01T00:00:00Z', activity_type: 'login' }],
    });
    expect(fact.statusCode).toBe(400);
    const finish = await v2('POST', `${url}/finish`);
    expect(finish.statusCode).toBe(400);
    expectContract(C, 'POST', P.finish, finish);
    expect(finish.json<{ error: string }>().error).toMatch(/inactive/);
    const forced = await t.request({
      method: 'POST',
      url: `/v2${url}/finish?force=true`,
      token: t.ownerToken,
    });
    expect(forced.statusCode).toBe(400);
    const status = await v2('GET', url);
    expect(status.json<SyncBody>().data).toMatchObject({ status: 'running', phase: 'receiving', records: 1 });
    const accounts = await t.app.store.db
      .selectFrom('app_accounts')
      .select('id')
      .where('instance_id', '=', id)
      .execute();
    expect(accounts).toHaveLength(0);
    const cancelled = await t.request({
      method: 'POST',
      url: `/api/syncs/${syncId}/cancel`,
      token: t.ownerToken,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json<SyncBody>().data.status).toBe('failed');

    // A sync held by the guard is not approved while its instance is inactive.
    expect((await setStatus('active')).statusCode).toBe(200);
    const base = Array.from({ length: 20 }, (_, i) => user(i));
    expect((await push(id, [{ entity: 'users', data: base }])).statusCode).toBe(200);
    const held = await push(id, [{ entity: 'users', data: base.slice(0, 5) }]);
    expect(held.json<{ code: string }>().code).toBe('mass_deactivation_guard');
    const heldId = held.json<{ details: { sync_id: string } }>().details.sync_id;
    await setStatus('inactive');
    const approve = () =>
      t.request({ method: 'POST', url: `/api/syncs/${heldId}/approve`, token: t.ownerToken });
    const refusedApproval = await approve();
    expect(refusedApproval.statusCode).toBe(400);
    expect(refusedApproval.body).toMatch(/inactive/);
    await setStatus('active');
    const approved = await approve();
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json<SyncBody>().data.result?.entities.users).toMatchObject({ deactivated: 15 });
  });

  it('reports records superseded by a later record of the same id, in one page or across pages', async () => {
    const id = await newInstance('Asana');
    const user = (n: number, overrides: Record<string, unknown> = {}) => userAt('asana.test', n, overrides);
    const syncId = (await v2('POST', `/integrations-sync/instances/${id}/syncs`)).json<SyncBody>().data.id;
    const url = `/integrations-sync/instances/${id}/syncs/${syncId}`;
    const dup = (role: string) => user(9, { id: 'dup', email: 'dup@asana.test', role });
    // Seven records, five ids: 'dup' twice in page 1, u2 in both pages.
    for (const [page, data] of [
      [1, [user(1), dup('a'), user(2), dup('b')]],
      [2, [user(2, { role: 'admin' }), user(3), user(4)]],
    ] as const) {
      const up = await v2('POST', `${url}/data/snapshots`, { entity: 'users', page, data });
      expect(up.statusCode, up.body).toBe(200);
    }
    const finished = await v2('POST', `${url}/finish`);
    expectContract(C, 'POST', P.finish, finished);
    expect(finished.json<SyncBody>().data.result?.entities.users).toMatchObject({
      received: 5,
      created: 5,
      superseded: 2,
      rejected: 0,
    });
    const shown = await v2('GET', url);
    expectContract(C, 'GET', P.sync, shown);
    expect(shown.json<SyncBody>().data).toMatchObject({ records: 7 });
    expect(shown.json<SyncBody>().data.result?.entities.users).toMatchObject({ received: 5, superseded: 2 });
    const roles = await t.app.store.db
      .selectFrom('app_accounts')
      .select(['external_id', 'role'])
      .where('instance_id', '=', id)
      .where('external_id', 'in', ['dup', 'u2'])
      .orderBy('external_id')
      .execute();
    expect(roles).toEqual([
      { external_id: 'dup', role: 'b' },
      { external_id: 'u2', role: 'admin' },
    ]);
    // Without repeats, nothing is superseded.
    const plain = await push(id, [{ entity: 'users', data: [user(1), user(2)] }]);
    expect(plain.json<SyncBody>().data.result?.entities.users).toMatchObject({ received: 2, superseded: 0 });
  });

  it('audits a sync created and its finish requested, not its pages', async () => {
    const id = await newInstance('Notion');
    const user = (n: number) => userAt('notion.test', n);
    const finished = await push(id, [{ entity: 'users', data: [user(1)] }]);
    const syncId = finished.json<SyncBody>().data.id;
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select(['action', 'target_type', 'details'])
      .where('target_id', '=', syncId)
      .execute();
    expect(audit.map((a) => [a.action, a.target_type]).sort()).toEqual([
      ['sync.created', 'sync'],
      ['sync.finish_requested', 'sync'],
    ]);
    expect(audit.map((a) => parseJson<{ instanceId?: string }>(a.details, {}).instanceId)).toEqual([id, id]);
  });

  it('replaces a re-sent page, keeps staged data invisible until finish, then applies it', async () => {
    const id = await newInstance('GitHub');
    const syncId = (await v2('POST', `/integrations-sync/instances/${id}/syncs`)).json<SyncBody>().data.id;
    const url = `/integrations-sync/instances/${id}/syncs/${syncId}/data/snapshots`;
    const first = await v2('POST', url, { entity: 'users', page: 1, data: [user(1), user(2), user(3)] });
    expectContract(C, 'POST', P.snapshots, first);
    await v2('POST', url, { entity: 'users', page: 1, data: [user(1), user(2)] });
    await v2('POST', url, {
      entity: 'users',
      page: 2,
      data: [user(4, { first_name: 'Ada', last_name: 'Lovelace', name: undefined })],
    });
    const status = await v2('GET', `/integrations-sync/instances/${id}/syncs/${syncId}`);
    expect(status.json<SyncBody>().data).toMatchObject({
      pages: 2,
      records: 3,
      status: 'running',
      phase: 'receiving',
    });
    const visible = await t.app.store.db
      .selectFrom('app_accounts')
      .select('id')
      .where('instance_id', '=', id)
      .execute();
    expect(visible).toHaveLength(0);
    const finished = await v2('POST', `/integrations-sync/instances/${id}/syncs/${syncId}/finish`);
    expectContract(C, 'POST', P.finish, finished);
    const body = finished.json<SyncBody>().data;
    expect(body.status, body.failure_reason).toBe('finished');
    expect(body.result?.entities.users).toMatchObject({
      received: 3,
      created: 3,
      updated: 0,
      deactivated: 0,
    });
    expect(body.result?.baseline).toContain('users');
    const accounts = await t.app.store.db
      .selectFrom('app_accounts')
      .select(['external_id', 'name', 'person_id'])
      .where('instance_id', '=', id)
      .orderBy('external_id')
      .execute();
    expect(accounts.map((a) => a.external_id)).toEqual(['u1', 'u2', 'u4']);
    expect(accounts.find((a) => a.external_id === 'u4')?.name).toBe('Ada Lovelace');
    expect(accounts.every((a) => a.person_id)).toBe(true);
    const again = await v2('POST', `/integrations-sync/instances/${id}/syncs/${syncId}/finish`);
    expect(again.statusCode).toBe(400);
    expectContract(C, 'POST', P.finish, again);
    const late = await v2('POST', url, { entity: 'users', page: 3, data: [user(9)] });
    expect(late.statusCode).toBe(400);
  });

  it.runIf(testDb === 'sqlite')(
    'writes an applied sync into the SQLite database file once its result is reported',
    async () => {
      const id = await newInstance('Checkpointed');
      const finished = await push(id, [{ entity: 'users', data: [user(71), user(72)] }]);
      expect(finished.json<SyncBody>().data.status).toBe('finished');
      // The apply worker commits without a checkpoint and checkpoints after reporting: the rows
      // reach the database file itself (a copy of it alone is read, without the write-ahead log) with no later
      // write of the server's to carry them there.
      const file = join(t.app.config.dataDir, 'sightline.db');
      const dir = mkdtempSync(join(tmpdir(), 'sightline-file-'));
      const copy = join(dir, 'copy.db');
      const inFile = () => {
        copyFileSync(file, copy);
        const raw = new Database(copy, { fileMustExist: true });
        try {
          return raw.prepare('select count(*) from app_accounts where instance_id = ?').pluck().get(id);
        } finally {
          raw.close();
        }
      };
      try {
        await expect.poll(inFile, { timeout: 5000 }).toBe(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('diffs a second snapshot: new, changed, missing and reactivated records, with events', async () => {
    const id = await newInstance('Notion');
    const base = Array.from({ length: 10 }, (_, i) => user(i));
    expect((await push(id, [{ entity: 'users', data: base }])).json<SyncBody>().data.status).toBe('finished');
    const next = base
      .filter((u) => u.id !== 'u9')
      .map((u) =>
        u.id === 'u1'
          ? { ...u, role: 'admin' }
          : u.id === 'u2'
            ? { ...u, status: 'suspended' }
            : u.id === 'u3'
              ? { ...u, license: 'free' }
              : u,
      );
    next.push(user(10));
    const second = (await push(id, [{ entity: 'users', data: next }])).json<SyncBody>().data;
    expect(second.status).toBe('finished');
    expect(second.result?.entities.users).toMatchObject({
      received: 10,
      created: 1,
      updated: 3,
      deactivated: 2,
      unchanged: 6,
    });
    const missing = await t.app.store.db
      .selectFrom('app_accounts')
      .select(['status', 'deactivated_at'])
      .where('instance_id', '=', id)
      .where('external_id', '=', 'u9')
      .executeTakeFirstOrThrow();
    expect(missing.status).toBe('inactive');
    expect(missing.deactivated_at).toBeTruthy();
    const events = await t.app.store.db
      .selectFrom('events')
      .select(['type', 'payload'])
      .where(
        'tenant_id',
        '=',
        t.app.store.db
          ? (
              await t.app.store.db
                .selectFrom('instances')
                .select('tenant_id')
                .where('id', '=', id)
                .executeTakeFirstOrThrow()
            ).tenant_id
          : '',
      )
      .execute();
    const types = events.filter((e) => JSON.stringify(e.payload).includes(id)).map((e) => e.type);
    for (const type of [
      'app_user.role_changed',
      'app_user.license_changed',
      'user.deactivated',
      'app_user.removed',
      'app_user.added',
      'user.created',
      'sync.finished',
    ]) {
      expect(types, type).toContain(type);
    }
    // u9 comes back: reactivated.
    const third = (await push(id, [{ entity: 'users', data: [...next, user(9)] }])).json<SyncBody>().data;
    expect(third.result?.entities.users).toMatchObject({ reactivated: 1 });
  });

  it("keeps the management face's app figures current after a finish", async () => {
    const id = await newInstance('Figma Figures');
    const data = Array.from({ length: 4 }, (_, i) => user(100 + i, i === 3 ? { status: 'inactive' } : {}));
    expect((await push(id, [{ entity: 'users', data }])).json<SyncBody>().data.status).toBe('finished');
    const apps = await t.request({
      method: 'GET',
      url: '/v1.1/apps?name=Figma%20Figures&fields=id,name,activeUsers,totalUsers',
      token: t.ownerToken,
    });
    expect(apps.statusCode, apps.body).toBe(200);
    const app = apps
      .json<{ data: { name: string; activeUsers: number; totalUsers: number }[] }>()
      .data.find((a) => a.name === 'Figma Figures');
    expect(app).toMatchObject({ activeUsers: 3, totalUsers: 4 });
  });

  it('appends facts idempotently and resolves references, reporting what does not resolve', async () => {
    const id = await newInstance('Asana');
    const activity = (n: number) => ({
      id: `a${n}`,
      user_id: 'u1',
      timestamp: `2026-11-0${n}T10:00:00Z`,
      activity_type: 'login',
    });
    const first = (
      await push(id, [
        { entity: 'users', data: [user(1), user(2)] },
        { entity: 'groups', data: [{ id: 'g1', name: 'Asana Admins' }] },
        {
          entity: 'group_users',
          data: [
            { group_id: 'g1', user_id: 'u1' },
            { group_id: 'g1', user_id: 'u404' },
            { group_id: 'g9', user_id: 'u2' },
          ],
        },
        { entity: 'activities', kind: 'facts', data: [activity(1), activity(2)] },
        {
          entity: 'transactions',
          kind: 'facts',
          data: [{ id: 't1', date: '2026-10-01', amount: 120.5, currency: 'USD' }],
        },
      ])
    ).json<SyncBody>().data;
    expect(first.status).toBe('finished');
    expect(first.result?.entities['facts:activities']).toMatchObject({ created: 2 });
    expect(first.result?.entities.group_users).toMatchObject({ created: 1, rejected: 2 });
    expect(first.result?.unresolved).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entity: 'group_users', field: 'user_id', value: 'u404' }),
        expect.objectContaining({ entity: 'group_users', field: 'group_id', value: 'g9' }),
      ]),
    );
    const second = (
      await push(id, [
        { entity: 'activities', kind: 'facts', data: [activity(1), activity(2), activity(3)] },
        {
          entity: 'transactions',
          kind: 'facts',
          data: [{ id: 't1', date: '2026-10-01', amount: 120.5, currency: 'USD' }],
        },
      ])
    ).json<SyncBody>().data;
    expect(second.result?.entities['facts:activities']).toMatchObject({
      received: 3,
      created: 1,
      duplicates: 2,
    });
    expect(second.result?.entities['facts:transactions']).toMatchObject({ created: 0, duplicates: 1 });
    const txn = await t.app.store.db
      .selectFrom('transactions')
      .select(['amount_minor', 'currency'])
      .where('instance_id', '=', id)
      .execute();
    expect(txn).toEqual([{ amount_minor: 12050, currency: 'USD' }]);
  });

  it('changes the SCIM versions (ETags) of a group and of the people whose membership a sync changes', async () => {
    const id = await newInstance('Linear Groups');
    const user = (n: number) => userAt('linear.test', n);
    const users = { entity: 'users', data: [user(1), user(2), user(3)] };
    const groups = { entity: 'groups', data: [{ id: 'g1', name: 'Linear Admins' }] };
    const members = (...ids: string[]) => ({
      entity: 'group_users',
      data: ids.map((u) => ({ group_id: 'g1', user_id: u })),
    });
    expect((await push(id, [users, groups, members('u1', 'u3')])).json<SyncBody>().data.status).toBe(
      'finished',
    );
    const scim = (path: string, headers: Record<string, string> = {}) =>
      t.request({ method: 'GET', url: `/scim/v2${path}`, token: t.ownerToken, headers });
    const one = async (path: string) =>
      (await scim(path)).json<{ Resources: Record<string, unknown>[] }>().Resources[0];
    const group = await one(`/Groups?filter=${encodeURIComponent('displayName eq "Linear Admins"')}`);
    const person = async (n: number) =>
      one(`/Users?filter=${encodeURIComponent(`userName eq "user${n}@linear.test"`)}`);
    const etag = (r: Record<string, unknown> | undefined) =>
      (r?.meta as { version?: string } | undefined)?.version;
    const before = {
      group: etag(group),
      u1: etag(await person(1)),
      u2: etag(await person(2)),
      u3: etag(await person(3)),
    };
    expect(
      (await scim(`/Groups/${String(group?.id)}`, { 'if-none-match': String(before.group) })).statusCode,
    ).toBe(304);

    // u1 leaves, u2 joins, u3 stays.
    expect((await push(id, [users, groups, members('u2', 'u3')])).json<SyncBody>().data.status).toBe(
      'finished',
    );
    const fresh = await scim(`/Groups/${String(group?.id)}`, { 'if-none-match': String(before.group) });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json<{ members: { value: string }[] }>().members).toHaveLength(2);
    expect(etag(await person(1))).not.toBe(before.u1);
    expect(etag(await person(2))).not.toBe(before.u2);
    expect(etag(await person(3))).toBe(before.u3);
    // The same memberships again: nothing changes, nor do the versions.
    const groupNow = etag(fresh.json());
    await push(id, [users, groups, members('u2', 'u3')]);
    expect(etag((await scim(`/Groups/${String(group?.id)}`)).json())).toBe(groupNow);
  });

  it('holds a finish that would deactivate too many accounts, then applies it once approved', async () => {
    const id = await newInstance('Dropbox');
    const base = Array.from({ length: 20 }, (_, i) => user(i));
    await push(id, [{ entity: 'users', data: base }]);
    const held = await push(id, [{ entity: 'users', data: base.slice(0, 10) }]);
    expect(held.statusCode).toBe(400);
    expectContract(C, 'POST', P.finish, held);
    expect(held.json<{ code: string }>().code).toBe('mass_deactivation_guard');
    const heldBody = held.json<{
      code: string;
      details: { reason: string; sync_id: string; deactivating: number };
    }>();
    expect(heldBody.details).toMatchObject({ reason: 'mass_deactivation_guard', deactivating: 10 });
    const still = await t.app.store.db
      .selectFrom('app_accounts')
      .select('id')
      .where('instance_id', '=', id)
      .where('status', '=', 'active')
      .execute();
    expect(still).toHaveLength(20);
    const syncId = heldBody.details.sync_id;
    const forced = await v2('POST', `/integrations-sync/instances/${id}/syncs/${syncId}/finish?force=true`);
    expect(forced.statusCode).toBe(403);
    expect(forced.body).toContain('sync:approve');
    const approved = await t.request({
      method: 'POST',
      url: `/api/syncs/${syncId}/approve`,
      token: t.ownerToken,
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json<SyncBody>().data.result?.entities.users).toMatchObject({ deactivated: 10 });
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('action', '=', 'sync.approved')
      .where('target_id', '=', syncId)
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('fails idle syncs and frees the instance; reports freshness per source', async () => {
    const id = await newInstance('Miro');
    await push(id, [{ entity: 'users', data: [user(1)] }]);
    const syncId = (await v2('POST', `/integrations-sync/instances/${id}/syncs`)).json<SyncBody>().data.id;
    await t.app.store.db
      .updateTable('syncs')
      .set({ last_activity_at: '2020-01-01T00:00:00.000Z' })
      .where('id', '=', syncId)
      .execute();
    expect(await t.app.services.syncs.expireIdle()).toBeGreaterThanOrEqual(1);
    const status = (await v2('GET', `/integrations-sync/instances/${id}/syncs/${syncId}`)).json<SyncBody>()
      .data;
    expect(status.status).toBe('failed');
    expect(status.failure_reason).toMatch(/idle/);
    expect((await v2('POST', `/integrations-sync/instances/${id}/syncs`)).statusCode).toBe(201);
    const fresh = await t.request({ method: 'GET', url: '/api/freshness?entity=users', token: t.ownerToken });
    const body = fresh.json<{
      tables: Record<string, { complete_as_of: string }>;
      sources: { instance_id: string; complete_as_of: string }[];
    }>();
    expect(body.sources.map((s) => s.instance_id)).toContain(id);
    expect(body.tables.users?.complete_as_of).toBe(body.sources.map((s) => s.complete_as_of).sort()[0]);
  });

  it('publishes every entity record schema in the OpenAPI document', async () => {
    const doc = (await t.request({ method: 'GET', url: '/openapi/sync.json' })).json<{
      components: { schemas: Record<string, unknown> };
      paths: Record<string, unknown>;
    }>();
    for (const name of [
      'SyncUserRecord',
      'SyncApplicationRecord',
      'SyncContractRecord',
      'SyncTransactionRecord',
      'SyncGroupRecord',
      'SyncGroupUserRecord',
      'SyncRoleRecord',
      'SyncActivityRecord',
    ]) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/v2/'))).toBe(true);
  });

  it('keeps tenants apart and applies the auth rules', async () => {
    const id = await newInstance('Box');
    const other = await t.request({
      method: 'POST',
      url: '/api/tenants',
      token: t.ownerToken,
      payload: { name: 'Other Co' },
    });
    const otherToken = other.json<{ ownerToken: string }>().ownerToken;
    expect((await v2('GET', `/integrations-sync/instances/${id}`, undefined, otherToken)).statusCode).toBe(
      404,
    );
    expect(
      (await v2('POST', `/integrations-sync/instances/${id}/syncs`, undefined, otherToken)).statusCode,
    ).toBe(404);
    const list = await v2('GET', '/integrations-sync/instances', undefined, otherToken);
    expect(list.json<{ data: unknown[] }>().data).toHaveLength(0);
    const unauthorized = await v2('GET', '/integrations-sync/instances', undefined, '');
    expect(unauthorized.statusCode).toBe(401);
    expectContract(C, 'GET', P.instances, unauthorized);
    await expectAuthRules(t, {
      prefix: '/v2/integrations-sync',
      errorMessage: (b) => (b as { error: string }).error,
    });
  });
});

describe.runIf(testDb === 'sqlite')('closing the server right after a finish (SQLite)', () => {
  it('waits for the apply worker to exit, then closes last: the write-ahead log is folded in', async () => {
    const t = await startTestApp();
    try {
      await t.app.queue.start();
      const token = await createToken(t, 'integration');
      const post = (url: string, payload?: object) =>
        t.request({ method: 'POST', url, token, ...(payload ? { payload } : {}) });
      const instance = await post('/api/instances', { appName: 'Closing' });
      const base = `/v2/integrations-sync/instances/${instance.json<{ data: { id: string } }>().data.id}/syncs`;
      const syncId = (await post(base)).json<SyncBody>().data.id;
      // Large enough that the worker's checkpoint after reporting is still running when close starts.
      for (let page = 1; page <= 20; page++) {
        const data = Array.from({ length: 1000 }, (_, i) => user((page - 1) * 1000 + i));
        expect(
          (await post(`${base}/${syncId}/data/snapshots`, { entity: 'users', page, data })).statusCode,
        ).toBe(200);
      }
      const finished = await post(`${base}/${syncId}/finish`);
      expect(finished.json<SyncBody>().data.status).toBe('finished');
    } finally {
      await t.close();
    }
    const wal = join(t.app.config.dataDir, 'sightline.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0, 'no write-ahead log left after close').toBe(true);
  });
});
