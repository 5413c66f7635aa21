import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, systemTenantId, type TestApp, type TestResponse } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are read loosely to find the ids they carry
type Obj = Record<string, any>;

/** One call of a case: the request, and the audit entry it must leave. */
interface Planned {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
  /** The owner's token unless `null` (signed uploads carry their credential in the URL). */
  token?: null;
  /** The `action` of the entry, as the service records it. */
  action: string;
  /** The changed object's id: known beforehand, or read from the answer (what was created). */
  target: string | ((body: Obj) => string);
}

/** A case creates the fresh objects its call changes, then plans the call (with the alias prefix). */
type Case = (prefix: string) => Promise<Planned>;

/**
 * Mutating routes that leave no audit entry on purpose: data-plane writes, not administrative
 * changes, or reads that use POST. Keyed like the cases (alias prefixes `/v1.0`, `/v1.1` removed).
 */
const EXEMPT: Record<string, string> = {
  'POST /v2/integrations-sync/instances/:instance_id/syncs/:sync_id/data/snapshots':
    'push-sync page upload (data plane): staged only; the sync creation (sync.created) and its finish (sync.finish_requested) are audited',
  'POST /v2/integrations-sync/instances/:instance_id/syncs/:sync_id/data/facts':
    'push-sync page upload (data plane): staged only; the sync creation (sync.created) and its finish (sync.finish_requested) are audited',
  'POST /scim/v2/Users/.search': 'a read: SCIM search by POST (RFC 7644 §3.4.3), changes nothing',
  'POST /scim/v2/Groups/.search': 'a read: SCIM search by POST (RFC 7644 §3.4.3), changes nothing',
  'POST /scim/v2/.search': 'a read: SCIM search by POST (RFC 7644 §3.4.3), changes nothing',
};

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A catalog URL as the case key (`/v1.0` and `/v1.1` aliases of the management and SCIM faces removed). */
function keyOf(method: string, url: string): { key: string; prefix: string } {
  const prefix = /^\/v1\.[01](?=\/)/.exec(url)?.[0] ?? '';
  return { key: `${method} ${url.slice(prefix.length)}`, prefix };
}

function multipart(filename: string, content: string) {
  const boundary = `----audit${randomBytes(8).toString('hex')}`;
  return {
    payload: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`,
    ),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/**
 * Every administrative change in every face leaves an audit entry: each mutating route of the
 * catalog (tokens, tenants, workflows, instances, syncs and their approvals, webhooks, apps,
 * contracts, custom fields, files and imports, SCIM and IAM writes) is called once per alias with
 * a valid body on fresh objects, and must add an entry of its tenant with the expected action
 * naming the changed object. A route added later fails here until it has a case or an exemption.
 */
describe.skipIf(skipPostgres)('audit: every mutation of every face leaves an entry', () => {
  let t: TestApp;
  let tenantId: string;
  let n = 0;
  const uniq = (label: string) => `${label}-${++n}`;

  const call = (method: string, url: string, payload?: unknown) =>
    t.request({
      method: method as 'GET',
      url,
      token: t.ownerToken,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const made = async (method: string, url: string, payload?: unknown): Promise<Obj> => {
    const res = await call(method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res.json<Obj>();
  };

  // Fresh objects for the cases to change.
  const newApp = async () => String((await made('POST', '/v1.1/apps', { name: uniq('Audit app') })).id);
  const newContract = async () =>
    String((await made('POST', '/v1.1/contracts', { appId: await newApp(), name: uniq('Contract') })).id);
  const newField = async () =>
    String(
      (
        await made('POST', '/v1.1/customFields', {
          entity: 'apps',
          key: uniq('f').replace('-', ''),
          name: 'F',
          type: 'string',
        })
      ).id,
    );
  const newUser = async () =>
    String((await made('POST', '/scim/v2/Users', { userName: `${uniq('u')}@audit.test` })).id);
  const newGroup = async () =>
    String((await made('POST', '/scim/v2/Groups', { displayName: uniq('Group') })).id);
  const newInstance = async () =>
    String((await made('POST', '/api/instances', { appName: uniq('Instance app') })).data.id);
  const syncsOf = (instanceId: string) => `/v2/integrations-sync/instances/${instanceId}/syncs`;
  const newSync = async (instanceId: string) => String((await made('POST', syncsOf(instanceId))).data.id);
  const newToken = async () =>
    String((await made('POST', '/api/tokens', { name: uniq('token'), role: 'viewer' })).tokenInfo.id);
  const newWorkflow = async () =>
    String(
      (
        await made('POST', '/api/workflows', {
          name: uniq('Workflow'),
          trigger: 'user.deactivated',
          actions: [{ type: 'remove_from_group', groupId: '*' }],
          enabled: false,
        })
      ).workflow.id,
    );
  const newWebhook = async () =>
    String(
      (await made('POST', '/v2/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['group.created'] })).data
        .id,
    );
  const upload = async (): Promise<Obj> => {
    const res = await t.request({
      method: 'POST',
      url: '/v1.1/files/upload',
      token: t.ownerToken,
      ...multipart(`${uniq('people')}.csv`, 'Email,Name\r\nann@audit.test,Ann\r\n'),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Obj>();
  };
  const newAction = async () => {
    const name = `${uniq('vault').replace('-', '')}:open`;
    return { id: String((await made('POST', '/iam/v1/actions', { name })).id), name };
  };
  const newResourceType = async () => {
    const name = uniq('vault').replace('-', '');
    const type = await made('POST', '/iam/v1/resource-types', { name, actions: [`${name}:open`] });
    return { id: String(type.id), name };
  };
  const newResource = async () => {
    const type = await newResourceType();
    const slug = uniq('res');
    return {
      id: String((await made('POST', '/iam/v1/resources', { name: slug, slug, type: type.name })).id),
      type: type.name,
    };
  };
  const newPermission = async () =>
    String(
      (
        await made('POST', '/iam/v1/permissions', {
          name: uniq('perm'),
          statements: [{ actions: ['apps:read'] }],
        })
      ).id,
    );
  const newRole = async () => String((await made('POST', '/iam/v1/roles', { name: uniq('role') })).id);

  /** A sync the mass-deactivation guard holds: 4 active accounts, then a snapshot keeping 1. */
  async function heldSync(): Promise<string> {
    const instanceId = await newInstance();
    const domain = `${uniq('held')}.test`;
    const users = Array.from({ length: 4 }, (_, i) => ({
      id: `u${i}`,
      email: `u${i}@${domain}`,
      name: `User ${i}`,
      status: 'active',
    }));
    for (const data of [users, users.slice(0, 1)]) {
      const syncId = await newSync(instanceId);
      await made('POST', `${syncsOf(instanceId)}/${syncId}/data/snapshots`, {
        entity: 'users',
        page: 1,
        data,
      });
      const finished = await call('POST', `${syncsOf(instanceId)}/${syncId}/finish`);
      if (data.length === 1) {
        expect(finished.json<Obj>().code, finished.body).toBe('mass_deactivation_guard');
        return syncId;
      }
      expect(finished.json<Obj>().data?.status, finished.body).toBe('finished');
    }
    throw new Error('unreachable');
  }

  const scimCases = (root: string, kind: 'scim' | 'iam'): Record<string, Case> => {
    const users = kind === 'scim' ? `${root}/Users` : `${root}/users`;
    const groups = kind === 'scim' ? `${root}/Groups` : `${root}/groups`;
    const at = (p: string, path: string) => `${p}${path}`;
    return {
      [`POST ${users}`]: async (p) => ({
        method: 'POST',
        url: at(p, users),
        payload: { userName: `${uniq('new')}@audit.test` },
        action: 'scim.user.created',
        target: (b) => String(b.id),
      }),
      [`PUT ${users}/:id`]: async (p) => {
        const id = await newUser();
        return {
          method: 'PUT',
          url: at(p, `${users}/${id}`),
          payload: { userName: `${uniq('replaced')}@audit.test`, active: true },
          action: 'scim.user.replaced',
          target: id,
        };
      },
      [`PATCH ${users}/:id`]: async (p) => {
        const id = await newUser();
        return {
          method: 'PATCH',
          url: at(p, `${users}/${id}`),
          payload: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
          action: 'scim.user.patched',
          target: id,
        };
      },
      [`DELETE ${users}/:id`]: async (p) => {
        const id = await newUser();
        return { method: 'DELETE', url: at(p, `${users}/${id}`), action: 'scim.user.deleted', target: id };
      },
      [`POST ${groups}`]: async (p) => ({
        method: 'POST',
        url: at(p, groups),
        payload: { displayName: uniq('New group'), members: [{ value: await newUser() }] },
        action: 'scim.group.created',
        target: (b) => String(b.id),
      }),
      [`PUT ${groups}/:id`]: async (p) => {
        const id = await newGroup();
        return {
          method: 'PUT',
          url: at(p, `${groups}/${id}`),
          payload: { displayName: uniq('Replaced group'), members: [{ value: await newUser() }] },
          // IAM's "Update Groups" with members is SCIM's replace.
          action: 'scim.group.replaced',
          target: id,
        };
      },
      [`PATCH ${groups}/:id`]: async (p) => {
        const id = await newGroup();
        return {
          method: 'PATCH',
          url: at(p, `${groups}/${id}`),
          payload: {
            schemas: [PATCH_OP],
            Operations: [{ op: 'add', path: 'members', value: [{ value: await newUser() }] }],
          },
          action: 'scim.group.patched',
          target: id,
        };
      },
      [`DELETE ${groups}/:id`]: async (p) => {
        const id = await newGroup();
        return { method: 'DELETE', url: at(p, `${groups}/${id}`), action: 'scim.group.deleted', target: id };
      },
    };
  };

  /** IAM actions, resource types, resources, permissions and roles: create, replace, patch, delete. */
  const iamKind = (
    path: string,
    noun: string,
    fresh: () => Promise<{ id: string; body: Obj; patch: Obj; create: Obj }>,
  ): Record<string, Case> => ({
    [`POST /iam/v1/${path}`]: async () => ({
      method: 'POST',
      url: `/iam/v1/${path}`,
      payload: (await fresh()).create,
      action: `iam.${noun}.created`,
      target: (b) => String(b.id),
    }),
    [`PUT /iam/v1/${path}/:id`]: async () => {
      const { id, body } = await fresh();
      return {
        method: 'PUT',
        url: `/iam/v1/${path}/${id}`,
        payload: body,
        action: `iam.${noun}.updated`,
        target: id,
      };
    },
    [`PATCH /iam/v1/${path}/:id`]: async () => {
      const { id, patch } = await fresh();
      return {
        method: 'PATCH',
        url: `/iam/v1/${path}/${id}`,
        payload: { schemas: PATCH_OP, Operations: [patch] },
        action: `iam.${noun}.updated`,
        target: id,
      };
    },
    [`DELETE /iam/v1/${path}/:id`]: async () => {
      const { id } = await fresh();
      return { method: 'DELETE', url: `/iam/v1/${path}/${id}`, action: `iam.${noun}.deleted`, target: id };
    },
  });
  const described = { op: 'replace', path: 'description', value: 'changed' };

  const CASES: Record<string, Case> = {
    // Admin face: tokens, tenants, workflows, instances and syncs.
    'POST /api/tokens': async () => ({
      method: 'POST',
      url: '/api/tokens',
      payload: { name: uniq('token'), role: 'viewer' },
      action: 'token.created',
      target: (b) => String(b.tokenInfo.id),
    }),
    'DELETE /api/tokens/:id': async () => {
      const id = await newToken();
      return { method: 'DELETE', url: `/api/tokens/${id}`, action: 'token.revoked', target: id };
    },
    'POST /api/tenants': async () => ({
      method: 'POST',
      url: '/api/tenants',
      payload: { name: uniq('Tenant'), slug: uniq('tenant') },
      action: 'tenant.created',
      target: (b) => String(b.tenant.id),
    }),
    'PATCH /api/tenant': async () => ({
      method: 'PATCH',
      url: '/api/tenant',
      payload: { name: uniq('Default') },
      action: 'tenant.updated',
      target: tenantId,
    }),
    'POST /api/workflows': async () => ({
      method: 'POST',
      url: '/api/workflows',
      payload: {
        name: uniq('Workflow'),
        trigger: 'user.created',
        actions: [{ type: 'remove_from_group', groupId: '*' }],
        enabled: false,
      },
      action: 'workflow.created',
      target: (b) => String(b.workflow.id),
    }),
    'PATCH /api/workflows/:id': async () => {
      const id = await newWorkflow();
      return {
        method: 'PATCH',
        url: `/api/workflows/${id}`,
        payload: { name: uniq('Renamed') },
        action: 'workflow.updated',
        target: id,
      };
    },
    'DELETE /api/workflows/:id': async () => {
      const id = await newWorkflow();
      return { method: 'DELETE', url: `/api/workflows/${id}`, action: 'workflow.deleted', target: id };
    },
    'POST /api/instances': async () => ({
      method: 'POST',
      url: '/api/instances',
      payload: { appName: uniq('Instance app') },
      action: 'instance.created',
      target: (b) => String(b.data.id),
    }),
    'PATCH /api/instances/:id': async () => {
      const id = await newInstance();
      return {
        method: 'PATCH',
        url: `/api/instances/${id}`,
        payload: { status: 'inactive' },
        action: 'instance.updated',
        target: id,
      };
    },
    'POST /api/syncs/:id/approve': async () => {
      const id = await heldSync();
      return { method: 'POST', url: `/api/syncs/${id}/approve`, action: 'sync.approved', target: id };
    },
    'POST /api/syncs/:id/cancel': async () => {
      const id = await newSync(await newInstance());
      return { method: 'POST', url: `/api/syncs/${id}/cancel`, action: 'sync.cancelled', target: id };
    },
    // Sync face (Zluri v2): instances, syncs, webhooks.
    'PUT /v2/integrations-sync/instances/:instance_id': async () => {
      const id = await newInstance();
      return {
        method: 'PUT',
        url: `/v2/integrations-sync/instances/${id}`,
        payload: { name: uniq('Renamed'), notification_emails: ['it@audit.test'] },
        action: 'instance.updated',
        target: id,
      };
    },
    'POST /v2/integrations-sync/instances/:instance_id/syncs': async () => ({
      method: 'POST',
      url: syncsOf(await newInstance()),
      action: 'sync.created',
      target: (b) => String(b.data.id),
    }),
    'POST /v2/integrations-sync/instances/:instance_id/syncs/:sync_id/finish': async () => {
      const instanceId = await newInstance();
      const id = await newSync(instanceId);
      return {
        method: 'POST',
        url: `${syncsOf(instanceId)}/${id}/finish`,
        action: 'sync.finish_requested',
        target: id,
      };
    },
    'POST /v2/webhooks': async () => ({
      method: 'POST',
      url: '/v2/webhooks',
      payload: { url: 'http://127.0.0.1:9/hook', events: ['group.created'] },
      action: 'webhook.created',
      target: (b) => String(b.data.id),
    }),
    'PUT /v2/webhooks/:webhook_id': async () => {
      const id = await newWebhook();
      return {
        method: 'PUT',
        url: `/v2/webhooks/${id}`,
        payload: { events: ['*'], status: 'inactive' },
        action: 'webhook.updated',
        target: id,
      };
    },
    'DELETE /v2/webhooks/:webhook_id': async () => {
      const id = await newWebhook();
      return { method: 'DELETE', url: `/v2/webhooks/${id}`, action: 'webhook.deleted', target: id };
    },
    // Management face (Torii), under /v1.0 and /v1.1.
    'POST /apps': async (p) => ({
      method: 'POST',
      url: `${p}/apps`,
      payload: { name: uniq('New app') },
      action: 'app.created',
      target: (b) => String(b.id),
    }),
    'PUT /apps/:idApp': async (p) => {
      const id = await newApp();
      return {
        method: 'PUT',
        url: `${p}/apps/${id}`,
        payload: { category: 'Design' },
        action: 'app.updated',
        target: id,
      };
    },
    'POST /apps/:idApp/close': async (p) => {
      const id = await newApp();
      return { method: 'POST', url: `${p}/apps/${id}/close`, action: 'app.closed', target: id };
    },
    'POST /contracts': async (p) => ({
      method: 'POST',
      url: `${p}/contracts`,
      payload: { appId: await newApp(), name: uniq('New contract') },
      action: 'contract.created',
      target: (b) => String(b.id),
    }),
    'PUT /contracts/:idContract': async (p) => {
      const id = await newContract();
      return {
        method: 'PUT',
        url: `${p}/contracts/${id}`,
        payload: { annualCost: 1200, currency: 'EUR' },
        action: 'contract.updated',
        target: id,
      };
    },
    'DELETE /contracts/:idContract': async (p) => {
      const id = await newContract();
      return { method: 'DELETE', url: `${p}/contracts/${id}`, action: 'contract.deleted', target: id };
    },
    'POST /customFields': async (p) => ({
      method: 'POST',
      url: `${p}/customFields`,
      payload: { entity: 'contracts', key: uniq('k').replace('-', ''), name: 'K', type: 'number' },
      action: 'custom_field.created',
      target: (b) => String(b.id),
    }),
    'PUT /customFields/:idField': async (p) => {
      const id = await newField();
      return {
        method: 'PUT',
        url: `${p}/customFields/${id}`,
        payload: { name: uniq('Renamed') },
        action: 'custom_field.updated',
        target: id,
      };
    },
    'DELETE /customFields/:idField': async (p) => {
      const id = await newField();
      return { method: 'DELETE', url: `${p}/customFields/${id}`, action: 'custom_field.deleted', target: id };
    },
    'POST /services/sync/custom': async (p) => ({
      method: 'POST',
      url: `${p}/services/sync/custom`,
      payload: {
        appName: uniq('Custom app'),
        users: [{ email: 'ann@audit.test', status: 'active' }],
        licenses: [],
      },
      action: 'custom_sync.applied',
      target: (b) => String(b.appId),
    }),
    'POST /files/upload': async (p) => ({
      method: 'POST',
      url: `${p}/files/upload`,
      ...multipart(`${uniq('upload')}.csv`, 'Email,Name\r\nann@audit.test,Ann\r\n'),
      action: 'file.uploaded',
      target: (b) => String(b.id),
    }),
    'PUT /parsings/manual': async (p) => {
      const file = await upload();
      return {
        method: 'PUT',
        url: `${p}/parsings/manual`,
        payload: {
          fileId: file.id,
          appName: uniq('Imported app'),
          target: 'accounts',
          mappings: [
            { sourceColumn: 'Email', targetField: 'email' },
            { sourceColumn: 'Name', targetField: 'name' },
          ],
        },
        action: 'parsing.import_started',
        target: String(file.parsingId),
      };
    },
    // A signed upload URL (from GET /files/url): its signature is the credential.
    'PUT /api/uploads': async () => {
      const signed = await made('GET', `/v1.1/files/url?name=${uniq('signed')}.csv`);
      const url = new URL(String(signed.url));
      return {
        method: 'PUT',
        url: `${url.pathname}${url.search}`,
        payload: Buffer.from('Email,Name\nann@audit.test,Ann\n'),
        headers: { 'content-type': 'text/csv' },
        token: null,
        action: 'file.uploaded',
        target: String(signed.fileId),
      };
    },
    // SCIM face (and its /v1.0, /v1.1 aliases), and IAM's users and groups (the same directory).
    ...scimCases('/scim/v2', 'scim'),
    ...scimCases('/iam/v1', 'iam'),
    // IAM face: Sightline's own authorization.
    ...iamKind('actions', 'action', async () => {
      const { id, name } = await newAction();
      return {
        id,
        create: { name: `${uniq('safe').replace('-', '')}:lock`, description: 'Lock' },
        body: { name, description: 'Replaced' },
        patch: described,
      };
    }),
    ...iamKind('resource-types', 'resource_type', async () => {
      const { id, name } = await newResourceType();
      const fresh = uniq('box').replace('-', '');
      return {
        id,
        create: { name: fresh, actions: [`${fresh}:open`] },
        body: { name, slug: name, description: 'Replaced' },
        patch: described,
      };
    }),
    ...iamKind('resources', 'resource', async () => {
      const { id, type } = await newResource();
      const slug = uniq('res');
      return {
        id,
        create: { name: slug, slug, type },
        body: { name: uniq('res'), slug: uniq('res'), type },
        patch: described,
      };
    }),
    ...iamKind('permissions', 'permission', async () => ({
      id: await newPermission(),
      create: { name: uniq('perm'), statements: [{ actions: ['apps:read'] }] },
      body: { name: uniq('perm'), statements: [{ actions: ['apps:write'] }] },
      patch: described,
    })),
    ...iamKind('roles', 'role', async () => ({
      id: await newRole(),
      create: { name: uniq('role'), permissions: [await newPermission()] },
      body: { name: uniq('role'), permissions: [await newPermission()] },
      patch: described,
    })),
  };

  /** Mutating routes of the catalog, each with its case key and alias prefix. */
  const mutatingRoutes = () =>
    t.app.server.routeCatalog
      .filter((r) => MUTATING.has(r.method))
      .map((r) => ({ ...r, ...keyOf(r.method, r.url) }));

  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_MAX: '1000000',
      MANAGE_USERS_RATE_LIMIT_MAX: '1000000',
      // The guard holds a sync of an instance with 2 or more active accounts (the approval case).
      SYNC_GUARD_MIN_ACTIVE: '2',
    });
    await t.app.queue.start(); // finishes, approvals and custom syncs apply
    tenantId = await systemTenantId(t);
  });
  afterAll(() => t?.close());

  it('has a case or an exemption for every mutating route of the catalog, and none for a route that is gone', () => {
    const routes = mutatingRoutes();
    // Every mutating route is authorized by an action, but the signed upload (its URL is the credential).
    expect(routes.filter((r) => !r.action).map((r) => r.url)).toEqual(['/api/uploads']);
    const missing = routes.filter((r) => !CASES[r.key] && !EXEMPT[r.key]).map((r) => `${r.method} ${r.url}`);
    expect(missing, 'mutating routes with neither an audit case nor an exemption').toEqual([]);
    const keys = new Set(routes.map((r) => r.key));
    const stale = [...Object.keys(CASES), ...Object.keys(EXEMPT)].filter((k) => !keys.has(k));
    expect(stale, 'cases or exemptions for routes no longer in the catalog').toEqual([]);
    for (const k of Object.keys(EXEMPT)) expect(CASES[k], k).toBeUndefined();
  });

  it('adds an audit entry of the tenant, naming the changed object, for each mutating route', async () => {
    const auditIds = async () =>
      new Set((await t.app.store.db.selectFrom('audit_entries').select('id').execute()).map((r) => r.id));
    const problems: string[] = [];
    let covered = 0;
    for (const route of mutatingRoutes()) {
      const run = CASES[route.key];
      if (!run) continue;
      const label = `${route.method} ${route.url}`;
      const plan = await run(route.prefix);
      const before = await auditIds();
      const res: TestResponse = await t.request({
        method: plan.method,
        url: plan.url,
        ...(plan.token === null ? {} : { token: t.ownerToken }),
        ...(plan.headers ? { headers: plan.headers } : {}),
        ...(plan.payload === undefined ? {} : { payload: plan.payload as object }),
      });
      if (res.statusCode >= 300) {
        problems.push(`${label}: answered ${res.statusCode} ${res.body.slice(0, 300)}`);
        continue;
      }
      const body = res.body ? res.json<Obj>() : {};
      const target = typeof plan.target === 'string' ? plan.target : plan.target(body);
      const added = (
        await t.app.store.db
          .selectFrom('audit_entries')
          .select(['id', 'tenant_id', 'action', 'target_id'])
          .execute()
      ).filter((r) => !before.has(r.id));
      const found = added.some(
        (r) => r.tenant_id === tenantId && r.action === plan.action && r.target_id === target,
      );
      if (!found)
        problems.push(
          `${label}: no '${plan.action}' entry for ${target}; added: ${JSON.stringify(added.map((r) => `${r.action} ${r.target_id}`))}`,
        );
      covered++;
    }
    expect(problems).toEqual([]);
    // Every alias ran: 94 calls when written (105 mutating routes, 11 exempt); the sweep is never empty.
    expect(covered).toBe(mutatingRoutes().filter((r) => CASES[r.key]).length);
    expect(covered).toBeGreaterThanOrEqual(90);
  }, 60_000);
});
