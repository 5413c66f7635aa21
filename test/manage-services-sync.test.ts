import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;

const people = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    email: `dev${from + i}@acme.test`,
    status: 'active',
    role: i === 0 ? 'admin' : 'member',
    lastUsedDate: '2026-11-01T10:00:00Z',
  }));

describe('Torii custom-integration sync (POST /services/sync/custom)', () => {
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
  const accounts = async (appName: string) =>
    t.app.store.db
      .selectFrom('app_accounts as a')
      .innerJoin('apps as p', 'p.id', 'a.app_id')
      .select(['a.email', 'a.status', 'a.role', 'a.last_used_at'])
      .where('p.name', '=', appName)
      .orderBy('a.email')
      .execute();

  it('creates the app, applies the users as a snapshot and sets licenses, per the contract', async () => {
    const res = await post({
      appName: 'Acme Wiki',
      users: people(3),
      licenses: [{ name: 'Pro', total: 10, used: 3, pricePerUser: 12.5 }],
    });
    expectContract('torii-v1.openapi.yaml', 'post', '/services/sync/custom', res);
    expect(res.json<Obj>()).toMatchObject({ status: 'completed', counts: { users: { received: 3 } } });
    const rows = await accounts('Acme Wiki');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      email: 'dev0@acme.test',
      status: 'active',
      role: 'admin',
      last_used_at: '2026-11-01T10:00:00.000Z',
    });
    const license = await t.app.store.db
      .selectFrom('licenses')
      .selectAll()
      .where('name', '=', 'Pro')
      .executeTakeFirstOrThrow();
    expect(license).toMatchObject({ total: 10, used: 3, price_per_unit_minor: 1250 });
    const apps = await t.request({
      method: 'GET',
      url: '/v1.0/apps?name=Acme%20Wiki&fields=name,activeUsers,totalLicenses',
      token: t.ownerToken,
    });
    expect(apps.json<Obj>().data[0]).toMatchObject({ activeUsers: 3, totalLicenses: 10 });
  });

  it('a second call deactivates the users it leaves out (kept, not deleted)', async () => {
    await post({ appName: 'Acme Chat', users: people(4) });
    const res = await post({ appName: 'acme chat', users: people(3) }, '/v1.0');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Obj>().counts.users).toMatchObject({ deactivated: 1 });
    const rows = await accounts('Acme Chat');
    expect(rows.map((r) => r.status)).toEqual(['active', 'active', 'active', 'inactive']);
  });

  it('is held by the mass-deactivation guard, keeping the previous state', async () => {
    await post({ appName: 'Acme CRM', users: people(12) });
    const res = await post({ appName: 'Acme CRM', users: people(2) });
    expect(res.statusCode).toBe(400);
    expect(res.json<Obj>()).toMatchObject({
      error: expect.any(String),
      message: expect.stringMatching(/deactivate/i),
    });
    expect((await accounts('Acme CRM')).filter((r) => r.status === 'active')).toHaveLength(12);
  });

  it('refuses bad entries with 400 naming each, applying nothing', async () => {
    const res = await post({
      appName: 'Acme Bad',
      users: [{ email: 'ok@acme.test' }, { email: 'not-an-email' }, { email: 'x@acme.test', status: 'gone' }],
      licenses: [{ name: 'Seat', total: -1 }],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<Obj>();
    expect(body.message).toContain('users[1].email');
    expect(JSON.stringify(body)).toContain('users[2].status');
    expect(JSON.stringify(body)).toContain('licenses[0].total');
    expect(await accounts('Acme Bad')).toHaveLength(0);
    expect((await post({ users: [] })).json<Obj>().message).toContain('appName');
  });

  it('needs sync:write', async () => {
    const viewer = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: t.ownerToken,
      payload: { name: 'v', role: 'viewer' },
    });
    const res = await t.request({
      method: 'POST',
      url: '/v1.1/services/sync/custom',
      token: viewer.json<Obj>().token,
      payload: { appName: 'X' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('sync:write');
  });
});
