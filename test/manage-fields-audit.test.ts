import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, toJson } from '../src/platform/db/json.js';
import { createTenant, startTestApp, type TestApp } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';
import { skipPostgres } from './helpers/db.js';

const C = 'torii-v1.openapi.yaml';

interface Field {
  id: string;
  key: string;
  name: string;
  options: string[];
}
interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
interface Entry {
  id: string;
  action: string;
  actor: string;
  target?: string;
  details: Record<string, unknown>;
  createdAt: string;
}

describe.skipIf(skipPostgres)('management face: custom fields and the audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    token = t.ownerToken,
  ) => t.request({ method, url, token, ...(payload === undefined ? {} : { payload: payload as object }) });

  it('defines, lists, updates and deletes custom fields with 400/409/404 paths', async () => {
    const created = await call('POST', '/v1.1/customFields', {
      entity: 'apps',
      key: 'tier',
      name: 'Tier',
      type: 'single-select',
      options: ['gold', 'silver'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const field = created.json<Field>();
    const dup = await call('POST', '/v1.1/customFields', {
      entity: 'apps',
      key: 'tier',
      name: 'x',
      type: 'string',
    });
    expect(dup.statusCode).toBe(409);
    for (const [body, name] of [
      [{ entity: 'apps', key: 'name', name: 'x', type: 'string' }, 'key'],
      [{ entity: 'apps', key: '9lives', name: 'x', type: 'string' }, 'key'],
      [{ entity: 'apps', key: 'flag', name: 'x', type: 'boolean', options: ['a'] }, 'options'],
      [{ entity: 'apps', key: 'choice', name: 'x', type: 'single-select' }, 'options'],
      [{ entity: 'apps', key: 'when', name: 'x', type: 'datetime' }, 'type'],
      [{ entity: 'groups', key: 'x', name: 'x', type: 'string' }, 'entity'],
    ] as const) {
      const r = await call('POST', '/v1.1/customFields', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json<{ message: string }>().message).toContain(name);
    }
    const updated = await call('PUT', `/v1.0/customFields/${field.id}`, {
      name: 'Support tier',
      options: ['gold', 'silver', 'bronze'],
    });
    expect(updated.json<Field>()).toMatchObject({
      name: 'Support tier',
      options: ['gold', 'silver', 'bronze'],
    });
    const app = await call('POST', '/v1.1/apps', { name: 'Tiered', customFields: { tier: 'bronze' } });
    expect(app.statusCode, app.body).toBe(201);
    const list = await call('GET', '/v1.1/customFields?entity=apps');
    expect(list.json<{ data: Field[] }>().data.map((f) => f.key)).toEqual(['tier']);
    expect((await call('GET', '/v1.1/customFields?entity=users')).json<{ data: Field[] }>().data).toEqual([]);
    expect((await call('DELETE', `/v1.1/customFields/${field.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/v1.1/customFields/${field.id}`)).statusCode).toBe(404);
    const unknownFilter = await call('GET', '/v1.1/apps?tier=gold');
    expect(unknownFilter.statusCode).toBe(400);
  });

  it('deletes the stored values with the definition, for apps, users and contracts, in its tenant only', async () => {
    const define = async (entity: string, type: string, token = t.ownerToken) => {
      const r = await call('POST', '/v1.1/customFields', { entity, key: 'crit', name: 'C', type }, token);
      expect(r.statusCode, r.body).toBe(201);
      return r.json<Field>().id;
    };
    const appField = await define('apps', 'boolean');
    const app = await call('POST', '/v1.1/apps', { name: 'Critical' });
    const appId = app.json<{ id: string }>().id;
    expect((await call('PUT', `/v1.1/apps/${appId}`, { customFields: { crit: true } })).statusCode).toBe(200);
    const contractField = await define('contracts', 'boolean');
    const contract = await call('POST', '/v1.1/contracts', {
      appId,
      name: 'Crit',
      customFields: { crit: true },
    });
    expect(contract.statusCode, contract.body).toBe(201);
    const contractId = contract.json<{ id: string }>().id;
    // People's custom values have no write route: the users list reads them from people.custom.
    const scim = await call('POST', '/scim/v2/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'crit@acme.com',
    });
    expect(scim.statusCode, scim.body).toBe(201);
    const personId = scim.json<{ id: string }>().id;
    const userField = await define('users', 'boolean');
    await t.app.store.db
      .updateTable('people')
      .set({ custom: toJson({ crit: true, other: 'kept' }) })
      .where('id', '=', personId)
      .execute();
    // Another tenant's values under the same key stay.
    const other = await createTenant(t, 'Fields Other');
    await define('apps', 'boolean', other);
    const theirs = await call('POST', '/v1.1/apps', { name: 'Theirs', customFields: { crit: true } }, other);
    expect(theirs.statusCode, theirs.body).toBe(201);

    for (const id of [appField, contractField, userField]) {
      expect((await call('DELETE', `/v1.1/customFields/${id}`)).statusCode).toBe(204);
    }
    for (const entity of ['apps', 'contracts', 'users']) await define(entity, 'number');
    const gotApp = await call('GET', `/v1.1/apps/${appId}`);
    expect(gotApp.json()).not.toHaveProperty('crit');
    expect((await call('GET', '/v1.1/apps?crit=1')).json<Page<unknown>>().data).toEqual([]);
    const gotContract = await call('GET', `/v1.1/contracts/${contractId}`);
    expect(gotContract.json()).not.toHaveProperty('crit');
    expect((await call('GET', '/v1.1/contracts?crit=1')).json<Page<unknown>>().data).toEqual([]);
    const users = (await call('GET', '/v1.1/users?fields=crit')).json<Page<Record<string, unknown>>>().data;
    expect(users.find((u) => u.id === personId)).toEqual({ id: personId });
    expect((await call('GET', '/v1.1/users?crit=1')).json<Page<unknown>>().data).toEqual([]);
    const stored = await t.app.store.db
      .selectFrom('people')
      .select('custom')
      .where('id', '=', personId)
      .executeTakeFirstOrThrow();
    expect(parseJson(stored.custom, {})).toEqual({ other: 'kept' });
    const theirApp = await call('GET', `/v1.1/apps/${theirs.json<{ id: string }>().id}`, undefined, other);
    expect(theirApp.json()).toMatchObject({ crit: true });

    const audit = await call('GET', `/v1.1/audit?action=custom_field.deleted&target=${appField}`);
    expect(audit.json<Page<Entry>>().data[0]?.details).toMatchObject({ key: 'crit', valuesRemoved: 1 });
  });

  it('starts a new field empty even where values of a deleted field were left behind', async () => {
    const app = await call('POST', '/v1.1/apps', { name: 'Leftovers' });
    const appId = app.json<{ id: string }>().id;
    // A value an earlier delete left behind, before deletes removed them.
    await t.app.store.db
      .updateTable('apps')
      .set({ custom: toJson({ stale: 'yes' }) })
      .where('id', '=', appId)
      .execute();
    const r = await call('POST', '/v1.1/customFields', {
      entity: 'apps',
      key: 'stale',
      name: 'S',
      type: 'string',
    });
    expect(r.statusCode, r.body).toBe(201);
    expect((await call('GET', `/v1.1/apps/${appId}`)).json()).not.toHaveProperty('stale');
    expect((await call('GET', '/v1.1/apps?stale=yes')).json<Page<unknown>>().data).toEqual([]);
  });

  it('lists the audit log per the contract, newest first, with a cursor and at most 1000 a page', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await call('POST', '/v1.1/apps', { name: `Audited ${i}` });
      expect(r.statusCode).toBe(201);
    }
    for (const prefix of ['/v1.0', '/v1.1']) {
      const first = await call('GET', `${prefix}/audit?size=2`);
      expect(first.statusCode, first.body).toBe(200);
      expectContract(C, 'GET', '/audit', first);
      const body = first.json<Page<Entry>>();
      expect(body.data).toHaveLength(2);
      expect((body.data[0]?.createdAt ?? '') >= (body.data[1]?.createdAt ?? '')).toBe(true);
      expect(body.data[0]).toMatchObject({ actor: expect.any(String), details: expect.any(Object) });
      expect(body.nextCursor).toEqual(expect.any(String));
      const seen = new Set(body.data.map((e) => e.id));
      let cursor = body.nextCursor;
      while (cursor) {
        const next = await call('GET', `${prefix}/audit?size=2&cursor=${cursor}`);
        expectContract(C, 'GET', '/audit', next);
        const page = next.json<Page<Entry>>();
        for (const e of page.data) {
          expect(seen.has(e.id)).toBe(false);
          seen.add(e.id);
        }
        cursor = page.nextCursor;
      }
      const all = await call('GET', `${prefix}/audit?size=1000`);
      expect(seen.size).toBe(all.json<Page<Entry>>().data.length);
    }
    const tooMany = await call('GET', '/v1.1/audit?size=1001');
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json<{ message: string }>().message).toContain('size');
    const created = await call('GET', '/v1.1/audit?action=app.created&size=1000');
    expect(created.json<Page<Entry>>().data.length).toBeGreaterThanOrEqual(5);
    // Append-only: no route edits or deletes entries.
    expect((await call('DELETE', '/v1.1/audit')).statusCode).toBe(404);
  });

  it('keeps each tenant’s audit log to itself', async () => {
    const tenant = await call('POST', '/api/tenants', { name: 'Audit Other' });
    const other = tenant.json<{ ownerToken: string }>().ownerToken;
    const mine = (await call('GET', '/v1.1/audit?size=1000')).json<Page<Entry>>().data.map((e) => e.id);
    const theirs = (await call('GET', '/v1.1/audit?size=1000', undefined, other)).json<Page<Entry>>().data;
    expect(theirs.every((e) => !mine.includes(e.id))).toBe(true);
  });
});
