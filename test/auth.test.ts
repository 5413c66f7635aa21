import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/platform/crypto/crypto.js';
import { openStore } from '../src/platform/db/db.js';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { expectAuthRules } from './helpers/auth-rules.js';
import { skipPostgres } from './helpers/db.js';

describe.skipIf(skipPostgres)('authentication and authorization', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('applies the 401/403 rules to every route that declares an action', async () => {
    const checked = await expectAuthRules(t);
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it('stores tokens only as SHA-256 hashes', async () => {
    const secret = await createToken(t, 'viewer');
    const rows = await t.app.store.db.selectFrom('api_tokens').selectAll().execute();
    const serialized = JSON.stringify(rows);
    expect(serialized).not.toContain(secret);
    expect(serialized).not.toContain(t.ownerToken);
    expect(rows.map((r) => r.token_hash)).toContain(sha256Hex(secret));
  });

  it('accepts a valid token and refuses it once revoked', async () => {
    const secret = await createToken(t, 'viewer');
    expect((await t.request({ method: 'GET', url: '/api/tenant', token: secret })).statusCode).toBe(200);
    const list = await t.request({ method: 'GET', url: '/api/tokens', token: t.ownerToken });
    const id = list
      .json<{ tokens: { id: string; hint: string }[] }>()
      .tokens.find((k) => k.hint.endsWith(secret.slice(-4)))?.id;
    const revoked = await t.request({ method: 'DELETE', url: `/api/tokens/${id}`, token: t.ownerToken });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).toBeTruthy();
    const after = await t.request({ method: 'GET', url: '/api/tenant', token: secret });
    expect(after.statusCode).toBe(401);
    expect(after.json<{ error: { message: string } }>().error.message).toMatch(/revoked/);
  });

  it('refuses an expired token', async () => {
    const soon = new Date(Date.now() + 1500).toISOString();
    const created = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: t.ownerToken,
      payload: { name: 'short', role: 'viewer', expiresAt: soon },
    });
    expect(created.statusCode).toBe(201);
    const secret = created.json<{ token: string }>().token;
    expect((await t.request({ method: 'GET', url: '/api/tenant', token: secret })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const expired = await t.request({ method: 'GET', url: '/api/tenant', token: secret });
    expect(expired.statusCode).toBe(401);
    expect(expired.json<{ error: { message: string } }>().error.message).toMatch(/expired/);
  });

  it('compares expiries as instants, whatever their offset, and stores them in UTC', async () => {
    // An hour ago, written with an offset five hours ahead of UTC: later than now as text.
    const past = new Date(Date.now() - 3_600_000);
    const ahead = (d: Date, hours: number) =>
      `${new Date(d.getTime() + hours * 3_600_000).toISOString().slice(0, 19)}+0${hours}:00`;
    const refused = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: t.ownerToken,
      payload: { name: 'past', role: 'viewer', expiresAt: ahead(past, 5) },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(
      /^expiresAt: .* not in the future/,
    );
    // In an hour, written with an offset behind UTC: stored and shown as the same instant in UTC.
    const later = new Date(Date.now() + 3_600_000);
    const behind = `${new Date(later.getTime() - 4 * 3_600_000).toISOString().slice(0, 19)}-04:00`;
    const created = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: t.ownerToken,
      payload: { name: 'later', role: 'viewer', expiresAt: behind },
    });
    expect(created.statusCode).toBe(201);
    const { token, tokenInfo } = created.json<{ token: string; tokenInfo: { expiresAt: string } }>();
    expect(tokenInfo.expiresAt).toBe(new Date(Date.parse(behind)).toISOString());
    expect((await t.request({ method: 'GET', url: '/api/tenant', token })).statusCode).toBe(200);
  });

  it('refuses expiries that are not date-times, and fails closed on one stored before they were checked', async () => {
    const owner = await t.app.services.tokens.authenticate(t.ownerToken);
    for (const expiresAt of ['yesterday', '2027-01-01', '2027-01-01T10:00:00', '2027-02-30T10:00:00Z']) {
      await expect(
        t.app.services.tokens.create(owner, { name: 'bad', role: 'viewer', expiresAt }),
      ).rejects.toThrow(/^expiresAt: .* is not an ISO 8601 date-time with a time zone/);
    }
    const secret = await createToken(t, 'viewer');
    await t.app.store.db
      .updateTable('api_tokens')
      .set({ expires_at: 'yesterday' })
      .where('token_hash', '=', sha256Hex(secret))
      .execute();
    const refused = await t.request({ method: 'GET', url: '/api/tenant', token: secret });
    expect(refused.statusCode).toBe(401);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/expired/);
    const list = await t.request({ method: 'GET', url: '/api/tokens', token: t.ownerToken });
    expect(list.statusCode).toBe(200);
    const shown = list
      .json<{ tokens: { hint: string; expiresAt: string | null; createdAt: string }[] }>()
      .tokens.find((k) => k.hint.endsWith(secret.slice(-4)));
    expect(shown?.expiresAt).toBe(shown?.createdAt);
  });

  it('does not let a caller grant a role with actions it lacks', async () => {
    const admin = await createToken(t, 'admin');
    const escalate = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: admin,
      payload: { name: 'escalate', role: 'owner' },
    });
    expect(escalate.statusCode).toBe(403);
    expect(escalate.body).toContain('tenants:admin');
    const fine = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: admin,
      payload: { name: 'v', role: 'viewer' },
    });
    expect(fine.statusCode).toBe(201);
  });

  it('rejects an unknown role with 400 naming the field', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: t.ownerToken,
      payload: { name: 'x', role: 'superuser' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { message: string } }>().error.message).toMatch(/^role: /);
  });

  it('writes an audit entry for every token change', async () => {
    const secret = await createToken(t, 'viewer');
    const entries = await t.app.store.db
      .selectFrom('audit_entries')
      .selectAll()
      .where('action', '=', 'token.created')
      .execute();
    expect(entries.length).toBeGreaterThanOrEqual(1);
    const last = entries.at(-1);
    expect(last?.actor_type).toBe('token');
    expect(last?.request_id).toMatch(/^req_/);
    expect(JSON.stringify(entries)).not.toContain(secret);
  });

  it('refuses, on the next request, a token revoked or a role narrowed by another connection', async () => {
    // The SQLite store reuses a token's row while nothing was written; a write by another
    // connection (another process, the sync worker) must be seen at once, as on PostgreSQL.
    const secret = await createToken(t, 'viewer');
    const other = openStore({ dataDir: t.env.DATA_DIR ?? '', databaseUrl: t.env.DATABASE_URL });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await t.request({ method: 'GET', url: '/api/tenant', token: secret })).statusCode).toBe(200);
      }
      const role = await other.db
        .selectFrom('api_tokens')
        .select('role_id')
        .where('token_hash', '=', sha256Hex(secret))
        .executeTakeFirstOrThrow();
      // Another token of the same role, whose role loses every permission behind its back.
      const sibling = await createToken(t, 'viewer');
      expect((await t.request({ method: 'GET', url: '/api/tenant', token: sibling })).statusCode).toBe(200);
      await other.db
        .updateTable('api_tokens')
        .set({ revoked_at: new Date().toISOString() })
        .where('token_hash', '=', sha256Hex(secret))
        .execute();
      const revoked = await t.request({ method: 'GET', url: '/api/tenant', token: secret });
      expect(revoked.statusCode).toBe(401);
      const saved = await other.db
        .selectFrom('iam_role_permissions')
        .selectAll()
        .where('role_id', '=', role.role_id)
        .execute();
      expect(saved.length).toBeGreaterThan(0);
      await other.db.deleteFrom('iam_role_permissions').where('role_id', '=', role.role_id).execute();
      const narrowed = await t.request({ method: 'GET', url: '/api/tenant', token: sibling });
      expect(narrowed.statusCode).toBe(403);
      await other.db.insertInto('iam_role_permissions').values(saved).execute();
      expect((await t.request({ method: 'GET', url: '/api/tenant', token: sibling })).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });
});
