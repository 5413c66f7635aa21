import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';
import { skipPostgres } from './helpers/db.js';

const C = 'torii-v1.openapi.yaml';
const P = '/contracts/{idContract}';

interface ContractItem {
  id: string;
  appId?: string;
  appName?: string;
  name?: string;
  annualCost?: number;
  currency?: string;
  [key: string]: unknown;
}
interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

describe.skipIf(skipPostgres)('management face: contracts (/v1.0, /v1.1)', () => {
  let t: TestApp;
  let appId: string;
  beforeAll(async () => {
    t = await startTestApp();
    const app = await t.request({
      method: 'POST',
      url: '/v1.1/apps',
      token: t.ownerToken,
      payload: { name: 'Figma' },
    });
    appId = app.json<{ id: string }>().id;
  });
  afterAll(() => t.close());

  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    token = t.ownerToken,
  ) => t.request({ method, url, token, ...(payload === undefined ? {} : { payload: payload as object }) });

  async function create(body: Record<string, unknown>): Promise<ContractItem> {
    const created = await call('POST', '/v1.1/contracts', { appId, name: 'Figma 2025', ...body });
    expect(created.statusCode, created.body).toBe(201);
    return created.json<ContractItem>();
  }

  it('gets and updates a contract per the contract, on both versions, with audit and app figures', async () => {
    const contract = await create({
      status: 'active',
      startDate: '2025-01-01',
      endDate: '2025-12-31',
      renewalDate: '2025-12-01',
      annualCost: 1200.5,
      currency: 'EUR',
    });
    for (const prefix of ['/v1.0', '/v1.1']) {
      const got = await call('GET', `${prefix}/contracts/${contract.id}`);
      expectContract(C, 'GET', P, got);
      expect(got.json<ContractItem>()).toMatchObject({
        id: contract.id,
        appId,
        appName: 'Figma',
        name: 'Figma 2025',
        status: 'active',
        startDate: '2025-01-01',
        endDate: '2025-12-31',
        renewalDate: '2025-12-01',
        annualCost: 1200.5,
        currency: 'EUR',
      });
    }
    const stored = await t.app.store.db
      .selectFrom('contracts')
      .select(['cost_minor', 'currency'])
      .where('id', '=', contract.id)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ cost_minor: 120050, currency: 'EUR' });

    const updated = await call('PUT', `/v1.0/contracts/${contract.id}`, {
      name: 'Figma 2026',
      endDate: '2026-12-31',
      renewalDate: '2026-12-01',
      annualCost: 2400,
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expectContract(C, 'PUT', P, updated);
    expect(updated.json<ContractItem>()).toMatchObject({
      name: 'Figma 2026',
      annualCost: 2400,
      currency: 'EUR',
    });
    const app = await call('GET', `/v1.1/apps/${appId}`);
    expect(app.json<{ annualCost: number }>().annualCost).toBe(2400);

    const audit = await call('GET', `/v1.1/audit?target=${contract.id}&sort=createdAt`);
    expectContract(C, 'GET', '/audit', audit);
    expect(audit.json<Page<{ action: string; actor: string }>>().data.map((e) => e.action)).toEqual([
      'contract.created',
      'contract.updated',
    ]);
    const events = await t.app.store.db
      .selectFrom('events')
      .select('type')
      .where('subject_id', '=', contract.id)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['contract.created', 'contract.updated']);
  });

  it('stores money in the currency minor units', async () => {
    const yen = await create({ annualCost: 120000, currency: 'JPY' });
    expect(yen.annualCost).toBe(120000);
    const row = await t.app.store.db
      .selectFrom('contracts')
      .select('cost_minor')
      .where('id', '=', yen.id)
      .executeTakeFirstOrThrow();
    expect(row.cost_minor).toBe(120000);
  });

  it('converts money exactly and refuses amounts finer than the currency', async () => {
    const contract = await create({ annualCost: 1.15, currency: 'USD' });
    const minor = async () =>
      (
        await t.app.store.db
          .selectFrom('contracts')
          .select('cost_minor')
          .where('id', '=', contract.id)
          .executeTakeFirstOrThrow()
      ).cost_minor;
    expect(await minor()).toBe(115);
    expect(contract.annualCost).toBe(1.15);
    const r = await call('PUT', `/v1.1/contracts/${contract.id}`, { annualCost: 4.35 });
    expect(r.json<ContractItem>().annualCost).toBe(4.35);
    expect(await minor()).toBe(435);
    const cases: [Record<string, unknown>, string][] = [
      [{ annualCost: 1.005 }, 'annualCost: USD amounts have at most 2 decimal places'],
      [{ annualCost: 0.001 }, 'annualCost: USD amounts have at most 2 decimal places'],
      [{ annualCost: 1234.56, currency: 'JPY' }, 'annualCost: JPY amounts have no decimal places'],
      [{ annualCost: 1.0005, currency: 'KWD' }, 'annualCost: KWD amounts have at most 3 decimal places'],
      // Another currency needs the amount in it: 4.35 USD must not become 435 JPY.
      [{ currency: 'JPY' }, 'annualCost: is required when the currency changes (USD → JPY)'],
    ];
    for (const [body, message] of cases) {
      const refused = await call('PUT', `/v1.1/contracts/${contract.id}`, body);
      expect(refused.statusCode, JSON.stringify(body)).toBe(400);
      expect(refused.json<{ message: string }>().message, JSON.stringify(body)).toContain(message);
    }
    expect(await minor()).toBe(435);
    const dinar = await call('PUT', `/v1.1/contracts/${contract.id}`, { annualCost: 1.005, currency: 'KWD' });
    expect(dinar.json<ContractItem>()).toMatchObject({ annualCost: 1.005, currency: 'KWD' });
    expect(await minor()).toBe(1005);
  });

  it('refuses broken terms with 400 naming the field', async () => {
    const contract = await create({ startDate: '2025-01-01', endDate: '2025-12-31' });
    const cases: [Record<string, unknown>, string][] = [
      [{ endDate: '2024-12-31' }, 'endDate'],
      [{ renewalDate: '2024-01-01' }, 'renewalDate'],
      [{ renewalDate: '2040-01-01' }, 'renewalDate'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ annualCost: -5 }, 'annualCost'],
      [{ startDate: '2025-13-01' }, 'startDate'],
      [{ status: 'bogus' }, 'status'],
      [{ owner: 'nobody@acme.com' }, 'owner'],
      [{ vendor: 'x' }, 'vendor'],
    ];
    for (const [body, field] of cases) {
      const r = await call('PUT', `/v1.1/contracts/${contract.id}`, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json<{ message: string }>().message, JSON.stringify(body)).toContain(field);
    }
    const noApp = await call('POST', '/v1.1/contracts', { appId: 'app_nope', name: 'X' });
    expect(noApp.statusCode).toBe(400);
    expect(noApp.json<{ message: string }>().message).toContain('appId');
    const missing = await call('GET', '/v1.1/contracts/ctr_missing');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'Not Found' });
    expect((await call('PUT', '/v1.1/contracts/ctr_missing', { name: 'x' })).statusCode).toBe(404);
  });

  it('lists, filters and deletes contracts natively', async () => {
    const a = await create({ name: 'List A', status: 'expired', annualCost: 10, currency: 'USD' });
    const b = await create({ name: 'List B', status: 'expired', annualCost: 20, currency: 'USD' });
    const list = await call('GET', '/v1.1/contracts?status=expired&sort=-annualCost&fields=name,annualCost');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json<Page<ContractItem>>().data).toEqual([
      { id: b.id, name: 'List B', annualCost: 20 },
      { id: a.id, name: 'List A', annualCost: 10 },
    ]);
    const deleted = await call('DELETE', `/v1.0/contracts/${a.id}`);
    expect(deleted.statusCode).toBe(204);
    expect((await call('GET', `/v1.1/contracts/${a.id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/v1.1/contracts/${a.id}`)).statusCode).toBe(404);
    const audit = await call('GET', `/v1.1/audit?action=contract.deleted`);
    expect(audit.json<Page<{ target: string }>>().data.map((e) => e.target)).toEqual([a.id]);
  });

  it('validates custom contract fields, required ones included', async () => {
    const field = await call('POST', '/v1.1/customFields', {
      entity: 'contracts',
      key: 'poNumber',
      name: 'PO number',
      type: 'string',
      isRequired: true,
    });
    expect(field.statusCode, field.body).toBe(201);
    const missing = await call('POST', '/v1.1/contracts', { appId, name: 'No PO' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json<{ message: string }>().message).toContain('customFields.poNumber');
    const withPo = await create({ name: 'With PO', customFields: { poNumber: 'PO-1' } });
    expect(withPo.poNumber).toBe('PO-1');
    const cleared = await call('PUT', `/v1.1/contracts/${withPo.id}`, { customFields: { poNumber: null } });
    expect(cleared.statusCode).toBe(400);
    const filtered = await call('GET', '/v1.1/contracts?poNumber=PO-1&fields=name');
    expect(filtered.json<Page<ContractItem>>().data).toEqual([{ id: withPo.id, name: 'With PO' }]);
    const metadata = await call('GET', '/v1.1/contracts/metadata');
    expectContract(C, 'GET', '/contracts/metadata', metadata);
    expect(metadata.json<{ data: { key: string }[] }>().data.find((f) => f.key === 'poNumber')).toMatchObject(
      {
        isCustom: true,
        isRequired: true,
      },
    );
    await call('PUT', `/v1.1/customFields/${field.json<{ id: string }>().id}`, { isRequired: false });
  });

  it('refuses bodies over the route limit with 413 and documents the face in OpenAPI', async () => {
    const big = await call('POST', '/v1.1/contracts', {
      appId,
      name: 'Big',
      customFields: { note: 'x'.repeat(70_000) },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'Payload Too Large' });
    const doc = await t.request({ method: 'GET', url: '/openapi/manage.json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/v1.0/apps', '/v1.1/contracts/{idContract}', '/v1.1/audit']),
    );
  });

  it('keeps tenants apart: 404 for another tenant’s contracts, 400 for its app ids', async () => {
    const mine = await create({ name: 'Private' });
    const tenant = await call('POST', '/api/tenants', { name: 'Contracts Other' });
    const other = tenant.json<{ ownerToken: string }>().ownerToken;
    expect((await call('GET', `/v1.1/contracts/${mine.id}`, undefined, other)).statusCode).toBe(404);
    expect((await call('PUT', `/v1.1/contracts/${mine.id}`, { name: 'x' }, other)).statusCode).toBe(404);
    expect((await call('DELETE', `/v1.1/contracts/${mine.id}`, undefined, other)).statusCode).toBe(404);
    const theirs = await call('POST', '/v1.1/contracts', { appId, name: 'Steal' }, other);
    expect(theirs.statusCode).toBe(400);
    const list = await call('GET', '/v1.1/contracts', undefined, other);
    expect(list.json<Page<ContractItem>>().data).toEqual([]);
  });
});
