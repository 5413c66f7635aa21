import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;

const people = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ email: `p${i}@acme.test`, status: 'active' }));

/** Custom sync beyond test/manage-services-sync.test.ts: audit, licenses-only calls, paging, holds. */
describe('Torii custom-integration sync: more', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SYNC_GUARD_MIN_ACTIVE: '10' });
    await t.app.queue.start();
  });
  afterAll(() => t.close());

  const post = (body: unknown, prefix = '/v1.1') =>
    t.request({
      method: 'POST',
      url: `${prefix}/services/sync/custom`,
      token: t.ownerToken,
      payload: body as object,
    });
  const active = async (appName: string) =>
    (
      await t.app.store.db
        .selectFrom('app_accounts as a')
        .innerJoin('apps as p', 'p.id', 'a.app_id')
        .select('a.email')
        .where('p.name', '=', appName)
        .where('a.status', '=', 'active')
        .execute()
    ).length;

  it('applies more than one page of users (2,500) as one snapshot', async () => {
    const res = await post({ appName: 'Big Custom', users: people(2500) });
    expectContract('torii-v1.openapi.yaml', 'post', '/services/sync/custom', res);
    expect(res.json<Obj>()).toMatchObject({ status: 'completed', counts: { users: { received: 2500 } } });
    expect(await active('Big Custom')).toBe(2500);
  });

  it('audits the instance it creates and the licenses it sets', async () => {
    const res = await post({
      appName: 'Audited Custom',
      users: people(2),
      licenses: [{ name: 'Pro', total: 5 }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const { appId, instanceId } = res.json<Obj>();
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select(['action', 'target_id'])
      .where('target_id', 'in', [appId, instanceId])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'instance.created',
      'custom_sync.applied',
      'custom_sync.licenses_set',
    ]);
  });

  it('sets license totals again on a later call (update, not a second row)', async () => {
    await post({
      appName: 'Seats',
      users: people(1),
      licenses: [{ name: 'Team', total: 10, used: 2, pricePerUser: 3 }],
    });
    await post({
      appName: 'Seats',
      users: people(1),
      licenses: [{ name: 'Team', total: 20, used: 4, pricePerUser: 2.5 }],
    });
    const rows = await t.app.store.db
      .selectFrom('licenses as l')
      .innerJoin('apps as a', 'a.id', 'l.app_id')
      .select(['l.total', 'l.used', 'l.price_per_unit_minor'])
      .where('a.name', '=', 'Seats')
      .execute();
    expect(rows).toEqual([{ total: 20, used: 4, price_per_unit_minor: 250 }]);
  });

  it('a held sync keeps the app’s instance busy (409) until it is approved or cancelled', async () => {
    expect((await post({ appName: 'Held App', users: people(12) })).statusCode).toBe(200);
    const held = await post({ appName: 'Held App', users: people(1) });
    expect(held.statusCode).toBe(400);
    expect(held.json<Obj>()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    const again = await post({ appName: 'Held App', users: people(12) });
    expect(again.statusCode).toBe(409);
    expect(await active('Held App')).toBe(12);
  });

  it('a call without `users` sets licenses and leaves the app’s accounts as they are', async () => {
    expect((await post({ appName: 'Licenses Only', users: people(12) })).statusCode).toBe(200);
    const res = await post({ appName: 'Licenses Only', licenses: [{ name: 'Enterprise', total: 40 }] });
    expect(res.statusCode, res.body).toBe(200);
    expectContract('torii-v1.openapi.yaml', 'post', '/services/sync/custom', res);
    expect(res.json<Obj>()).toMatchObject({ status: 'completed', syncId: null, counts: {} });
    expect(await active('Licenses Only')).toBe(12);
    const licenses = await t.app.store.db
      .selectFrom('licenses as l')
      .innerJoin('apps as a', 'a.id', 'l.app_id')
      .select(['l.name', 'l.total'])
      .where('a.name', '=', 'Licenses Only')
      .execute();
    expect(licenses).toEqual([{ name: 'Enterprise', total: 40 }]);
    // An explicit empty list is a snapshot with nobody in it (and the guard stops it here).
    const emptied = await post({ appName: 'Licenses Only', users: [] });
    expect(emptied.statusCode).toBe(400);
    expect(await active('Licenses Only')).toBe(12);
  });

  it('400 for a body that is not an object of the contract’s shape; v1.0 and v1.1 alike', async () => {
    for (const prefix of ['/v1.0', '/v1.1']) {
      const res = await post({ appName: 'Shape', users: 'everyone' }, prefix);
      expect(res.statusCode).toBe(400);
      expect(res.json<Obj>().message).toContain('users');
      const unknown = await post({ appName: 'Shape', groups: [] }, prefix);
      expect(unknown.statusCode).toBe(400);
    }
  });
});
