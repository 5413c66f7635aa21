import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshAppFigures } from '../src/modules/apps/app-figures.js';
import { toJson } from '../src/platform/db/json.js';
import { newId, newUuid } from '../src/platform/ids/ids.js';
import { startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectAuthRules } from './helpers/auth-rules.js';
import { expectContract } from './helpers/contract.js';
import { skipPostgres } from './helpers/db.js';

const C = 'torii-v1.openapi.yaml';
const NOW = new Date().toISOString();
const today = NOW.slice(0, 10);

interface AppItem {
  id: string;
  name: string;
  state?: string;
  activeUsers?: number;
  totalUsers?: number;
  totalLicenses?: number;
  annualCost?: number;
  [key: string]: unknown;
}
interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

describe.skipIf(skipPostgres)('management face: apps (/v1.0, /v1.1)', () => {
  let t: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    t = await startTestApp();
    const row = await t.app.store.db
      .selectFrom('tenants')
      .select('id')
      .where('slug', '=', 'default')
      .executeTakeFirstOrThrow();
    tenantId = row.id;
  });
  afterAll(() => t.close());

  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    token = t.ownerToken,
  ) => t.request({ method, url, token, ...(payload === undefined ? {} : { payload: payload as object }) });
  const page = (r: TestResponse) => r.json<Page<AppItem>>();

  async function createApp(body: Record<string, unknown>, prefix = '/v1.1'): Promise<AppItem> {
    const created = await call('POST', `${prefix}/apps`, body);
    expect(created.statusCode, created.body).toBe(201);
    return created.json<AppItem>();
  }

  async function person(email: string): Promise<string> {
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
        first_name: 'F',
        last_name: 'L',
        display_name: null,
        status: 'active',
        department: null,
        title: null,
        employee_number: null,
        cost_center: null,
        organization: null,
        division: null,
        manager_id: null,
        is_external: 0,
        source: 'test',
        attributes: toJson({}),
        custom: toJson({}),
        version: 1,
        created_at: NOW,
        updated_at: NOW,
        deactivated_at: null,
      })
      .execute();
    return id;
  }

  async function account(appId: string, instanceId: string, personId: string | null, status: string) {
    await t.app.store.db
      .insertInto('app_accounts')
      .values({
        tenant_id: tenantId,
        id: newId('acc'),
        app_id: appId,
        instance_id: instanceId,
        person_id: personId,
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

  it('lists apps with figures computed across instances, per the contract, on both versions', async () => {
    const slack = await createApp({
      name: 'Figures Slack',
      category: 'Communication',
      url: 'https://slack.com',
    });
    const zoom = await createApp({ name: 'Figures Zoom', state: 'discovered' });
    const [a, b, c] = [await person('a@acme.com'), await person('b@acme.com'), await person('c@acme.com')];
    // a is active in two instances (counted once), b active in one, c only inactive.
    await account(slack.id, 'ins_1', a, 'active');
    await account(slack.id, 'ins_2', a, 'active');
    await account(slack.id, 'ins_2', b, 'active');
    await account(slack.id, 'ins_1', c, 'inactive');
    const db = t.app.store.db;
    for (const [instance, total] of [
      ['ins_1', 10],
      ['ins_2', 5],
    ] as const) {
      await db
        .insertInto('licenses')
        .values({
          tenant_id: tenantId,
          id: newId('lic'),
          app_id: slack.id,
          instance_id: instance,
          external_id: null,
          name: 'Pro',
          total,
          used: 1,
          price_per_unit_minor: null,
          currency: null,
          created_at: NOW,
          updated_at: NOW,
        })
        .execute();
    }
    // Zoom has no contract: its annual cost is the last 12 months of transactions.
    for (const [day, amount] of [
      [today, 10_000],
      ['2001-01-01', 99_999],
    ] as const) {
      await db
        .insertInto('transactions')
        .values({
          tenant_id: tenantId,
          id: newId('txn'),
          app_id: zoom.id,
          instance_id: null,
          external_id: null,
          occurred_on: day,
          amount_minor: amount,
          currency: 'USD',
          description: null,
          vendor: null,
          payment_method: null,
          created_at: NOW,
        })
        .execute();
    }
    await refreshAppFigures(db, tenantId);
    // Slack has a monthly contract of 50.00: 600.00 a year.
    const contract = await call('POST', '/v1.1/contracts', {
      appId: slack.id,
      name: 'Slack 2025',
      annualCost: 600,
      currency: 'USD',
    });
    expect(contract.statusCode, contract.body).toBe(201);

    for (const prefix of ['/v1.0', '/v1.1']) {
      const list = await call('GET', `${prefix}/apps?name=figures%20slack`);
      expect(list.statusCode, list.body).toBe(200);
      expectContract(C, 'GET', '/apps', list);
      expect(list.headers['x-api-version']).toBe(prefix.slice(2));
      expect(page(list).data).toEqual([
        expect.objectContaining({
          id: slack.id,
          name: 'Figures Slack',
          category: 'Communication',
          state: 'managed',
          url: 'https://slack.com',
          activeUsers: 2,
          totalUsers: 3,
          totalLicenses: 15,
          annualCost: 600,
        }),
      ]);
    }
    const zoomItem = await call('GET', `/v1.1/apps/${zoom.id}`);
    expect(zoomItem.json<AppItem>()).toMatchObject({ state: 'discovered', annualCost: 100, activeUsers: 0 });

    const byCost = page(await call('GET', '/v1.1/apps?sort=-annualCost&fields=name,annualCost'));
    expect(byCost.data.slice(0, 2).map((x) => x.name)).toEqual(['Figures Slack', 'Figures Zoom']);
    expect(Object.keys(byCost.data[0] ?? {}).sort()).toEqual(['annualCost', 'id', 'name']);
    const discovered = page(await call('GET', '/v1.1/apps?state=discovered'));
    expect(discovered.data.map((x) => x.id)).toContain(zoom.id);
    expect(discovered.data.every((x) => x.state === 'discovered')).toBe(true);
  });

  it('honours X-API-Version and refuses unknown versions', async () => {
    const list = await t.request({
      method: 'GET',
      url: '/v1.0/apps?size=1',
      token: t.ownerToken,
      headers: { 'x-api-version': '1.1' },
    });
    expect(list.statusCode).toBe(200);
    expect(list.headers['x-api-version']).toBe('1.1');
    const bad = await t.request({
      method: 'GET',
      url: '/v1.1/apps',
      token: t.ownerToken,
      headers: { 'x-api-version': '2.0' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: string; message: string }>()).toMatchObject({ error: 'Bad Request' });
    expect(bad.json<{ message: string }>().message).toContain('x-api-version');
  });

  it('answers 400 naming the bad list parameter', async () => {
    const cases: [string, string][] = [
      ['size=0', 'size'],
      ['size=1001', 'size'],
      ['size=abc', 'size'],
      ['sort=url', 'sort'],
      ['sort=-bogus', 'sort'],
      ['fields=name,bogus', 'bogus'],
      ['state=gone', 'state'],
      ['cursor=notacursor', 'cursor'],
      ['bogus=1', 'bogus'],
    ];
    for (const [query, name] of cases) {
      const r = await call('GET', `/v1.1/apps?${query}`);
      expect(r.statusCode, query).toBe(400);
      const body = r.json<{ error: string; message: string }>();
      expect(typeof body.error).toBe('string');
      expect(body.message, query).toContain(name);
    }
    const unauthorized = await t.request({ method: 'GET', url: '/v1.1/apps' });
    expect(unauthorized.statusCode).toBe(401);
    expectContract(C, 'GET', '/apps', unauthorized);
  });

  it('creates, updates and closes apps natively, with audit entries and 409/404/400 paths', async () => {
    const owner = await person('owner@acme.com');
    const created = await createApp(
      { name: 'Native Notion', owner: 'OWNER@acme.com', category: 'Docs' },
      '/v1.0',
    );
    expect(created).toMatchObject({ name: 'Native Notion', owner: 'owner@acme.com', state: 'managed' });
    const dup = await call('POST', '/v1.1/apps', { name: 'native notion' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json<{ message: string }>().message).toContain('name');
    const badUrl = await call('POST', '/v1.1/apps', { name: 'X', url: 'ftp://x' });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json<{ message: string }>().message).toContain('url');
    const badOwner = await call('PUT', `/v1.1/apps/${created.id}`, { owner: 'nobody@acme.com' });
    expect(badOwner.statusCode).toBe(400);
    expect(badOwner.json<{ message: string }>().message).toContain('owner');
    const extra = await call('PUT', `/v1.1/apps/${created.id}`, { colour: 'red' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json<{ message: string }>().message).toContain('colour');

    const updated = await call('PUT', `/v1.1/apps/${created.id}`, { category: 'Knowledge', owner: owner });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json<AppItem>()).toMatchObject({ category: 'Knowledge', owner: 'owner@acme.com' });
    const closed = await call('POST', `/v1.1/apps/${created.id}/close`);
    expect(closed.json<AppItem>().state).toBe('closed');
    const closedList = page(await call('GET', '/v1.1/apps?state=closed'));
    expect(closedList.data.map((a) => a.id)).toContain(created.id);

    const audit = await call('GET', `/v1.1/audit?target=${created.id}&sort=createdAt`);
    expect(audit.json<Page<{ action: string }>>().data.map((e) => e.action)).toEqual([
      'app.created',
      'app.updated',
      'app.closed',
    ]);
    const missing = await call('GET', '/v1.1/apps/app_missing');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'Not Found' });
  });

  it('validates and filters by custom fields', async () => {
    const field = await call('POST', '/v1.1/customFields', {
      entity: 'apps',
      key: 'region',
      name: 'Region',
      type: 'single-select',
      options: ['EU', 'US'],
    });
    expect(field.statusCode, field.body).toBe(201);
    const seats = await call('POST', '/v1.1/customFields', {
      entity: 'apps',
      key: 'seatsPlanned',
      name: 'Seats',
      type: 'number',
    });
    expect(seats.statusCode).toBe(201);
    const eu = await createApp({ name: 'Custom EU', customFields: { region: 'EU', seatsPlanned: 40 } });
    expect(eu).toMatchObject({ region: 'EU', seatsPlanned: 40 });
    await createApp({ name: 'Custom US', customFields: { region: 'US' } });
    const bad = await call('POST', '/v1.1/apps', { name: 'Custom Bad', customFields: { region: 'APAC' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('customFields.region');
    const badNumber = await call('PUT', `/v1.1/apps/${eu.id}`, { customFields: { seatsPlanned: 'forty' } });
    expect(badNumber.statusCode).toBe(400);
    expect(badNumber.json<{ message: string }>().message).toContain('customFields.seatsPlanned');
    const unknown = await call('PUT', `/v1.1/apps/${eu.id}`, { customFields: { nope: 1 } });
    expect(unknown.statusCode).toBe(400);

    const filtered = page(await call('GET', '/v1.1/apps?region=EU&fields=name,region'));
    expect(filtered.data).toEqual([{ id: eu.id, name: 'Custom EU', region: 'EU' }]);
    const onlyCustom = page(await call('GET', '/v1.1/apps?region=EU&fields=region'));
    expect(onlyCustom.data).toEqual([{ id: eu.id, region: 'EU' }]);
    const byNumber = page(await call('GET', '/v1.0/apps?seatsPlanned=40'));
    expect(byNumber.data.map((a) => a.id)).toEqual([eu.id]);
    const badFilter = await call('GET', '/v1.1/apps?region=APAC');
    expect(badFilter.statusCode).toBe(400);
    expect(badFilter.json<{ message: string }>().message).toContain('region');

    const metadata = await call('GET', '/v1.1/apps/metadata?search=reg');
    expectContract(C, 'GET', '/apps/metadata', metadata);
    expect(metadata.json<{ data: { key: string; isCustom: boolean }[] }>().data).toEqual([
      expect.objectContaining({
        key: 'region',
        name: 'Region',
        type: 'single-select',
        isCustom: true,
        isRequired: false,
      }),
    ]);
  });

  it('pages with a stable cursor while apps are inserted between pages', async () => {
    for (let i = 0; i < 23; i++) await createApp({ name: `Paging ${String(i).padStart(2, '0')}` });
    const before = page(await call('GET', '/v1.1/apps?size=1000&fields=id')).data.map((a) => a.id);
    for (const sort of ['name', '-name', '-annualCost', 'createdAt', 'id']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let inserted = 0;
      do {
        const url: string = `/v1.1/apps?size=7&sort=${sort}&fields=id${cursor ? `&cursor=${cursor}` : ''}`;
        const r = await call('GET', url);
        expect(r.statusCode, r.body).toBe(200);
        expectContract(C, 'GET', '/apps', r);
        const body = page(r);
        seen.push(...body.data.map((a) => a.id));
        cursor = body.nextCursor;
        // Rows that sort before and after the cursor appear between pages.
        await createApp({ name: `Aaa inserted ${sort} ${inserted}` });
        await createApp({ name: `Zzz inserted ${sort} ${inserted++}` });
      } while (cursor);
      const original = seen.filter((id) => before.includes(id));
      expect(new Set(seen).size, sort).toBe(seen.length);
      expect(original.sort(), sort).toEqual([...before].sort());
      before.push(
        ...page(await call('GET', '/v1.1/apps?size=1000&fields=id'))
          .data.map((a) => a.id)
          .filter((id) => !before.includes(id)),
      );
    }
  });

  it('refuses tampered cursors whose value does not have the type of the sort', async () => {
    await createApp({ name: 'Cursor Target' });
    const tamper = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: [string, unknown[]][] = [
      ['annualCost', ['annualCost', 'abc', 'app_x']],
      ['-activeUsers', ['-activeUsers', '5', 'app_x']],
      ['annualCost', ['annualCost', null, 'app_x']],
      ['name', ['name', 1, 'x']],
      ['name', ['name', null, 'x']],
      ['createdAt', ['createdAt', 20250101, 'x']],
      ['id', ['id', 'app_x', 1]],
    ];
    for (const [sort, value] of cases) {
      const query = `sort=${sort}&cursor=${tamper(value)}`;
      const r = await call('GET', `/v1.1/apps?${query}`);
      expect(r.statusCode, JSON.stringify(value)).toBe(400);
      expect(r.json<{ message: string }>().message, JSON.stringify(value)).toMatch(/^cursor: /);
    }
    // Cursors of the right type still page, numeric sorts included.
    const first = page(await call('GET', '/v1.1/apps?sort=-annualCost&size=1'));
    const next = await call('GET', `/v1.1/apps?sort=-annualCost&size=1&cursor=${first.nextCursor}`);
    expect(next.statusCode, next.body).toBe(200);
    const byName = await call('GET', `/v1.1/apps?cursor=${tamper(['name', 'a', 'x'])}`);
    expect(byName.statusCode, byName.body).toBe(200);
  });

  it('enforces a required custom field on PUT only when the request clears it', async () => {
    const before = await createApp({ name: 'Before Required' });
    const created = await call('POST', '/v1.1/customFields', {
      entity: 'apps',
      key: 'costCenter',
      name: 'Cost center',
      type: 'string',
      isRequired: true,
    });
    expect(created.statusCode, created.body).toBe(201);
    const fieldId = created.json<{ id: string }>().id;
    try {
      const missing = await call('POST', '/v1.1/apps', { name: 'No Cost Center' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json<{ message: string }>().message).toContain('customFields.costCenter: is required');
      const blank = await call('POST', '/v1.1/apps', { name: 'Blank', customFields: { costCenter: ' ' } });
      expect(blank.statusCode).toBe(400);
      // An app from before the field was required lacks it; unrelated updates still go through.
      const unrelated = await call('PUT', `/v1.1/apps/${before.id}`, { category: 'Finance' });
      expect(unrelated.statusCode, unrelated.body).toBe(200);
      for (const costCenter of [null, '']) {
        const cleared = await call('PUT', `/v1.1/apps/${before.id}`, { customFields: { costCenter } });
        expect(cleared.statusCode, JSON.stringify(costCenter)).toBe(400);
        expect(cleared.json<{ message: string }>().message).toContain('customFields.costCenter: is required');
      }
      const set = await call('PUT', `/v1.1/apps/${before.id}`, { customFields: { costCenter: 'CC-1' } });
      expect(set.json<AppItem>()).toMatchObject({ costCenter: 'CC-1' });
      const blanked = await call('PUT', `/v1.1/apps/${before.id}`, { customFields: { costCenter: '' } });
      expect(blanked.statusCode).toBe(400);
      expect((await call('GET', `/v1.1/apps/${before.id}`)).json<AppItem>()).toMatchObject({
        costCenter: 'CC-1',
      });
    } finally {
      await call('DELETE', `/v1.1/customFields/${fieldId}`);
    }
  });

  it('keeps tenants apart: another tenant sees none of these apps and gets 404 for their ids', async () => {
    const mine = await createApp({ name: 'Isolated App' });
    const tenant = await call('POST', '/api/tenants', { name: 'Other Org' });
    expect(tenant.statusCode).toBe(201);
    const other = tenant.json<{ ownerToken: string }>().ownerToken;
    const list = await call('GET', '/v1.1/apps', undefined, other);
    expect(page(list).data).toEqual([]);
    expect((await call('GET', `/v1.1/apps/${mine.id}`, undefined, other)).statusCode).toBe(404);
    expect((await call('PUT', `/v1.1/apps/${mine.id}`, { category: 'x' }, other)).statusCode).toBe(404);
    expect((await call('POST', `/v1.1/apps/${mine.id}/close`, undefined, other)).statusCode).toBe(404);
    const sameName = await call('POST', '/v1.1/apps', { name: 'Isolated App' }, other);
    expect(sameName.statusCode).toBe(201);
  });

  it('applies the shared auth rules to every management route', async () => {
    // Under /v1.1 sit the management routes and the SCIM aliases; each is checked in its own format.
    const count = await expectAuthRules(t, { prefix: '/v1.1' });
    expect(count).toBeGreaterThanOrEqual(15);
  });
});
