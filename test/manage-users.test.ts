import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJson } from '../src/platform/db/json.js';
import { newId, newUuid } from '../src/platform/ids/ids.js';
import { createTenant, startTestApp, type TestApp } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';
import { skipPostgres } from './helpers/db.js';

const C = 'torii-v1.openapi.yaml';
const NOW = new Date().toISOString();

interface UserItem {
  id: string;
  email?: string;
  department?: string;
  isExternal?: boolean;
  appsCount?: number;
  [key: string]: unknown;
}
interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

async function tenantIdOf(t: TestApp, slug = 'default'): Promise<string> {
  const row = await t.app.store.db
    .selectFrom('tenants')
    .select('id')
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function insertPerson(
  t: TestApp,
  tenantId: string,
  email: string,
  extra: { department?: string; custom?: Record<string, unknown>; deleted?: boolean } = {},
): Promise<string> {
  const id = newUuid();
  await t.app.store.db
    .insertInto('people')
    .values({
      tenant_id: tenantId,
      id,
      external_id: null,
      user_name: email,
      user_name_lc: email.toLowerCase(),
      email,
      email_lc: email.toLowerCase(),
      first_name: 'First',
      last_name: 'Last',
      display_name: null,
      status: 'active',
      department: extra.department ?? null,
      title: null,
      employee_number: null,
      cost_center: null,
      organization: null,
      division: null,
      manager_id: null,
      is_external: 0,
      source: 'test',
      attributes: toJson({}),
      custom: toJson(extra.custom ?? {}),
      version: 1,
      created_at: NOW,
      updated_at: NOW,
      deactivated_at: null,
      ...(extra.deleted ? { deleted_at: NOW } : {}),
    })
    .execute();
  return id;
}

describe.skipIf(skipPostgres)('management face: users (/v1.0, /v1.1)', () => {
  let t: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    t = await startTestApp();
    tenantId = await tenantIdOf(t);
    const patched = await t.request({
      method: 'PATCH',
      url: '/api/tenant',
      token: t.ownerToken,
      payload: { domains: ['acme.com'] },
    });
    expect(patched.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  const get = (url: string, token = t.ownerToken) => t.request({ method: 'GET', url, token });

  it('lists people with isExternal (tenant domains) and appsCount, per the contract, on both versions', async () => {
    const inside = await insertPerson(t, tenantId, 'ann@acme.com', { department: 'Sales' });
    const sub = await insertPerson(t, tenantId, 'bob@eu.acme.com', { department: 'Sales' });
    const outside = await insertPerson(t, tenantId, 'carl@gmail.com', { department: 'Ops' });
    const gone = await insertPerson(t, tenantId, 'gone@acme.com', { deleted: true });
    for (const [app, status] of [
      ['app_a', 'active'],
      ['app_a', 'active'],
      ['app_b', 'active'],
      ['app_c', 'inactive'],
    ] as const) {
      await t.app.store.db
        .insertInto('app_accounts')
        .values({
          tenant_id: tenantId,
          id: newId('acc'),
          app_id: app,
          instance_id: `ins_${app}`,
          person_id: inside,
          external_id: newId('acc'),
          email: null,
          email_lc: null,
          name: null,
          status,
          role: null,
          license: null,
          last_used_at: null,
          first_seen_at: NOW,
          attributes: toJson({}),
          created_at: NOW,
          updated_at: NOW,
          deactivated_at: null,
        })
        .execute();
    }
    for (const prefix of ['/v1.0', '/v1.1']) {
      const list = await get(`${prefix}/users`);
      expect(list.statusCode, list.body).toBe(200);
      expectContract(C, 'GET', '/users', list);
      const byId = new Map(list.json<Page<UserItem>>().data.map((u) => [u.id, u]));
      expect(byId.get(inside)).toMatchObject({
        email: 'ann@acme.com',
        firstName: 'First',
        lastName: 'Last',
        status: 'active',
        department: 'Sales',
        isExternal: false,
        appsCount: 2,
      });
      expect(byId.get(sub)).toMatchObject({ isExternal: false, appsCount: 0 });
      expect(byId.get(outside)).toMatchObject({ isExternal: true });
      expect(byId.has(gone)).toBe(false);
    }
    const external = await get('/v1.1/users?isExternal=true&fields=email');
    expect(external.json<Page<UserItem>>().data).toEqual([{ id: outside, email: 'carl@gmail.com' }]);
    const sales = await get('/v1.1/users?department=Sales&sort=-email&fields=email');
    expect(sales.json<Page<UserItem>>().data.map((u) => u.email)).toEqual([
      'bob@eu.acme.com',
      'ann@acme.com',
    ]);
    const byEmail = await get('/v1.1/users?email=ANN@acme.com');
    expect(byEmail.json<Page<UserItem>>().data.map((u) => u.id)).toEqual([inside]);
  });

  it('filters by custom user fields and lists user metadata', async () => {
    const field = await t.request({
      method: 'POST',
      url: '/v1.1/customFields',
      token: t.ownerToken,
      payload: { entity: 'users', key: 'badge', name: 'Badge number', type: 'number' },
    });
    expect(field.statusCode, field.body).toBe(201);
    const holder = await insertPerson(t, tenantId, 'badge@acme.com', { custom: { badge: 42 } });
    const found = await get('/v1.1/users?badge=42&fields=email,badge');
    expect(found.json<Page<UserItem>>().data).toEqual([{ id: holder, email: 'badge@acme.com', badge: 42 }]);
    const bad = await get('/v1.1/users?badge=many');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('badge');
    const metadata = await get('/v1.0/users/metadata');
    expectContract(C, 'GET', '/users/metadata', metadata);
    const keys = metadata.json<{ data: { key: string; isCustom: boolean }[] }>().data;
    expect(keys.find((f) => f.key === 'isExternal')).toMatchObject({ isCustom: false, type: 'boolean' });
    expect(keys.find((f) => f.key === 'badge')).toMatchObject({
      isCustom: true,
      type: 'number',
      name: 'Badge number',
    });
    const searched = await get('/v1.1/users/metadata?search=DEPART');
    expect(searched.json<{ data: { key: string }[] }>().data.map((f) => f.key)).toEqual(['department']);
  });

  it('answers 400 naming the bad parameter', async () => {
    for (const [query, name] of [
      ['size=1001', 'size'],
      ['sort=appsCount', 'sort'],
      ['fields=email,salary', 'salary'],
      ['isExternal=maybe', 'isExternal'],
      ['status=bogus', "status: 'bogus' is not one of active, inactive, suspended"],
      ['status=Active', "status: 'Active' is not one of active, inactive, suspended"],
      ['status=active,gone', "status: 'gone'"],
    ]) {
      const r = await get(`/v1.1/users?${query}`);
      expect(r.statusCode, query).toBe(400);
      expect(r.json<{ message: string }>().message, query).toContain(name);
    }
  });

  it('filters by status, one or several of the stored values', async () => {
    const idle = await insertPerson(t, tenantId, 'idle@acme.com');
    await t.app.store.db.updateTable('people').set({ status: 'suspended' }).where('id', '=', idle).execute();
    const suspended = await get('/v1.1/users?status=suspended&fields=email');
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json<Page<UserItem>>().data).toEqual([{ id: idle, email: 'idle@acme.com' }]);
    const some = await get('/v1.1/users?status=inactive,suspended&fields=id');
    expect(some.json<Page<UserItem>>().data.map((u) => u.id)).toContain(idle);
    const active = await get('/v1.1/users?status=active&size=1000&fields=status');
    const statuses = active.json<Page<UserItem>>().data.map((u) => u.status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['active']));
  });

  it('pages with a stable cursor while people are inserted between pages', async () => {
    for (let i = 0; i < 20; i++) await insertPerson(t, tenantId, `page${i}@acme.com`);
    const all = await get('/v1.1/users?size=1000&fields=id');
    const before = all.json<Page<UserItem>>().data.map((u) => u.id);
    for (const sort of ['id', 'email', '-email', '-createdAt']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let n = 0;
      do {
        const r = await get(`/v1.1/users?size=6&sort=${sort}&fields=id${cursor ? `&cursor=${cursor}` : ''}`);
        expect(r.statusCode, r.body).toBe(200);
        const body = r.json<Page<UserItem>>();
        seen.push(...body.data.map((u) => u.id));
        cursor = body.nextCursor;
        await insertPerson(t, tenantId, `aaa-${sort}-${n}@acme.com`);
        await insertPerson(t, tenantId, `zzz-${sort}-${n++}@acme.com`);
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(seen.length);
      expect(seen.filter((id) => before.includes(id)).sort(), sort).toEqual([...before].sort());
      const now = await get('/v1.1/users?size=1000&fields=id');
      before.splice(0, before.length, ...now.json<Page<UserItem>>().data.map((u) => u.id));
    }
  });

  it('keeps tenants apart', async () => {
    const other = await createTenant(t, 'Users Other');
    const list = await get('/v1.1/users', other);
    expect(list.statusCode).toBe(200);
    expect(list.json<Page<UserItem>>().data).toEqual([]);
  });
});

describe.skipIf(skipPostgres)('management face: /users rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ MANAGE_USERS_RATE_LIMIT_MAX: '3' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After past the per-key budget, in the contract format', async () => {
    for (let i = 0; i < 3; i++) {
      const ok = await t.request({ method: 'GET', url: '/v1.1/users', token: t.ownerToken });
      expect(ok.statusCode).toBe(200);
    }
    const limited = await t.request({ method: 'GET', url: '/v1.1/users', token: t.ownerToken });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectContract(C, 'GET', '/users', limited);
    expect(limited.json()).toMatchObject({ error: 'Too Many Requests' });
    // One budget per key for /users, whichever version prefix is used.
    const other = await t.request({ method: 'GET', url: '/v1.0/users', token: t.ownerToken });
    expect(other.statusCode).toBe(429);
    // Other routes keep the general budget.
    const apps = await t.request({ method: 'GET', url: '/v1.1/apps', token: t.ownerToken });
    expect(apps.statusCode).toBe(200);
  });
});
