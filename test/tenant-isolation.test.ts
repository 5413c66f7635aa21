import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../src/modules/demo/demo.service.js';
import {
  createTenant,
  startTestApp,
  systemTenantId,
  type TestApp,
  type TestResponse,
} from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';

type Obj = Record<string, unknown>;

/** Tables background work keeps writing to (deliveries, jobs): left out of the fingerprint. */
const VOLATILE = new Set(['jobs', 'events', 'webhook_deliveries', 'workflow_runs', 'workflow_steps']);
/** A string only tenant A's objects carry in their names. */
const MARKER = 'tenant-a-private-marker';

/**
 * Multi-tenancy, swept over every route: a token of tenant B, with every action of its own tenant,
 * aims every route at tenant A's ids (one row of each table). No answer carries anything of A's
 * (ids other than the one B sent, or A's names), no request succeeds on A's objects, none fails
 * with a 500, and A's rows are byte for byte what they were. Routes added later are swept too.
 */
describe.skipIf(skipPostgres)('tenant isolation (every route)', () => {
  let t: TestApp;
  let tokenB: string;
  let tenantA: string;
  /** One id of each of A's tables, by table. */
  const idsOfA = new Map<string, string[]>();
  /** Every id of A's rows (what no answer to B may contain). */
  const everyIdOfA = new Set<string>();

  const as = (token: string) => (method: string, url: string, payload?: unknown) =>
    t.request({
      method: method as 'GET',
      url,
      token,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const created = (res: TestResponse, label: string): Obj => {
    expect(res.statusCode, `${label}: ${res.body}`).toBeLessThan(300);
    return res.json<Obj>();
  };

  /** Tables with a tenant_id column, and whether each has an id column. */
  async function tenantTables(): Promise<{ name: string; hasId: boolean }[]> {
    const tables = await t.app.store.db.introspection.getTables();
    return tables
      .filter((table) => table.columns.some((c) => c.name === 'tenant_id'))
      .map((table) => ({ name: table.name, hasId: table.columns.some((c) => c.name === 'id') }));
  }

  /** A digest of every row of tenant A, per table (volatile tables left out). */
  async function fingerprintOfA(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const table of await tenantTables()) {
      if (VOLATILE.has(table.name)) continue;
      const { rows } =
        await sql<Obj>`select * from ${sql.table(table.name)} where tenant_id = ${tenantA}`.execute(
          t.app.store.db,
        );
      const lines = rows
        .map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))
        .sort();
      out[table.name] = `${rows.length}:${createHash('sha256').update(lines.join('\n')).digest('hex')}`;
    }
    return out;
  }

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1000000', MANAGE_USERS_RATE_LIMIT_MAX: '1000000' });
    await t.app.queue.start(); // syncs apply
    const a = as(t.ownerToken);
    tenantA = await systemTenantId(t);
    // Tenant A: a demo estate, and one of everything the APIs create.
    await generateDemo(t.app.store.db, tenantA, { people: 25, apps: 6, seed: 11 });
    created(await a('POST', '/api/tokens', { name: `${MARKER} token`, role: 'viewer' }), 'token');
    created(
      await a('POST', '/v2/webhooks', { url: 'https://hooks.example.com/a', events: ['group.created'] }),
      'webhook',
    );
    created(
      await a('POST', '/api/workflows', {
        name: `${MARKER} offboarding`,
        trigger: 'user.deactivated',
        actions: [{ type: 'remove_from_group', groupId: '*' }],
      }),
      'workflow',
    );
    created(await a('POST', '/iam/v1/actions', { name: 'vault:open', description: MARKER }), 'action');
    created(
      await a('POST', '/iam/v1/resource-types', {
        name: 'vault',
        description: MARKER,
        actions: ['vault:open'],
      }),
      'resource type',
    );
    created(
      await a('POST', '/iam/v1/resources', { name: `${MARKER} vault`, slug: 'v1', type: 'vault' }),
      'resource',
    );
    const permission = created(
      await a('POST', '/iam/v1/permissions', {
        name: 'open-vaults',
        statements: [{ actions: ['vault:open'], resource: '*' }],
      }),
      'permission',
    );
    created(
      await a('POST', '/iam/v1/roles', {
        name: 'vault-opener',
        description: MARKER,
        permissions: [permission.id],
      }),
      'role',
    );
    created(
      await a('POST', '/v1.1/customFields', { entity: 'apps', key: 'tier', name: MARKER, type: 'string' }),
      'custom field',
    );
    const person = created(await a('POST', '/scim/v2/Users', { userName: `${MARKER}@a.example` }), 'person');
    created(
      await a('POST', '/scim/v2/Groups', { displayName: `${MARKER} group`, members: [{ value: person.id }] }),
      'group',
    );
    const boundary = 'isolation-boundary';
    created(
      await t.request({
        method: 'POST',
        url: '/v1.1/files/upload',
        token: t.ownerToken,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nEmail,Name\r\n${MARKER}@a.example,A\r\n\r\n--${boundary}--\r\n`,
        ),
      }),
      'file',
    );
    const synced = created(
      await a('POST', '/v1.1/services/sync/custom', {
        appName: `${MARKER} app`,
        users: [{ email: `${MARKER}@a.example`, status: 'active' }],
        licenses: [],
      }),
      'custom sync',
    );
    expect(synced.status).toBe('completed');
    tokenB = await createTenant(t, 'Tenant B', 'tenant-b');

    for (const table of await tenantTables()) {
      if (!table.hasId) continue;
      const { rows } = await sql<{
        id: unknown;
      }>`select id from ${sql.table(table.name)} where tenant_id = ${tenantA}`.execute(t.app.store.db);
      const ids = rows.map((r) => String(r.id));
      for (const id of ids) everyIdOfA.add(id);
      if (ids.length > 0) idsOfA.set(table.name, ids.slice(0, 1));
    }
  }, 60_000);
  afterAll(() => t?.close());

  /** An answer to B: no 500, and nothing of A's in it but what B itself sent (ids, an email). */
  function expectNothingOfA(res: TestResponse, label: string, sent: string[]) {
    expect(res.statusCode, `${label}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    let body = res.body;
    for (const echoed of sent) body = body.split(echoed).join('');
    const leaked = [...everyIdOfA].filter((id) => body.includes(id));
    expect(leaked, `${label} answered ids of tenant A`).toEqual([]);
    expect(body.includes(MARKER), `${label} answered tenant A's names`).toBe(false);
  }

  it('seeded tenant A with rows in every table B will aim at', () => {
    for (const table of ['people', 'groups', 'apps', 'app_accounts', 'contracts', 'instances', 'syncs'])
      expect(idsOfA.get(table), table).toBeDefined();
    expect(idsOfA.size).toBeGreaterThan(15);
  });

  it("never shows B anything of A's, on any route, and changes nothing of A's", async () => {
    const before = await fingerprintOfA();
    const b = as(tokenB);
    const routes = t.app.server.routeCatalog.filter((r) => r.action && r.action !== 'tenants:admin');
    const candidates = [...idsOfA.values()].flat();
    const instanceOfSync = await t.app.store.db
      .selectFrom('syncs')
      .select(['id', 'instance_id'])
      .where('tenant_id', '=', tenantA)
      .executeTakeFirstOrThrow();
    let requests = 0;
    const statuses = new Map<number, number>();
    for (const route of routes) {
      const params = [...route.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] ?? '');
      // Lists and creations without ids: B's own view, and a body naming A's objects where it can.
      const urls: { url: string; sent: string[] }[] =
        params.length === 0
          ? [{ url: route.url, sent: [] }]
          : params.length === 1
            ? candidates.map((id) => ({
                url: route.url.replace(/:[A-Za-z_]+/, encodeURIComponent(id)),
                sent: [id],
              }))
            : [
                {
                  url: route.url
                    .replace(':instance_id', instanceOfSync.instance_id)
                    .replace(':sync_id', instanceOfSync.id),
                  sent: [instanceOfSync.instance_id, instanceOfSync.id],
                },
              ];
      for (const { url, sent } of urls) {
        if (params.length === 0 && route.method !== 'GET') continue; // creations: see the next test
        const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
        const res = await b(route.method, url, body);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        requests++;
        expectNothingOfA(res, `${route.method} ${url}`, sent);
        if (params.length > 0)
          expect(res.statusCode, `${route.method} ${url} succeeded on tenant A's id`).toBeGreaterThanOrEqual(
            400,
          );
      }
    }
    // Every answer was a real one: none was turned away by a rate limit before reaching the data.
    expect(statuses.get(429)).toBeUndefined();
    expect(statuses.get(404)).toBeGreaterThan(500);
    expect(requests).toBeGreaterThan(1000);
    expect(await fingerprintOfA()).toEqual(before);
  }, 120_000);

  it("refuses B's writes that name A's objects, and shows B nothing of them", async () => {
    const before = await fingerprintOfA();
    const b = as(tokenB);
    const first = (table: string) => idsOfA.get(table)?.[0] ?? '';
    const [personA, groupA, appA, permissionA, fileA] = [
      first('people'),
      first('groups'),
      first('apps'),
      first('iam_permissions'),
      first('files'),
    ];
    const emailA = `${MARKER}@a.example`;
    // B's own objects to aim from.
    const appB = created(await b('POST', '/v1.1/apps', { name: 'B app' }), 'B app');
    const appIdB = String(((appB.app as Obj | undefined) ?? appB).id);
    const personB = created(await b('POST', '/scim/v2/Users', { userName: 'b@b.example' }), 'B person');
    const groupB = created(await b('POST', '/scim/v2/Groups', { displayName: 'B group' }), 'B group');
    const attempts: [string, string, unknown, string[]][] = [
      ['POST', '/v1.1/contracts', { appId: appA, name: 'x' }, [appA]],
      ['POST', '/scim/v2/Groups', { displayName: 'B2', members: [{ value: personA }] }, [personA]],
      [
        'PATCH',
        `/scim/v2/Groups/${String(groupB.id)}`,
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: [{ value: personA }] }],
        },
        [personA],
      ],
      [
        'PUT',
        `/scim/v2/Users/${String(personB.id)}`,
        {
          userName: 'b@b.example',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: personA } },
        },
        [personA],
      ],
      ['POST', '/iam/v1/roles', { name: 'b-role', members: [{ value: personA }] }, [personA]],
      ['POST', '/iam/v1/roles', { name: 'b-role', members: [{ type: 'Group', value: groupA }] }, [groupA]],
      ['POST', '/iam/v1/roles', { name: 'b-role', permissions: [permissionA] }, [permissionA]],
      ['POST', '/iam/v1/resources', { name: 'v', slug: 'v', type: 'vault' }, []],
      ['POST', '/api/tokens', { name: 'b', role: 'vault-opener' }, []],
      ['POST', '/api/tokens', { name: 'b', role: 'viewer', personId: personA }, [personA]],
      [
        'POST',
        '/api/workflows',
        { name: 'b', trigger: 'user.created', actions: [{ type: 'add_to_group', groupId: groupA }] },
        [groupA],
      ],
      [
        'PUT',
        '/v1.1/parsings/manual',
        { fileId: fileA, appName: 'B app', target: 'accounts', mappings: [] },
        [fileA],
      ],
    ];
    for (const [method, url, body, sent] of attempts) {
      const res = await b(method, url, body);
      expectNothingOfA(res, `${method} ${url} naming ${sent.join(', ') || 'a name of A'}`, sent);
      expect(
        res.statusCode,
        `${method} ${url} with A's ${sent.join(', ')}: ${res.body}`,
      ).toBeGreaterThanOrEqual(400);
    }
    // A reference B may write as plain text (an owner's email) resolves in B only.
    for (const [url, body] of [
      [`/v1.1/apps/${appIdB}`, { owner: emailA }],
      ['/v1.1/contracts', { appId: appIdB, name: 'B contract', owner: emailA }],
      ['/v1.1/contracts', { appId: appIdB, name: 'B contract 2', owner: personA }],
    ] as const) {
      const res = await b(url.includes('contracts') ? 'POST' : 'PUT', url, body);
      expectNothingOfA(res, `${url} with owner ${body.owner}`, [body.owner]);
      if (res.statusCode < 400) {
        const got = JSON.stringify(res.json());
        expect(got.includes(personA), `${url} resolved A's person`).toBe(false);
      }
    }
    for (const url of [
      '/v1.1/apps',
      '/v1.1/contracts',
      '/v1.1/users',
      '/scim/v2/Users',
      '/scim/v2/Groups',
      '/iam/v1/roles',
    ])
      expectNothingOfA(await b('GET', url), `GET ${url} after the attempts`, []);
    expect(await fingerprintOfA()).toEqual(before);
  });
});
