import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '../src/platform/db/json.js';
import { createInstance, createToken, startTestApp, systemTenantId, type TestApp } from './helpers/app.js';
import { skipPostgres, testDb } from './helpers/db.js';

interface SyncData {
  id: string;
  status: string;
  result?: { entities: Record<string, Record<string, number>>; events: number };
  failure_reason?: string;
}

function user(n: number, overrides: Record<string, unknown> = {}) {
  return { id: `u${n}`, email: `user${n}@staging.test`, name: `User ${n}`, role: 'member', ...overrides };
}

describe.skipIf(skipPostgres)('push-sync staging: keys, digests, repeated ids, cleanup', () => {
  let t: TestApp;
  let token: string;
  let tenantId: string;
  beforeAll(async () => {
    t = await startTestApp({ SYNC_GUARD_MIN_ACTIVE: '5' });
    await t.app.queue.start();
    token = await createToken(t, 'integration');
    tenantId = await systemTenantId(t);
  });
  afterAll(() => t.close());

  const v2 = (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.request({ method, url: `/v2/integrations-sync${url}`, token, ...(payload ? { payload } : {}) });

  const newInstance = (appName: string) => createInstance(t, appName);

  async function startSync(instanceId: string): Promise<string> {
    return (await v2('POST', `/instances/${instanceId}/syncs`)).json<{ data: { id: string } }>().data.id;
  }

  async function page(instanceId: string, syncId: string, n: number, data: unknown[]) {
    const up = await v2('POST', `/instances/${instanceId}/syncs/${syncId}/data/snapshots`, {
      entity: 'users',
      page: n,
      data,
    });
    expect(up.statusCode, up.body).toBe(200);
  }

  async function finish(instanceId: string, syncId: string): Promise<SyncData> {
    return (await v2('POST', `/instances/${instanceId}/syncs/${syncId}/finish`)).json<{ data: SyncData }>()
      .data;
  }

  async function push(instanceId: string, data: unknown[]): Promise<SyncData> {
    const syncId = await startSync(instanceId);
    await page(instanceId, syncId, 1, data);
    return finish(instanceId, syncId);
  }

  const accounts = (instanceId: string) =>
    t.app.store.db
      .selectFrom('app_accounts')
      .select(['external_id', 'role', 'status', 'digest', 'updated_at'])
      .where('instance_id', '=', instanceId)
      .orderBy('external_id')
      .execute();

  /** A table's row count, or null when there is no such table. */
  const rowCount = async (table: string): Promise<number | null> => {
    const tables = await t.app.store.db.introspection.getTables();
    if (!tables.some((found) => found.name === table)) return null;
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.id(table)}`.execute(
      t.app.store.db,
    );
    return Number(rows[0]?.n);
  };
  /** The sync's keys table's row count, or null once it is dropped (or kept as its instance's). */
  const stagedKeys = (syncId: string) => rowCount(`staged_keys_${syncId}`);

  it('keeps the last page’s version of an id sent twice, and the earlier one when that page is re-sent without it', async () => {
    const id = await newInstance('Repeats');
    const syncId = await startSync(id);
    await page(id, syncId, 1, [user(1, { role: 'viewer' }), user(2)]);
    await page(id, syncId, 2, [user(1, { role: 'admin' }), user(3)]);
    // Within a page the later record wins too.
    await page(id, syncId, 3, [user(4, { role: 'a' }), user(4, { role: 'b' })]);
    const sync = () =>
      t.app.store.db
        .selectFrom('syncs')
        .select(['repeated_ids', 'staged_keys'])
        .where('id', '=', syncId)
        .executeTakeFirstOrThrow();
    expect(await sync()).toEqual({ repeated_ids: 1, staged_keys: 5 });
    // Page 2 again, without u1: page 1's u1 is the only version left.
    await page(id, syncId, 2, [user(3)]);
    expect((await sync()).staged_keys).toBe(4);
    const done = await finish(id, syncId);
    expect(done.status, done.failure_reason).toBe('finished');
    // u4's first record lost to its second; page 2's replaced version of u1 is not counted.
    expect(done.result?.entities.users).toMatchObject({ received: 4, created: 4, superseded: 1 });
    const rows = await accounts(id);
    expect(rows.map((r) => [r.external_id, r.role])).toEqual([
      ['u1', 'viewer'],
      ['u2', 'member'],
      ['u3', 'member'],
      ['u4', 'b'],
    ]);

    // A later sync repeating u2 across pages: the last page's version is applied.
    const next = await startSync(id);
    await page(id, next, 1, [
      user(1, { role: 'viewer' }),
      user(2, { role: 'owner' }),
      user(3),
      user(4, { role: 'b' }),
    ]);
    await page(id, next, 2, [user(2, { role: 'billing' })]);
    const second = await finish(id, next);
    expect(second.result?.entities.users).toMatchObject({
      received: 4,
      created: 0,
      updated: 1,
      unchanged: 3,
      superseded: 1,
    });
    expect((await accounts(id)).find((r) => r.external_id === 'u2')?.role).toBe('billing');
  });

  it('writes nothing for a snapshot identical to the last one, and compares field by field where the digest is unknown', async () => {
    const id = await newInstance('Digests');
    const data = Array.from({ length: 8 }, (_, i) => user(10 + i));
    expect((await push(id, data)).status).toBe('finished');
    const before = await accounts(id);
    expect(before.every((a) => typeof a.digest === 'number')).toBe(true);
    const same = await push(id, data);
    expect(same.result?.entities.users).toMatchObject({ received: 8, created: 0, updated: 0, unchanged: 8 });
    expect(await accounts(id)).toEqual(before);
    // The applied snapshot's keys are kept as the instance's, for the next finish to compare with.
    expect(await rowCount(`instance_keys_${id}`)).toBe(8);
    // Accounts written without a digest, and no kept keys (as before digests existed), are compared
    // field by field: nothing changed, so nothing counts as updated, and the digests are recorded.
    await t.app.store.db
      .updateTable('app_accounts')
      .set({ digest: null })
      .where('instance_id', '=', id)
      .execute();
    await sql`drop table ${sql.id(`instance_keys_${id}`)}`.execute(t.app.store.db);
    const compared = await push(id, data);
    expect(compared.result?.entities.users).toMatchObject({ received: 8, updated: 0, unchanged: 8 });
    expect((await accounts(id)).map((a) => a.digest)).toEqual(before.map((a) => a.digest));
  });

  it('records per-record events in SQL with their payloads, ordered before sync.finished', async () => {
    const id = await newInstance('Event Shapes');
    await push(id, [user(20), user(21), user(22)]);
    const second = await push(id, [user(20, { role: 'admin' }), user(21), user(23)]);
    expect(second.result?.events).toBe(5); // role_changed, removed, added, user.created, sync.finished
    const events = await t.app.store.db
      .selectFrom('events')
      .select(['id', 'type', 'subject_type', 'subject_id', 'payload', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute();
    const ofSync = events.filter((e) => JSON.stringify(parseJson(e.payload, {})).includes(id));
    const last = ofSync.slice(-5);
    expect(last.map((e) => e.type).at(-1)).toBe('sync.finished');
    const byType = Object.fromEntries(last.map((e) => [e.type, e]));
    const account = (external: string) =>
      t.app.store.db
        .selectFrom('app_accounts')
        .select(['id', 'person_id'])
        .where('instance_id', '=', id)
        .where('external_id', '=', external)
        .executeTakeFirstOrThrow();
    const u20 = await account('u20');
    const u22 = await account('u22');
    const u23 = await account('u23');
    const app = await t.app.store.db
      .selectFrom('instances')
      .select('app_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const base = { app_id: app.app_id, instance_id: id };
    expect(byType['app_user.role_changed']).toMatchObject({ subject_type: 'app_user', subject_id: u20.id });
    expect(parseJson(byType['app_user.role_changed']?.payload, {})).toEqual({
      account_external_id: 'u20',
      email: 'user20@staging.test',
      user_id: u20.person_id,
      account_id: u20.id,
      from: 'member',
      to: 'admin',
      ...base,
    });
    expect(parseJson(byType['app_user.removed']?.payload, {})).toEqual({
      account_external_id: 'u22',
      account_id: u22.id,
      email: 'user22@staging.test',
      user_id: u22.person_id,
      reason: 'missing_from_snapshot',
      ...base,
    });
    expect(byType['app_user.added']).toMatchObject({ subject_id: 'u23' });
    expect(parseJson(byType['app_user.added']?.payload, {})).toEqual({
      account_external_id: 'u23',
      email: 'user23@staging.test',
      user_id: u23.person_id,
      status: 'active',
      role: 'member',
      license: null,
      ...base,
    });
    expect(byType['user.created']).toMatchObject({ subject_type: 'user', subject_id: u23.person_id });
    expect(parseJson(byType['user.created']?.payload, {})).toEqual({
      user_id: u23.person_id,
      email: 'user23@staging.test',
      name: 'User 23',
      source: 'sync',
      ...base,
    });
    expect(new Set(last.map((e) => e.id)).size).toBe(5);
  });

  it('drops a sync’s keys table when it ends, and keeps a held sync’s until it is approved', async () => {
    const id = await newInstance('Cleanup');
    const first = await startSync(id);
    expect(await stagedKeys(first)).toBe(0);
    const data = Array.from({ length: 10 }, (_, i) => user(40 + i));
    await page(id, first, 1, data);
    expect(await stagedKeys(first)).toBe(10);
    expect((await finish(id, first)).status).toBe('finished');
    expect(await stagedKeys(first)).toBeNull();

    // Held by the guard (8 of 10 active accounts would go): the keys stay for the approval.
    const held = await startSync(id);
    await page(id, held, 1, data.slice(0, 2));
    const answer = await v2('POST', `/instances/${id}/syncs/${held}/finish`);
    expect(answer.statusCode).toBe(400);
    expect(answer.json<{ code: string }>().code).toBe('mass_deactivation_guard');
    expect(await stagedKeys(held)).toBe(2);
    const approved = await t.request({
      method: 'POST',
      url: `/api/syncs/${held}/approve`,
      token: t.ownerToken,
    });
    expect(approved.json<{ data: SyncData }>().data.status).toBe('finished');
    expect(await stagedKeys(held)).toBeNull();

    // Cancelled, or failed for idling: their tables go with them.
    const cancelled = await startSync(id);
    await page(id, cancelled, 1, data);
    await t.request({ method: 'POST', url: `/api/syncs/${cancelled}/cancel`, token: t.ownerToken });
    expect(await stagedKeys(cancelled)).toBeNull();
    const idle = await startSync(id);
    await t.app.store.db
      .updateTable('syncs')
      .set({ last_activity_at: '2000-01-01T00:00:00.000Z' })
      .where('id', '=', idle)
      .execute();
    expect(await t.app.services.syncs.expireIdle()).toBe(1);
    expect(await stagedKeys(idle)).toBeNull();
  });

  it('drops the keys table of a sync whose apply fails, with nothing applied', async () => {
    const id = await newInstance('Failing');
    const syncId = await startSync(id);
    await page(id, syncId, 1, [user(70), user(71)]);
    // A page that no longer reads as a JSON array (as after damage to the store) fails the apply.
    await t.app.store.db
      .updateTable('sync_pages')
      .set({ data: testDb === 'postgres' ? '{"not": "an array"}' : 'not json' })
      .where('sync_id', '=', syncId)
      .execute();
    const failed = await finish(id, syncId);
    expect(failed.status, JSON.stringify(failed)).toBe('failed');
    expect(failed.failure_reason).toMatch(/nothing was applied/);
    expect(await stagedKeys(syncId)).toBeNull();
    const accounts = await t.app.store.db
      .selectFrom('app_accounts')
      .select('id')
      .where('instance_id', '=', id)
      .execute();
    expect(accounts).toEqual([]);
  });
});
