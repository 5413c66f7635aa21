import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createToken, startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';
import { PATCH_OP, scim } from './helpers/scim.js';

/**
 * SCIM users are the directory's people, whoever made them: a person a push-sync created (with an
 * email but no SCIM email values) is seen by SCIM with that email, and a SCIM PATCH keeps it.
 */
describe.skipIf(skipPostgres)('SCIM over people made elsewhere', () => {
  let t: TestApp;
  let token: string;
  let person: { id: string; email: string };
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.queue.start();
    token = await createToken(t, 'owner');
    const integration = await createToken(t, 'integration');
    const instanceId = await createInstance(t, 'Wiki Tool');
    const base = `/v2/integrations-sync/instances/${instanceId}/syncs`;
    const sync = await t.request({ method: 'POST', url: base, token: integration });
    const syncId = sync.json<{ data: { id: string } }>().data.id;
    const page = await t.request({
      method: 'POST',
      url: `${base}/${syncId}/data/snapshots`,
      token: integration,
      payload: {
        entity: 'users',
        page: 1,
        data: [{ id: 'w1', email: 'Anya.Young@acme.example', name: 'Anya Young' }],
      },
    });
    expect(page.statusCode, page.body).toBe(200);
    const finish = await t.request({ method: 'POST', url: `${base}/${syncId}/finish`, token: integration });
    expect(finish.json<{ data: { status: string } }>().data.status, finish.body).toBe('finished');
    const found = await scim(
      t,
      token,
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "anya.young@acme.example"')}`,
    );
    const [resource] = found.json<{ Resources: { id: string }[] }>().Resources;
    if (!resource) throw new Error(`the synced person is not a SCIM user: ${found.body}`);
    person = { id: resource.id, email: 'Anya.Young@acme.example' };
  });
  afterAll(() => t.close());

  const directoryEmail = async (id: string) =>
    (
      await t.app.store.db
        .selectFrom('people')
        .select(['email', 'email_lc'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).email;

  it('shows the email of a person a sync made as the primary work email', async () => {
    const got = await scim(t, token, 'GET', `/Users/${person.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json().emails).toEqual([{ value: person.email, type: 'work', primary: true }]);
  });

  it('keeps that email through a PATCH of another attribute', async () => {
    const patched = await scim(t, token, 'PATCH', `/Users/${person.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'title', value: 'Engineer' }],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().emails).toEqual([{ value: person.email, type: 'work', primary: true }]);
    expect(await directoryEmail(person.id)).toBe(person.email);
    const users = await t.request({ method: 'GET', url: '/v1.1/users?size=100&fields=email', token });
    const listed = users.json<{ data: { id: string; email: string | null }[] }>().data;
    expect(listed.find((u) => u.id === person.id)?.email).toBe(person.email);
  });

  it('still lets SCIM change or remove the email explicitly', async () => {
    const changed = await scim(t, token, 'PATCH', `/Users/${person.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'anya@acme.example' }],
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(await directoryEmail(person.id)).toBe('anya@acme.example');
    const removed = await scim(t, token, 'PATCH', `/Users/${person.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: 'emails' }],
    });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().emails).toBeUndefined();
    expect(await directoryEmail(person.id)).toBeNull();
  });
});
