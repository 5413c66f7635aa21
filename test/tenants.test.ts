import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';

describe.skipIf(skipPostgres)('tenants', () => {
  let t: TestApp;
  let tenantBToken: string;
  beforeAll(async () => {
    t = await startTestApp();
    const created = await t.request({
      method: 'POST',
      url: '/api/tenants',
      token: t.ownerToken,
      payload: { name: 'Acme Corp', domains: ['acme.com'] },
    });
    expect(created.statusCode).toBe(201);
    tenantBToken = created.json<{ ownerToken: string }>().ownerToken;
  });
  afterAll(() => t.close());

  it('creates a tenant with its own built-in roles and owner token', async () => {
    const me = await t.request({ method: 'GET', url: '/api/tenant', token: tenantBToken });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      name: 'Acme Corp',
      slug: 'acme-corp',
      domains: ['acme.com'],
      isSystem: false,
    });
    const roles = await t.app.store.db
      .selectFrom('iam_roles')
      .innerJoin('tenants', 'tenants.id', 'iam_roles.tenant_id')
      .select(['iam_roles.name', 'tenants.slug'])
      .where('tenants.slug', '=', 'acme-corp')
      .execute();
    expect(roles.map((r) => r.name).sort()).toEqual([
      'admin',
      'integration',
      'owner',
      'provisioning',
      'viewer',
    ]);
  });

  it("answers 404, never data or 403, for another tenant's objects", async () => {
    const listA = await t.request({ method: 'GET', url: '/api/tokens', token: t.ownerToken });
    const tokenOfA = listA.json<{ tokens: { id: string }[] }>().tokens[0]?.id;
    expect(tokenOfA).toBeTruthy();
    const fromB = await t.request({ method: 'GET', url: `/api/tokens/${tokenOfA}`, token: tenantBToken });
    expect(fromB.statusCode).toBe(404);
    const revokeFromB = await t.request({
      method: 'DELETE',
      url: `/api/tokens/${tokenOfA}`,
      token: tenantBToken,
    });
    expect(revokeFromB.statusCode).toBe(404);
    const listB = await t.request({ method: 'GET', url: '/api/tokens', token: tenantBToken });
    expect(listB.json<{ tokens: { id: string }[] }>().tokens.map((k) => k.id)).not.toContain(tokenOfA);
  });

  it('lets only the system tenant manage tenants', async () => {
    const fromB = await t.request({ method: 'GET', url: '/api/tenants', token: tenantBToken });
    expect(fromB.statusCode).toBe(403);
    expect(fromB.body).toContain('tenants:admin');
    const fromA = await t.request({ method: 'GET', url: '/api/tenants', token: t.ownerToken });
    expect(fromA.json<{ tenants: unknown[] }>().tenants).toHaveLength(2);
  });

  it('refuses a duplicate slug with 409 and bad domains with 400', async () => {
    const dup = await t.request({
      method: 'POST',
      url: '/api/tenants',
      token: t.ownerToken,
      payload: { name: 'Acme Corp' },
    });
    expect(dup.statusCode).toBe(409);
    const bad = await t.request({
      method: 'PATCH',
      url: '/api/tenant',
      token: tenantBToken,
      payload: { domains: ['not a domain'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('domains/0');
  });

  it('updates the current tenant and audits it', async () => {
    const admin = await createToken(t, 'admin', tenantBToken);
    const updated = await t.request({
      method: 'PATCH',
      url: '/api/tenant',
      token: admin,
      payload: { domains: ['Acme.com', 'acme.io'] },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().domains).toEqual(['acme.com', 'acme.io']);
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('action', '=', 'tenant.updated')
      .execute();
    expect(audit).toHaveLength(1);
  });
});
