import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';

describe.skipIf(skipPostgres)('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '5', BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => t.close());

  it('answers /healthz, /readyz, /docs and /openapi.json', async () => {
    expect((await t.request({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.request({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ready');
    expect((await t.request({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
    const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths)).toContain('/api/tokens');
    const admin = (await t.request({ method: 'GET', url: '/openapi/admin.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(admin.paths).every((p) => p.startsWith('/api/'))).toBe(true);
  });

  it('puts the request id in the header and in error bodies', async () => {
    const response = await t.request({
      method: 'GET',
      url: '/api/tenant',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['x-request-id']).toBe('abc-123');
    expect(response.json().requestId).toBe('abc-123');
  });

  it('names the Bearer scheme on 401s (RFC 6750 §3), with invalid_token for a refused token', async () => {
    const missing = await t.request({ method: 'GET', url: '/scim/v2/Users' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="sightline"');
    const refused = await t.request({
      method: 'GET',
      url: '/api/tenant',
      token: 'sl_not-a-real-token-at-all',
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="sightline", error="invalid_token"');
  });

  it("answers URLs the router refuses in the face's own error format", async () => {
    const token = await createToken(t, 'owner');
    const long = await t.request({ method: 'GET', url: `/scim/v2/Users/${'a'.repeat(101)}`, token });
    expect(long.statusCode).toBe(404);
    expect(long.headers['content-type']).toContain('application/scim+json');
    expect(long.json()).toMatchObject({ status: '404', detail: expect.stringMatching(/longer than 100/) });
    expect(long.body).not.toContain('a'.repeat(101));
    const native = await t.request({ method: 'GET', url: `/api/tokens/${'b'.repeat(101)}`, token });
    expect(native.statusCode).toBe(404);
    expect(native.json<{ error: { code: string } }>().error.code).toBe('not_found');
    const badEncoding = await t.request({ method: 'GET', url: '/api/tokens/%E0%A4%A', token });
    expect(badEncoding.statusCode).toBe(400);
    expect(badEncoding.json<{ error: { code: string } }>().error.code).toBe('bad_request');
  });

  it('answers malformed JSON with 400, wrong content type with 415, oversize with 413', async () => {
    const token = await createToken(t, 'owner');
    const base = { method: 'POST' as const, url: '/api/tokens', token };
    const malformed = await t.request({
      ...base,
      payload: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<{ error: { message: string } }>().error.message).toMatch(
      /^body: is not valid JSON/,
    );
    const wrongType = await t.request({
      ...base,
      payload: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.statusCode).toBe(415);
    const huge = await t.request({ ...base, payload: { name: 'x'.repeat(20_000), role: 'viewer' } });
    expect(huge.statusCode).toBe(413);
    const before = await t.app.store.db.selectFrom('api_tokens').select('id').execute();
    const unknownField = await t.request({ ...base, payload: { name: 'x', role: 'viewer', colour: 'red' } });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json<{ error: { message: string } }>().error.message).toBe(
      'body/colour: is not an allowed field',
    );
    const wrongTypeField = await t.request({ ...base, payload: { name: 42, role: 'viewer' } });
    expect(wrongTypeField.statusCode).toBe(400);
    expect(wrongTypeField.json<{ error: { message: string } }>().error.message).toMatch(
      /^body\/name: must be string/,
    );
    const after = await t.app.store.db.selectFrom('api_tokens').select('id').execute();
    expect(after).toHaveLength(before.length);
  });

  it('answers unknown routes with 404 in the error format', async () => {
    const response = await t.request({ method: 'GET', url: '/api/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('not_found');
  });

  it('rate-limits per token with 429 and Retry-After', async () => {
    const first = await createToken(t, 'viewer');
    const second = await createToken(t, 'viewer');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await t.request({ method: 'GET', url: '/api/tenant', token: first })).statusCode);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await t.request({ method: 'GET', url: '/api/tenant', token: first });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'rate_limited',
      // The window, not the time left in it.
      message: expect.stringMatching(
        /^Rate limit of 5 requests per 1 minute exceeded; retry in \d+ (seconds?|minutes?)$/,
      ),
    });
    expect((await t.request({ method: 'GET', url: '/api/tenant', token: second })).statusCode).toBe(200);
  });
});
