import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allActions, resourceTypes } from '../src/modules/iam/catalog.js';
import { createTenant, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';
import { skipPostgres } from './helpers/db.js';
import { IAM_CONTRACT as CONTRACT, fails, iamCaller, type Obj, ok, patchOp } from './helpers/iam.js';

describe.skipIf(skipPostgres)('IAM /iam/v1 actions, resource types and resources', () => {
  let t: TestApp;
  let otherToken: string;
  beforeAll(async () => {
    t = await startTestApp();
    otherToken = await createTenant(t, 'Other IAM catalog', 'other-iam-catalog');
  });
  afterAll(() => t.close());

  const iam = iamCaller(() => t);
  const auditActions = async (targetId: string) =>
    (
      await t.app.store.db
        .selectFrom('audit_entries')
        .select('action')
        .where('target_id', '=', targetId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
    ).map((a) => a.action);
  const expectMutability = (res: TestResponse) =>
    expect(fails(res, 400, 'built-in').scimType).toBe('mutability');

  it('actions: the built-in catalog is listed; custom ones go through every operation per the contract', async () => {
    const list = await iam('GET', '/actions');
    expectContract(CONTRACT, 'get', '/iam/v1/actions', list);
    const listed = ok(list);
    expect(listed.totalResults).toBe(allActions.length);
    const appsRead = listed.resources.find((a: Obj) => a.attributes.name === 'apps:read');
    expect(appsRead).toMatchObject({
      attributes: { active: true, builtin: true, description: resourceTypes.apps?.actions['apps:read'] },
      externalID: {},
      meta: { resourceType: 'Action', location: `/iam/v1/actions/${appsRead.id}` },
      schemas: ['urn:ietf:params:scim:schemas:sightline:iam:2.0:Action'],
    });

    const created = await iam('POST', '/actions', {
      name: 'vault:open',
      description: 'Open',
      client_id: 'x',
    });
    expectContract(CONTRACT, 'post', '/iam/v1/actions', created);
    const action = ok(created, 201);
    expect(action.attributes).toMatchObject({ name: 'vault:open', description: 'Open', builtin: false });

    const got = await iam('GET', `/actions/${action.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/actions/{id}', got);
    expect(ok(got).attributes.name).toBe('vault:open');

    // "Update Actions" answers the list envelope (as the source shows).
    const put = await iam('PUT', `/actions/${action.id}`, { name: 'vault:unlock', description: 'Unlock' });
    expectContract(CONTRACT, 'put', '/iam/v1/actions/{id}', put);
    expect(ok(put)).toMatchObject({ totalResults: 1, resources: [{ attributes: { name: 'vault:unlock' } }] });

    const patched = await iam(
      'PATCH',
      `/actions/${action.id}`,
      patchOp(
        { op: 'Replace', path: 'description', value: 'Unlocks the vault' },
        { op: 'replace', path: { attributePath: { attributeName: 'name' } }, value: { name: 'vault:open' } },
      ),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/actions/{id}', patched);
    expect(ok(patched).attributes).toMatchObject({ name: 'vault:open', description: 'Unlocks the vault' });
    const cleared = ok(
      await iam('PATCH', `/actions/${action.id}`, patchOp({ op: 'remove', path: 'description' })),
    );
    expect(cleared.attributes.description).toBeUndefined();

    expect((await iam('DELETE', `/actions/${action.id}`)).statusCode).toBe(204);
    fails(await iam('GET', `/actions/${action.id}`), 404, action.id);
    expect(await auditActions(action.id)).toEqual([
      'iam.action.created',
      'iam.action.updated',
      'iam.action.updated',
      'iam.action.updated',
      'iam.action.deleted',
    ]);
  });

  it('actions: bad bodies name the field; duplicates, built-ins and actions in use are refused', async () => {
    fails(await iam('POST', '/actions', { description: 'no name' }), 400, 'name');
    fails(await iam('POST', '/actions', { name: 42 }), 400, 'name');
    fails(await iam('POST', '/actions', { name: 'Bad Name!' }), 400, 'name', 'Bad Name!');
    fails(await iam('POST', '/actions', { name: 'ok:name', description: 7 }), 400, 'description');
    expect(fails(await iam('POST', '/actions', { name: 'apps:read' }), 409, 'apps:read').scimType).toBe(
      'uniqueness',
    );
    const action = ok(await iam('POST', '/actions', { name: 'vault:seal' }), 201);
    fails(await iam('PUT', `/actions/${action.id}`, {}), 400, 'name');
    fails(
      await iam('PATCH', `/actions/${action.id}`, patchOp({ op: 'replace', path: 'builtin', value: true })),
      400,
      'builtin',
    );
    fails(await iam('PATCH', `/actions/${action.id}`, { Operations: [{ op: 'remove' }] }), 400, 'path');

    const builtin = ok(await iam('GET', '/actions')).resources.find(
      (a: Obj) => a.attributes.name === 'users:read',
    ).id;
    expectMutability(await iam('PUT', `/actions/${builtin}`, { name: 'users:read', description: 'x' }));
    expectMutability(
      await iam('PATCH', `/actions/${builtin}`, patchOp({ op: 'replace', value: { description: 'x' } })),
    );
    expectMutability(await iam('DELETE', `/actions/${builtin}`));
    expect(ok(await iam('GET', `/actions/${builtin}`)).attributes.description).toBe('List and read people');

    ok(await iam('POST', '/permissions', { name: 'seal', statements: [{ actions: ['vault:seal'] }] }), 201);
    fails(await iam('DELETE', `/actions/${action.id}`), 409, 'vault:seal');
  });

  it('resource types carry their actions and resources; every operation answers per the contract', async () => {
    const created = await iam('POST', '/resource-types', {
      name: 'repository',
      description: 'Code repositories',
      actions: ['repository:read', 'repository:write'],
    });
    expectContract(CONTRACT, 'post', '/iam/v1/resource-types', created);
    const type = ok(created, 201);
    expect(type.attributes).toMatchObject({ name: 'repository', slug: 'repository', resources: [] });
    expect(type.attributes.actions.map((a: Obj) => a.name)).toEqual(['repository:read', 'repository:write']);
    // The type's actions are ordinary actions: listed, and usable in statements.
    const actionNames = ok(await iam('GET', '/actions')).resources.map((a: Obj) => a.attributes.name);
    expect(actionNames).toEqual(expect.arrayContaining(['repository:read', 'repository:write']));

    const list = await iam('GET', '/resource-types');
    expectContract(CONTRACT, 'get', '/iam/v1/resource-types', list);
    const types = ok(list).resources;
    expect(types).toHaveLength(Object.keys(resourceTypes).length + 1);
    const apps = types.find((x: Obj) => x.attributes.name === 'apps');
    expect(apps.attributes.actions.map((a: Obj) => a.name)).toEqual(['apps:read', 'apps:write']);

    const got = await iam('GET', `/resource-types/${type.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/resource-types/{id}', got);

    // "Replace Resource-Type" answers the item.
    const put = await iam('PUT', `/resource-types/${type.id}`, {
      name: 'repo',
      slug: 'repo',
      description: 'Repos',
    });
    expectContract(CONTRACT, 'put', '/iam/v1/resource-types/{id}', put);
    expect(ok(put).attributes).toMatchObject({ name: 'repo', description: 'Repos' });
    expect(ok(put).attributes.actions).toHaveLength(2);

    // "Patch Operation Resource-Type" uses a lower-case `operations` key in the source.
    const patched = await iam('PATCH', `/resource-types/${type.id}`, {
      schemas: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
      operations: [
        {
          op: 'replace',
          path: { attributePath: { attributeName: 'description' } },
          value: { description: 'Git' },
        },
        { op: 'add', path: 'actions', value: ['repository:admin'] },
      ],
    });
    expectContract(CONTRACT, 'patch', '/iam/v1/resource-types/{id}', patched);
    expect(ok(patched).attributes.description).toBe('Git');
    expect(ok(patched).attributes.actions.map((a: Obj) => a.name)).toContain('repository:admin');

    const resource = ok(
      await iam('POST', '/resources', { name: 'Payments', slug: 'payments', type: 'repo' }),
      201,
    );
    const withResource = ok(await iam('GET', `/resource-types/${type.id}`));
    expect(withResource.attributes.resources).toEqual([
      expect.objectContaining({ id: resource.id, name: 'Payments', slug: 'payments' }),
    ]);
    fails(await iam('DELETE', `/resource-types/${type.id}`), 409, 'repo', '1 resources');
    expect((await iam('DELETE', `/resources/${resource.id}`)).statusCode).toBe(204);
    expect((await iam('DELETE', `/resource-types/${type.id}`)).statusCode).toBe(204);
    fails(await iam('GET', `/resource-types/${type.id}`), 404, type.id);
    expect(await auditActions(type.id)).toEqual([
      'iam.resource_type.created',
      'iam.resource_type.updated',
      'iam.resource_type.updated',
      'iam.resource_type.deleted',
    ]);
  });

  it('resource types: bad bodies name the field; built-in types and actions are read-only', async () => {
    fails(await iam('POST', '/resource-types', { name: 'no-actions' }), 400, 'actions');
    fails(await iam('POST', '/resource-types', { actions: [] }), 400, 'name');
    fails(await iam('POST', '/resource-types', { name: 'x', actions: ['Bad Action'] }), 400, 'actions[0]');
    expectMutability(await iam('POST', '/resource-types', { name: 'mine', actions: ['apps:read'] }));
    expect(
      ok(await iam('GET', '/resource-types')).resources.map((x: Obj) => x.attributes.name),
    ).not.toContain('mine');
    expect(
      fails(await iam('POST', '/resource-types', { name: 'apps', actions: [] }), 409, 'apps').scimType,
    ).toBe('uniqueness');
    const apps = ok(await iam('GET', '/resource-types/apps'));
    expectMutability(await iam('PUT', `/resource-types/${apps.id}`, { name: 'apps', slug: 'apps' }));
    expectMutability(
      await iam(
        'PATCH',
        `/resource-types/${apps.id}`,
        patchOp({ op: 'add', path: 'actions', value: ['apps:x'] }),
      ),
    );
    expectMutability(await iam('DELETE', `/resource-types/${apps.id}`));
  });

  it('resources belong to a type; every operation answers per the contract', async () => {
    const repo = ok(await iam('POST', '/resource-types', { name: 'bucket', actions: ['bucket:read'] }), 201);
    const queue = ok(await iam('POST', '/resource-types', { name: 'queue', actions: ['queue:read'] }), 201);
    const created = await iam('POST', '/resources', {
      name: 'Invoices bucket',
      slug: 'invoices',
      description: 'Scanned invoices',
      type: repo.id,
    });
    expectContract(CONTRACT, 'post', '/iam/v1/resources', created);
    const resource = ok(created, 201);
    expect(resource.attributes).toMatchObject({
      name: 'Invoices bucket',
      slug: 'invoices',
      type: { id: repo.id, name: 'bucket', actions: [{ name: 'bucket:read' }] },
    });
    ok(await iam('POST', '/resources', { name: 'Jobs queue', type: 'queue' }), 201);

    const list = await iam('GET', '/resources');
    expectContract(CONTRACT, 'get', '/iam/v1/resources', list);
    expect(ok(list).totalResults).toBe(2);
    const ofType = await iam('GET', `/resources?type=${repo.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/resources', ofType);
    expect(ok(ofType).resources.map((r: Obj) => r.id)).toEqual([resource.id]);
    expect(ok(await iam('GET', '/resources?type=queue')).totalResults).toBe(1);
    expect(ok(await iam('GET', '/resources?type=no-such-type'))).toEqual({ resources: [], totalResults: 0 });

    const got = await iam('GET', `/resources/${resource.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/resources/{id}', got);

    // "Replace Resource" answers the item and may move it to another type.
    const put = await iam('PUT', `/resources/${resource.id}`, {
      name: 'Invoices',
      slug: 'invoices-2',
      type: 'queue',
    });
    expectContract(CONTRACT, 'put', '/iam/v1/resources/{id}', put);
    expect(ok(put).attributes).toMatchObject({
      name: 'Invoices',
      slug: 'invoices-2',
      type: { id: queue.id },
    });
    expect(ok(put).attributes.description).toBeUndefined();

    const patched = await iam(
      'PATCH',
      `/resources/${resource.id}`,
      patchOp({ op: 'replace', value: { description: 'Back in a bucket', type: 'bucket' } }),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/resources/{id}', patched);
    expect(ok(patched).attributes).toMatchObject({ description: 'Back in a bucket', type: { id: repo.id } });

    // A resource named by a permission statement stays until the permission lets go of it.
    const perm = ok(
      await iam('POST', '/permissions', {
        name: 'read-invoices',
        statements: [{ actions: ['bucket:read'], resource: 'invoices-2' }],
      }),
      201,
    );
    expect(perm.attributes.statements[0].resource.id).toBe(resource.id);
    fails(await iam('DELETE', `/resources/${resource.id}`), 409, perm.id);
    expect((await iam('DELETE', `/permissions/${perm.id}`)).statusCode).toBe(204);
    expect((await iam('DELETE', `/resources/${resource.id}`)).statusCode).toBe(204);
    fails(await iam('GET', `/resources/${resource.id}`), 404, resource.id);
    expect(await auditActions(resource.id)).toEqual([
      'iam.resource.created',
      'iam.resource.updated',
      'iam.resource.updated',
      'iam.resource.deleted',
    ]);
  });

  it('resources: bad bodies name the field', async () => {
    ok(await iam('POST', '/resource-types', { name: 'disk', actions: [] }), 201);
    fails(await iam('POST', '/resources', { type: 'disk' }), 400, 'name');
    fails(await iam('POST', '/resources', { name: 'd' }), 400, 'type');
    fails(await iam('POST', '/resources', { name: 'd', type: 'no-such-type' }), 400, 'type', 'no-such-type');
    fails(await iam('POST', '/resources', { name: 'd', type: 'disk', slug: 'Not A Slug' }), 400, 'slug');
    const disk = ok(await iam('POST', '/resources', { name: 'd', type: 'disk' }), 201);
    fails(
      await iam('PUT', `/resources/${disk.id}`, { name: 'd', slug: 'd', type: 'nope' }),
      400,
      'type',
      'nope',
    );
    fails(
      await iam('PUT', `/resources/${disk.id}`, { name: 'd', type: 'disk' }),
      400,
      'body/slug',
      'required',
    );
    fails(await iam('POST', '/resources', { name: 'd', type: 'disk', colour: 'red' }), 400, 'body/colour');
    fails(await iam('PATCH', `/resources/${disk.id}`, patchOp({ op: 'remove', path: 'type' })), 400, 'type');
    // Names are unique within a type, slugs within the tenant (statements name resources by slug).
    ok(await iam('POST', '/resource-types', { name: 'disk2', actions: [] }), 201);
    ok(await iam('POST', '/resources', { name: 'same', slug: 'same-slug', type: 'disk' }), 201);
    const elsewhere = ok(await iam('POST', '/resources', { name: 'same', type: 'disk2' }), 201);
    expect(fails(await iam('POST', '/resources', { name: 'same', type: 'disk' }), 409, 'name').scimType).toBe(
      'uniqueness',
    );
    fails(await iam('POST', '/resources', { name: 'other', slug: 'same-slug', type: 'disk2' }), 409, 'slug');
    fails(
      await iam('PUT', `/resources/${elsewhere.id}`, { name: 'same', slug: 'x', type: 'disk' }),
      409,
      'name',
    );
    // An empty operation list changes nothing.
    expect(ok(await iam('PATCH', `/resources/${disk.id}`, patchOp())).attributes.name).toBe('d');
  });

  it('documents each body in the IAM OpenAPI document', async () => {
    const res = await t.request({ method: 'GET', url: '/openapi/iam.json' });
    const doc = ok(res);
    const body = (path: string, method: string) =>
      doc.paths[path]?.[method]?.requestBody?.content?.['application/json']?.schema;
    expect(body('/iam/v1/roles', 'post').properties).toHaveProperty('claim_mapper');
    expect(body('/iam/v1/permissions/{id}', 'put').required).toEqual(['name']);
    expect(body('/iam/v1/resource-types/{id}', 'patch').properties).toHaveProperty('operations');
  });

  it('lists filter (SCIM filter in SQL) and page (1-based startIndex, count) actions, resource types and resources', async () => {
    const list = async (path: string, query: Record<string, string>) => {
      const res = await iam('GET', `${path}?${new URLSearchParams(query)}`);
      expectContract(CONTRACT, 'get', `/iam/v1${path}`, res);
      const body = ok(res);
      return { total: body.totalResults, names: body.resources.map((r: Obj) => r.attributes.name) };
    };
    for (const name of ['flt:c', 'flt:a', 'flt:b'])
      ok(await iam('POST', '/actions', { name, description: name === 'flt:b' ? 'Bee' : undefined }), 201);
    const mine = 'name sw "flt:"';
    expect(await list('/actions', { filter: mine })).toEqual({
      total: 3,
      names: ['flt:a', 'flt:b', 'flt:c'],
    });
    expect(await list('/actions', { filter: mine, startIndex: '2', count: '1' })).toEqual({
      total: 3,
      names: ['flt:b'],
    });
    expect(await list('/actions', { filter: mine, count: '0' })).toEqual({ total: 3, names: [] });
    expect(await list('/actions', { filter: mine, startIndex: '9' })).toEqual({ total: 3, names: [] });
    expect((await list('/actions', { filter: 'NAME eq "FLT:A"' })).names).toEqual(['flt:a']);
    expect((await list('/actions', { filter: `${mine} and name ne "flt:a"` })).names).toEqual([
      'flt:b',
      'flt:c',
    ]);
    expect(
      (await list('/actions', { filter: `${mine} and not (name co "b" or name ew ":c")` })).names,
    ).toEqual(['flt:a']);
    expect((await list('/actions', { filter: `${mine} and description pr` })).names).toEqual(['flt:b']);
    expect((await list('/actions', { filter: 'builtin eq true' })).total).toBe(allActions.length);
    expect((await list('/actions', { filter: `builtin eq false and ${mine}` })).total).toBe(3);
    const firstPage = await list('/actions', { count: '1' });
    const everything = await list('/actions', {});
    expect(everything.names).toHaveLength(everything.total);
    expect(firstPage).toEqual({ total: everything.total, names: everything.names.slice(0, 1) });

    ok(await iam('POST', '/resource-types', { name: 'flt-type', actions: ['flt:x'] }), 201);
    expect((await list('/resource-types', { filter: 'actions.name eq "flt:x"' })).names).toEqual([
      'flt-type',
    ]);
    expect((await list('/resource-types', { filter: 'actions eq "FLT:X"' })).names).toEqual(['flt-type']);
    expect((await list('/resource-types', { filter: 'slug eq "flt-type" and resources pr' })).total).toBe(0);
    ok(await iam('POST', '/resources', { name: 'Filtered one', slug: 'flt-one', type: 'flt-type' }), 201);
    ok(await iam('POST', '/resources', { name: 'Filtered two', slug: 'flt-two', type: 'flt-type' }), 201);
    expect((await list('/resource-types', { filter: 'resources.slug eq "flt-two"' })).names).toEqual([
      'flt-type',
    ]);
    expect(await list('/resources', { filter: 'type.name eq "flt-type"', count: '1' })).toEqual({
      total: 2,
      names: ['Filtered one'],
    });
    expect(await list('/resources', { filter: 'slug ew "-two"', type: 'flt-type' })).toEqual({
      total: 1,
      names: ['Filtered two'],
    });
    expect((await list('/resources', { filter: 'slug ew "-two"', type: 'apps' })).total).toBe(0);

    for (const path of ['/actions', '/resource-types', '/resources']) {
      for (const filter of ['nosuchattr eq "x"', 'name eq', 'name eq "x" and', 'name.sub eq "x"']) {
        const res = await iam('GET', `${path}?${new URLSearchParams({ count: '1', filter })}`);
        expect(fails(res, 400).scimType, `${path} ${filter}`).toBe('invalidFilter');
      }
    }
    // `type` is complex: a sub-attribute must be named.
    expect(fails(await iam('GET', '/resources?filter=type%20eq%20%22x%22'), 400).scimType).toBe(
      'invalidFilter',
    );
  });

  it("another tenant's actions, resource types and resources are 404, and lists never show them", async () => {
    const action = ok(await iam('POST', '/actions', { name: 'mine:only' }), 201);
    const type = ok(await iam('POST', '/resource-types', { name: 'mine-type', actions: ['mine:type'] }), 201);
    const resource = ok(await iam('POST', '/resources', { name: 'Mine', type: type.id }), 201);
    for (const [kind, id, replacement] of [
      ['actions', action.id, { name: 'stolen' }],
      ['resource-types', type.id, { name: 'stolen', slug: 'stolen' }],
      ['resources', resource.id, { name: 'stolen', slug: 'stolen', type: 'apps' }],
    ]) {
      fails(await iam('GET', `/${kind}/${id}`, undefined, otherToken), 404);
      fails(await iam('PUT', `/${kind}/${id}`, replacement, otherToken), 404);
      fails(
        await iam(
          'PATCH',
          `/${kind}/${id}`,
          patchOp({ op: 'replace', path: 'name', value: 'x' }),
          otherToken,
        ),
        404,
      );
      fails(await iam('DELETE', `/${kind}/${id}`, undefined, otherToken), 404);
      fails(await iam('GET', `/${kind}/no_such_id`), 404, 'no_such_id');
      const theirs = ok(await iam('GET', `/${kind}`, undefined, otherToken));
      expect(theirs.resources.map((r: Obj) => r.id)).not.toContain(id);
    }
    // The other tenant has its own built-in catalog, with its own ids.
    const theirActions = ok(await iam('GET', '/actions', undefined, otherToken)).resources;
    expect(theirActions).toHaveLength(allActions.length);
    fails(await iam('POST', '/resources', { name: 'x', type: type.id }, otherToken), 400, 'type');
    fails(
      await iam('POST', '/permissions', { name: 'x', statements: [{ actions: ['mine:only'] }] }, otherToken),
      400,
      'mine:only',
    );
  });
});
