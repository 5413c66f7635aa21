import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo, generateDemoIfEmpty } from '../src/modules/demo/demo.service.js';
import type { DemoSummary } from '../src/modules/demo/demo.types.js';
import type { Db } from '../src/platform/db/db.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { skipPostgres, testDb } from './helpers/db.js';

const now = new Date('2026-03-15T10:00:00Z');
const options = { seed: 7, people: 200, now };
/** Tables the demo fills, each with the summary key counting its rows (group_members: one per person). */
const tables = {
  people: 'people',
  groups: 'groups',
  group_members: 'people',
  apps: 'apps',
  integrations: 'apps',
  instances: 'apps',
  app_accounts: 'accounts',
  licenses: 'licenses',
  contracts: 'contracts',
  transactions: 'transactions',
  activities: 'activities',
} as const;

async function createTenant(t: TestApp, name: string, domains: string[] = []): Promise<string> {
  const created = await t.request({
    method: 'POST',
    url: '/api/tenants',
    token: t.ownerToken,
    payload: { name, domains },
  });
  expect(created.statusCode).toBe(201);
  const slug = name.toLowerCase().replace(/\s+/g, '-');
  const found = await t.app.services.tenants.find(slug);
  if (!found) throw new Error(`tenant ${slug} missing`);
  return found.id;
}

async function count(db: Db, table: keyof typeof tables, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** What two runs with the same seed must share: everything but ids and creation times. */
async function fingerprint(db: Db, tenantId: string) {
  const people = await db
    .selectFrom('people')
    .select(['email', 'title', 'status', 'department'])
    .where('tenant_id', '=', tenantId)
    .orderBy('email')
    .execute();
  const apps = await db
    .selectFrom('apps')
    .select(['name', 'state'])
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .execute();
  const contracts = await db
    .selectFrom('contracts as c')
    .innerJoin('apps as a', (j) => j.onRef('a.tenant_id', '=', 'c.tenant_id').onRef('a.id', '=', 'c.app_id'))
    .select(['a.name', 'c.start_date', 'c.end_date', 'c.renewal_date', 'c.cost_minor', 'c.status'])
    .where('c.tenant_id', '=', tenantId)
    .orderBy('a.name')
    .orderBy('c.start_date')
    .execute();
  const accounts = await db
    .selectFrom('app_accounts as x')
    .innerJoin('apps as a', (j) => j.onRef('a.tenant_id', '=', 'x.tenant_id').onRef('a.id', '=', 'x.app_id'))
    .select(['a.name', 'x.email', 'x.status', 'x.role', 'x.license', 'x.last_used_at'])
    .where('x.tenant_id', '=', tenantId)
    .orderBy('a.name')
    .orderBy('x.email')
    .execute();
  return { people, apps, contracts, accounts };
}

describe.skipIf(skipPostgres)('demo data', () => {
  let t: TestApp;
  let db: Db;
  let first: string;
  let second: string;
  let summary: DemoSummary;
  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.store.db;
    first = await createTenant(t, 'Demo One');
    second = await createTenant(t, 'Demo Two');
    summary = await generateDemo(db, first, options);
    await generateDemo(db, second, options);
  });
  afterAll(() => t.close());

  it('fills a tenant with about the requested amounts, as the summary reports', async () => {
    expect(summary).toMatchObject({ people: 200, groups: 10, apps: 60 });
    expect(summary.accounts).toBeGreaterThan(200 * 10 * 0.8);
    expect(summary.accounts).toBeLessThan(200 * 10 * 1.1);
    expect(summary.licenses).toBeGreaterThan(40);
    expect(summary.contracts).toBeGreaterThan(30);
    expect(summary.transactions).toBeGreaterThan(summary.licenses * 11);
    expect(summary.activities).toBeGreaterThan(0);
    for (const [table, key] of Object.entries(tables) as [keyof typeof tables, keyof DemoSummary][]) {
      expect(await count(db, table, first), table).toBe(summary[key]);
    }
    const states = await db.selectFrom('apps').select('state').where('tenant_id', '=', first).execute();
    expect(states.filter((s) => s.state === 'closed')).toHaveLength(2);
    expect(states.filter((s) => s.state === 'discovered').length).toBeGreaterThan(0);
  });

  it('uses the fallback domain, a few contractors elsewhere, and dates relative to now', async () => {
    const people = await db
      .selectFrom('people')
      .select(['email', 'is_external'])
      .where('tenant_id', '=', first)
      .execute();
    const internal = people.filter((p) => p.is_external === 0);
    expect(internal.every((p) => p.email?.endsWith('@acme.example'))).toBe(true);
    expect(people.filter((p) => p.is_external === 1).every((p) => !p.email?.endsWith('@acme.example'))).toBe(
      true,
    );
    const renewing = await db
      .selectFrom('contracts')
      .select('renewal_date')
      .where('tenant_id', '=', first)
      .where('status', '=', 'active')
      .where('renewal_date', '>=', '2026-03-15')
      .where('renewal_date', '<=', '2026-06-13')
      .execute();
    expect(renewing.length).toBeGreaterThan(0);
    const lastUse = await db
      .selectFrom('app_accounts')
      .select((eb) => [eb.fn.min('last_used_at').as('oldest'), eb.fn.max('last_used_at').as('newest')])
      .where('tenant_id', '=', first)
      .executeTakeFirstOrThrow();
    expect(String(lastUse.oldest) >= '2025-12-15').toBe(true);
    expect(String(lastUse.newest) <= now.toISOString()).toBe(true);
  });

  it('gives the same organization for the same seed in two tenants', async () => {
    const a = await fingerprint(db, first);
    const b = await fingerprint(db, second);
    expect(a.people).toHaveLength(200);
    expect(b).toEqual(a);
  });

  it('keeps every row and every reference inside its tenant', async () => {
    const tenantIds = [first, second];
    for (const table of Object.keys(tables) as (keyof typeof tables)[]) {
      const stray = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', 'not in', tenantIds)
        .executeTakeFirstOrThrow();
      expect(Number(stray.n), table).toBe(0);
    }
    // Every reference resolves to a row of the same tenant.
    const dangling = await sql<{ what: string; n: number }>`
      select 'account person' as what, count(*) as n from app_accounts x
        where not exists (select 1 from people p where p.tenant_id = x.tenant_id and p.id = x.person_id)
      union all select 'account app', count(*) from app_accounts x
        where not exists (select 1 from apps a where a.tenant_id = x.tenant_id and a.id = x.app_id)
      union all select 'account instance', count(*) from app_accounts x
        where not exists (select 1 from instances i where i.tenant_id = x.tenant_id and i.id = x.instance_id and i.app_id = x.app_id)
      union all select 'manager', count(*) from people p where p.manager_id is not null
        and not exists (select 1 from people m where m.tenant_id = p.tenant_id and m.id = p.manager_id)
      union all select 'member', count(*) from group_members g
        where not exists (select 1 from people p where p.tenant_id = g.tenant_id and p.id = g.person_id)
          or not exists (select 1 from groups r where r.tenant_id = g.tenant_id and r.id = g.group_id)
      union all select 'app owner', count(*) from apps a where a.owner_id is null
        or not exists (select 1 from people p where p.tenant_id = a.tenant_id and p.id = a.owner_id)
      union all select 'instance integration', count(*) from instances i
        where not exists (select 1 from integrations g where g.tenant_id = i.tenant_id and g.id = i.integration_id and g.app_id = i.app_id)
      union all select 'license app', count(*) from licenses l
        where not exists (select 1 from apps a where a.tenant_id = l.tenant_id and a.id = l.app_id)
      union all select 'contract app', count(*) from contracts c
        where not exists (select 1 from apps a where a.tenant_id = c.tenant_id and a.id = c.app_id and a.state = 'managed')
      union all select 'transaction app', count(*) from transactions x
        where not exists (select 1 from apps a where a.tenant_id = x.tenant_id and a.id = x.app_id)
      union all select 'activity', count(*) from activities v
        where not exists (select 1 from app_accounts x where x.tenant_id = v.tenant_id and x.person_id = v.person_id and x.app_id = v.app_id)`.execute(
      db,
    );
    for (const row of dangling.rows) expect(Number(row.n), row.what).toBe(0);
  });

  it('refuses a second run on the same tenant and records one audit entry per run', async () => {
    await expect(generateDemo(db, first, options)).rejects.toMatchObject({ code: 'conflict' });
    expect(await generateDemoIfEmpty(db, first, options)).toBeUndefined();
    expect(await count(db, 'people', first)).toBe(200);
    const audit = await db
      .selectFrom('audit_entries')
      .select(['tenant_id', 'actor_name', 'target_id'])
      .where('action', '=', 'demo.generated')
      .execute();
    expect(audit.map((a) => a.tenant_id).sort()).toEqual([first, second].sort());
    expect(audit.every((a) => a.actor_name === 'demo' && a.target_id === a.tenant_id)).toBe(true);
  });

  it("uses the tenant's own domain and validates its options", async () => {
    const globex = await createTenant(t, 'Globex', ['globex.com']);
    await expect(generateDemo(db, globex, { people: 0 })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(generateDemo(db, 'ten_missing', options)).rejects.toMatchObject({ code: 'not_found' });
    await generateDemo(db, globex, { seed: 1, people: 50, apps: 12, accessPerPerson: 3, now });
    const ceo = await db
      .selectFrom('people')
      .select('email')
      .where('tenant_id', '=', globex)
      .where('title', '=', 'Chief Executive Officer')
      .executeTakeFirstOrThrow();
    expect(ceo.email).toMatch(/@globex\.com$/);
    expect(await count(db, 'apps', globex)).toBe(12);
  });

  // The CLI is a thin wrapper; one store is enough to prove the wiring.
  it.skipIf(testDb !== 'sqlite')('sightline demo fills a tenant from the command line', () => {
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'demo', '--people', '40', '--apps', '12', '--seed', '3'],
      { env: { ...process.env, ...t.env, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
    );
    expect(output).toMatch(/^Demo data in tenant 'default': 40 people, 10 groups, 12 apps, \d+ accounts/);
  });
});
