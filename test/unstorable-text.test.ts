import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';
import { scim, userBody } from './helpers/scim.js';

/**
 * Text the stores cannot hold faithfully: U+0000 (PostgreSQL's text and jsonb refuse it) and
 * unpaired UTF-16 surrogates (jsonb refuses them, text would store U+FFFD). Every face refuses
 * them at the door, on both stores alike, with a 400 naming where, and stores nothing.
 */
describe.skipIf(skipPostgres)('unstorable text in requests', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await createToken(t, 'owner');
  });
  afterAll(() => t.close());

  const json = (method: 'POST' | 'PUT', url: string, body: string) =>
    t.request({ method, url, token, headers: { 'content-type': 'application/json' }, payload: body });

  it('refuses a JSON body with U+0000 in a value or a key, naming the field, on every face', async () => {
    const admin = await json('POST', '/api/instances', '{"appName":"Before\\u0000After"}');
    expect(admin.statusCode, admin.body).toBe(400);
    expect(admin.body).toContain('appName');
    expect(admin.body).toContain('U+0000');

    const manage = await json('POST', '/v1.1/apps', '{"name":"Nul\\u0000App"}');
    expect(manage.statusCode, manage.body).toBe(400);
    expect(manage.body).toContain('name');

    const user = await scim(t, token, 'POST', '/Users', userBody('nul\u0000x@example.com'));
    expect(user.statusCode, user.body).toBe(400);
    expect(user.json<{ status: string; scimType: string; detail: string }>()).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
    });
    expect(user.json<{ detail: string }>().detail).toContain('userName');

    const nested = await scim(t, token, 'POST', '/Users', {
      ...userBody('nested@example.com'),
      emails: [{ value: 'ok@example.com' }, { value: 'bad\u0000@example.com', type: 'work' }],
    });
    expect(nested.statusCode, nested.body).toBe(400);
    expect(nested.json<{ detail: string }>().detail).toContain('emails[1].value');

    const key = await json('POST', '/api/instances', '{"appName":"A","x\\u0000":1}');
    expect(key.statusCode, key.body).toBe(400);

    // Nothing was stored.
    const instances = await t.request({ method: 'GET', url: '/api/instances', token });
    expect(instances.body).not.toContain('Before');
    const users = await scim(t, token, 'GET', '/Users?filter=userName sw "n"');
    expect(users.json<{ totalResults: number }>().totalResults).toBe(0);
  });

  it('refuses an unpaired surrogate escape and accepts a paired one', async () => {
    const lone = await json('POST', '/api/tenants', '{"name":"Half \\ud800 pair"}');
    expect(lone.statusCode, lone.body).toBe(400);
    expect(lone.body).toContain('name contains an unpaired UTF-16 surrogate');
    const low = await json('POST', '/v1.1/apps', '{"name":"Low \\udc00 first"}');
    expect(low.statusCode, low.body).toBe(400);
    const paired = await json('POST', '/api/tenants', '{"name":"Smile \\ud83d\\ude00 Co"}');
    expect(paired.statusCode, paired.body).toBe(201);
    expect(paired.json<{ tenant: { name: string } }>().tenant.name).toBe('Smile 😀 Co');
  });

  it('still accepts an escaped backslash followed by u0000 (text, not a NUL)', async () => {
    const ok = await json('POST', '/api/instances', '{"appName":"Literal \\\\u0000 text"}');
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json<{ data: { app_name: string } }>().data.app_name).toBe('Literal \\u0000 text');
  });

  it('refuses %00 in a path or query parameter with 400', async () => {
    for (const url of [
      '/api/instances/ins%00x',
      '/v1.1/apps?fields=name%00',
      '/scim/v2/Users/abc%00',
      '/scim/v2/Users?filter=userName%20eq%20%22a%00%22',
    ]) {
      const res = await t.request({ method: 'GET', url, token });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.body, url).toContain('U+0000');
    }
  });
});
