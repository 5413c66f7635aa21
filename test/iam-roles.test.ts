import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowIso, toJson } from '../src/platform/db/json.js';
import { newUuid } from '../src/platform/ids/ids.js';
import { createTenant, createToken, startTestApp, type TestApp } from './helpers/app.js';
import { expectAuthRules } from './helpers/auth-rules.js';
import { expectContract } from './helpers/contract.js';
import { skipPostgres } from './helpers/db.js';
import { IAM_CONTRACT as CONTRACT, fails, iamCaller, type Obj, ok, patchOp } from './helpers/iam.js';

describe.skipIf(skipPostgres)('IAM /iam/v1 permissions and roles', () => {
  let t: TestApp;
  let tenantId: string;
  let otherToken: string;
  beforeAll(async () => {
    t = await startTestApp();
    tenantId = (await t.request({ method: 'GET', url: '/api/tenant', token: t.ownerToken })).json<Obj>().id;
    otherToken = await createTenant(t, 'Other IAM roles', 'other-iam-roles');
  });
  afterAll(() => t.close());

  const iam = iamCaller(() => t);
  const builtinId = async (kind: 'roles' | 'permissions', name: string) =>
    ok(await iam('GET', `/${kind}`)).resources.find((r: Obj) => r.attributes.name === name).id as string;
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

  async function insertPerson(email: string): Promise<string> {
    const id = newUuid();
    const now = nowIso();
    await t.app.store.db
      .insertInto('people')
      .values({
        tenant_id: tenantId,
        id,
        external_id: null,
        user_name: email,
        user_name_lc: email,
        email,
        email_lc: email,
        first_name: null,
        last_name: null,
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
        created_at: now,
        updated_at: now,
        deactivated_at: null,
      })
      .execute();
    return id;
  }

  async function insertGroup(name: string, members: string[]): Promise<string> {
    const id = newUuid();
    const now = nowIso();
    await t.app.store.db
      .insertInto('groups')
      .values({
        tenant_id: tenantId,
        id,
        display_name: name,
        display_name_lc: name.toLowerCase(),
        external_id: null,
        description: null,
        source: 'test',
        version: 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
    if (members.length > 0)
      await t.app.store.db
        .insertInto('group_members')
        .values(
          members.map((person_id) => ({ tenant_id: tenantId, group_id: id, person_id, created_at: now })),
        )
        .execute();
    return id;
  }

  it('permissions: every operation answers per the contract, and each change is audited', async () => {
    const type = ok(
      await iam('POST', '/resource-types', { name: 'vault', actions: ['vault:open', 'vault:seal'] }),
      201,
    );
    const resource = ok(
      await iam('POST', '/resources', { name: 'Main vault', slug: 'main', type: type.id }),
      201,
    );

    const created = await iam('POST', '/permissions', {
      name: 'open-main-vault',
      description: 'Open the main vault',
      client_id: 'ignored',
      statements: [
        { actions: ['vault:open'], resource: resource.id },
        { actions: ['apps:read'], resource: '*' },
      ],
    });
    expectContract(CONTRACT, 'post', '/iam/v1/permissions', created);
    const perm = ok(created, 201);
    expect(perm).toMatchObject({
      externalID: {},
      meta: { resourceType: 'Permission', location: `/iam/v1/permissions/${perm.id}` },
      attributes: { name: 'open-main-vault', description: 'Open the main vault' },
    });
    const byResource = Object.fromEntries(
      perm.attributes.statements.map((s: Obj) => [
        s.resource.id,
        s.actions.map((a: Obj) => a.attributes.name),
      ]),
    );
    expect(byResource).toEqual({ [resource.id]: ['vault:open'], '*': ['apps:read'] });

    const list = await iam('GET', '/permissions');
    expectContract(CONTRACT, 'get', '/iam/v1/permissions', list);
    const listed = ok(list);
    expect(listed.totalResults).toBe(listed.resources.length);
    expect(listed.resources.map((p: Obj) => p.attributes.name)).toEqual(
      expect.arrayContaining(['open-main-vault', 'builtin:owner', 'builtin:viewer']),
    );

    const got = await iam('GET', `/permissions/${perm.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/permissions/{id}', got);
    expect(ok(got).id).toBe(perm.id);

    // "Update Permissions" statements carry one `action` each and answer the list envelope.
    const put = await iam('PUT', `/permissions/${perm.id}`, {
      name: 'open-main-vault',
      description: 'Open and seal',
      statements: [
        { action: 'vault:open', resource: resource.id },
        { action: 'vault:seal', resource: resource.id },
      ],
    });
    expectContract(CONTRACT, 'put', '/iam/v1/permissions/{id}', put);
    const replaced = ok(put);
    expect(replaced.totalResults).toBe(1);
    expect(replaced.resources[0].attributes.description).toBe('Open and seal');
    expect(
      replaced.resources[0].attributes.statements[0].actions.map((a: Obj) => a.attributes.name).sort(),
    ).toEqual(['vault:open', 'vault:seal']);

    // The StackSpot sample's PATCH form: path as an attributePath object, value repeating the attribute.
    const patched = await iam(
      'PATCH',
      `/permissions/${perm.id}`,
      patchOp({
        op: 'replace',
        path: { attributePath: { attributeName: 'description' } },
        value: { description: 'Patched' },
      }),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/permissions/{id}', patched);
    expect(ok(patched).attributes.description).toBe('Patched');

    expect((await iam('DELETE', `/permissions/${perm.id}`)).statusCode).toBe(204);
    fails(await iam('GET', `/permissions/${perm.id}`), 404, perm.id);
    expect(await auditActions(perm.id)).toEqual([
      'iam.permission.created',
      'iam.permission.updated',
      'iam.permission.updated',
      'iam.permission.deleted',
    ]);
  });

  it('permissions: bad bodies name the field or action, duplicates and built-ins are refused', async () => {
    fails(await iam('POST', '/permissions', { statements: [] }), 400, 'name');
    fails(await iam('POST', '/permissions', { name: 'p', statements: 'apps:read' }), 400, 'statements');
    fails(await iam('POST', '/permissions', { name: 'p', statements: [{ resource: '*' }] }), 400, 'actions');
    const unknown = fails(
      await iam('POST', '/permissions', { name: 'p', statements: [{ actions: ['apps:read', 'apps:fly'] }] }),
      400,
      'apps:fly',
      'statements[0].actions[1]',
    );
    expect(unknown.scimType).toBe('invalidValue');
    fails(
      await iam('POST', '/permissions', {
        name: 'p',
        statements: [{ actions: ['apps:read'], resource: 'nope' }],
      }),
      400,
      'statements[0].resource',
      'nope',
    );
    expect(ok(await iam('GET', '/permissions')).resources.map((p: Obj) => p.attributes.name)).not.toContain(
      'p',
    );

    ok(await iam('POST', '/permissions', { name: 'dup', statements: [{ actions: ['apps:read'] }] }), 201);
    const dup = fails(
      await iam('POST', '/permissions', { name: 'dup', statements: [{ actions: ['apps:read'] }] }),
      409,
      'dup',
    );
    expect(dup.scimType).toBe('uniqueness');

    const builtin = await builtinId('permissions', 'builtin:viewer');
    ok(await iam('GET', `/permissions/${builtin}`));
    for (const res of [
      await iam('PUT', `/permissions/${builtin}`, { name: 'builtin:viewer', statements: [] }),
      await iam(
        'PATCH',
        `/permissions/${builtin}`,
        patchOp({ op: 'replace', path: 'description', value: 'x' }),
      ),
      await iam('DELETE', `/permissions/${builtin}`),
    ]) {
      expect(fails(res, 400, 'built-in').scimType).toBe('mutability');
    }
    const viewer = ok(await iam('GET', `/permissions/${builtin}`));
    expect(viewer.attributes.statements[0].actions.length).toBeGreaterThan(5);
  });

  it('roles: every operation answers per the contract, and each change is audited', async () => {
    const perm = ok(
      await iam('POST', '/permissions', { name: 'apps-read', statements: [{ actions: ['apps:read'] }] }),
      201,
    );
    const created = await iam('POST', '/roles', {
      name: 'app-reader',
      description: 'Reads apps',
      permissions: [perm.id],
      claim_mapper: { department: 'IT' },
    });
    expectContract(CONTRACT, 'post', '/iam/v1/roles', created);
    const role = ok(created, 201);
    expect(role.attributes).toMatchObject({
      name: 'app-reader',
      claim_mapper: { department: 'IT' },
      member_count: 0,
      permissions: [{ id: perm.id, name: 'apps-read' }],
    });
    expect(role.meta).toMatchObject({ resourceType: 'Role', location: `/iam/v1/roles/${role.id}` });

    const list = await iam('GET', '/roles');
    expectContract(CONTRACT, 'get', '/iam/v1/roles', list);
    expect(ok(list).resources.map((r: Obj) => r.attributes.name)).toEqual(
      expect.arrayContaining(['app-reader', 'owner', 'admin', 'viewer', 'integration', 'provisioning']),
    );
    const got = await iam('GET', `/roles/${role.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/roles/{id}', got);

    // "Update Roles" answers the list envelope; permissions given replace the role's.
    const other = ok(
      await iam('POST', '/permissions', { name: 'users-read', statements: [{ actions: ['users:read'] }] }),
      201,
    );
    const put = await iam('PUT', `/roles/${role.id}`, {
      name: 'app-reader',
      description: 'Reads users',
      permissions: [other.id],
      claim_mapper: {},
    });
    expectContract(CONTRACT, 'put', '/iam/v1/roles/{id}', put);
    expect(ok(put).resources[0].attributes).toMatchObject({
      description: 'Reads users',
      claim_mapper: {},
      permissions: [{ id: other.id }],
    });

    const patched = await iam(
      'PATCH',
      `/roles/${role.id}`,
      patchOp(
        { op: 'replace', value: { name: 'app-and-user-reader', claim_mapper: { team: 'it' } } },
        {
          op: 'add',
          path: { attributePath: { attributeName: 'permissions' } },
          value: { permissions: [perm.id] },
        },
      ),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/roles/{id}', patched);
    expect(ok(patched).attributes).toMatchObject({
      name: 'app-and-user-reader',
      claim_mapper: { team: 'it' },
    });
    expect(
      ok(patched)
        .attributes.permissions.map((p: Obj) => p.name)
        .sort(),
    ).toEqual(['apps-read', 'users-read']);

    expect((await iam('DELETE', `/roles/${role.id}`)).statusCode).toBe(204);
    fails(await iam('GET', `/roles/${role.id}`), 404, role.id);
    expect(await auditActions(role.id)).toEqual([
      'iam.role.created',
      'iam.role.updated',
      'iam.role.updated',
      'iam.role.deleted',
    ]);
    // The permissions outlive the role; an unused one can go.
    expect((await iam('DELETE', `/permissions/${other.id}`)).statusCode).toBe(204);
  });

  it('roles: bad bodies name the field; duplicates, built-ins and permissions in use are refused', async () => {
    fails(await iam('POST', '/roles', { description: 'no name' }), 400, 'name');
    fails(await iam('POST', '/roles', { name: 'r', claim_mapper: 'x' }), 400, 'claim_mapper');
    fails(await iam('POST', '/roles', { name: 'r', claim_mapper: { a: 1 } }), 400, 'claim_mapper');
    fails(await iam('POST', '/roles', { name: 'r', permissions: 'x' }), 400, 'permissions');
    fails(
      await iam('POST', '/roles', { name: 'r', permissions: ['prm_nope'] }),
      400,
      'permissions[0]',
      'prm_nope',
    );
    fails(
      await iam('POST', '/roles', { name: 'r', statements: [{ actions: ['apps:fly'] }] }),
      400,
      'apps:fly',
    );
    // Nothing of a refused create is kept.
    expect(ok(await iam('GET', '/roles')).resources.map((r: Obj) => r.attributes.name)).not.toContain('r');
    fails(await iam('PATCH', '/roles/x', { Operations: 'no' }), 400, 'Operations');
    const role = ok(await iam('POST', '/roles', { name: 'plain' }), 201);
    fails(
      await iam('PATCH', `/roles/${role.id}`, patchOp({ op: 'move', path: 'name' })),
      400,
      'Operations[0].op',
    );
    fails(
      await iam('PATCH', `/roles/${role.id}`, patchOp({ op: 'replace', path: 'member_count', value: 3 })),
      400,
      'member_count',
    );
    fails(await iam('PUT', `/roles/${role.id}`, { description: 'no name' }), 400, 'name');
    fails(await iam('PUT', `/roles/${role.id}`, { name: 'plain', colour: 'red' }), 400, 'body/colour');
    fails(await iam('POST', '/roles', { name: 'r', members: [{ type: 'Group' }] }), 400, 'value');
    expect(fails(await iam('POST', '/roles', { name: 'plain' }), 409, 'plain').scimType).toBe('uniqueness');
    expect(fails(await iam('POST', '/roles', { name: 'viewer' }), 409, 'viewer').scimType).toBe('uniqueness');

    const viewer = await builtinId('roles', 'viewer');
    for (const res of [
      await iam('PUT', `/roles/${viewer}`, { name: 'viewer', description: 'mine now' }),
      await iam(
        'PATCH',
        `/roles/${viewer}`,
        patchOp({ op: 'add', path: 'permissions', value: ['builtin:owner'] }),
      ),
      await iam('PATCH', `/roles/${viewer}`, patchOp({ op: 'replace', path: 'description', value: 'x' })),
      await iam('DELETE', `/roles/${viewer}`),
    ]) {
      expect(fails(res, 400, "Role 'viewer' is built-in").scimType).toBe('mutability');
    }
    expect(ok(await iam('GET', `/roles/${viewer}`)).attributes.permissions.map((p: Obj) => p.name)).toEqual([
      'builtin:viewer',
    ]);

    const perm = ok(
      await iam('POST', '/permissions', { name: 'in-use', statements: [{ actions: ['apps:read'] }] }),
      201,
    );
    ok(
      await iam('PATCH', `/roles/${role.id}`, patchOp({ op: 'add', path: 'permissions', value: [perm.id] })),
    );
    fails(await iam('DELETE', `/permissions/${perm.id}`), 409, 'in-use', role.id);
  });

  it("a role's permission change applies to its holders on their next request", async () => {
    const role = ok(
      await iam('POST', '/roles', {
        name: 'apps-only',
        statements: [{ actions: ['apps:read'], resource: '*' }],
      }),
      201,
    );
    const token = await createToken(t, 'apps-only');
    expect((await t.request({ method: 'GET', url: '/v1.1/apps', token })).statusCode).toBe(200);
    const denied = await t.request({ method: 'GET', url: '/v1.1/users', token });
    expect(denied.statusCode).toBe(403);
    expect(denied.body).toContain('users:read');

    const usersRead = ok(
      await iam('POST', '/permissions', {
        name: 'users-read-live',
        statements: [{ actions: ['users:read'] }],
      }),
      201,
    );
    const widened = ok(
      await iam(
        'PATCH',
        `/roles/${role.id}`,
        patchOp({ op: 'add', path: 'permissions', value: [usersRead.id] }),
      ),
    );
    expect(widened.attributes.member_count).toBe(1); // the token holding it
    expect((await t.request({ method: 'GET', url: '/v1.1/users', token })).statusCode).toBe(200);

    // Narrowing a permission the role holds applies just as fast.
    ok(
      await iam(
        'PATCH',
        `/permissions/${usersRead.id}`,
        patchOp({ op: 'replace', path: 'statements', value: [] }),
      ),
    );
    expect((await t.request({ method: 'GET', url: '/v1.1/users', token })).statusCode).toBe(403);
    ok(
      await iam(
        'PATCH',
        `/permissions/${usersRead.id}`,
        patchOp({ op: 'replace', path: 'statements', value: [{ action: 'users:read', resource: '*' }] }),
      ),
    );
    expect((await t.request({ method: 'GET', url: '/v1.1/users', token })).statusCode).toBe(200);
    ok(
      await iam(
        'PATCH',
        `/roles/${role.id}`,
        patchOp({ op: 'remove', path: 'permissions', value: [usersRead.id] }),
      ),
    );
    expect((await t.request({ method: 'GET', url: '/v1.1/users', token })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/v1.1/apps', token })).statusCode).toBe(200);
  });

  it('a statement on one resource does not open a route for every resource', async () => {
    ok(await iam('POST', '/resource-types', { name: 'team', actions: [] }), 201);
    ok(await iam('POST', '/resources', { name: 'Payments team', slug: 'payments', type: 'team' }), 201);
    const role = ok(
      await iam('POST', '/roles', {
        name: 'payments-apps',
        statements: [{ actions: ['apps:read'], resource: 'payments' }],
      }),
      201,
    );
    const token = await createToken(t, 'payments-apps');
    const denied = await t.request({ method: 'GET', url: '/v1.1/apps', token });
    expect(denied.statusCode).toBe(403);
    expect(denied.body).toContain('apps:read');
    // Its own permission (from `statements`) is deleted with it, so the name can be used again.
    const own = role.attributes.permissions[0];
    expect(own.name).toBe(`role:${role.id}`);
    const tokens = ok(await t.request({ method: 'GET', url: '/api/tokens', token: t.ownerToken })).tokens;
    for (const k of tokens.filter((x: Obj) => x.role === 'payments-apps'))
      await t.request({ method: 'DELETE', url: `/api/tokens/${k.id}`, token: t.ownerToken });
    expect((await iam('DELETE', `/roles/${role.id}`)).statusCode).toBe(204);
    fails(await iam('GET', `/permissions/${own.id}`), 404);
    ok(await iam('POST', '/roles', { name: 'payments-apps', statements: [{ actions: ['apps:read'] }] }), 201);
  });

  it('a role held by tokens cannot be deleted until they are revoked (409, no reassignment)', async () => {
    ok(await iam('POST', '/roles', { name: 'held', statements: [{ actions: ['apps:read'] }] }), 201);
    const roleId = (
      await t.app.store.db
        .selectFrom('iam_roles')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('name', '=', 'held')
        .executeTakeFirstOrThrow()
    ).id;
    const created = ok(
      await t.request({
        method: 'POST',
        url: '/api/tokens',
        token: t.ownerToken,
        payload: { name: 'holder', role: 'held' },
      }),
      201,
    );
    fails(await iam('DELETE', `/roles/${roleId}`), 409, 'held', 'tokens');
    expect(ok(await iam('GET', `/roles/${roleId}`)).attributes.member_count).toBe(1);
    const revoked = await t.request({
      method: 'DELETE',
      url: `/api/tokens/${created.tokenInfo.id}`,
      token: t.ownerToken,
    });
    expect(revoked.statusCode, revoked.body).toBeLessThan(300);
    expect(ok(await iam('GET', `/roles/${roleId}`)).attributes.member_count).toBe(0);
    expect((await iam('DELETE', `/roles/${roleId}`)).statusCode).toBe(204);
  });

  it("roles are assigned to people and groups; a group's roles are inherited by its members", async () => {
    const personId = await insertPerson('ines@example.com');
    const outsider = await insertPerson('omar@example.com');
    const groupId = await insertGroup('Auditors', [personId]);
    ok(await iam('POST', '/roles', { name: 'nothing' }), 201);
    const token = ok(
      await t.request({
        method: 'POST',
        url: '/api/tokens',
        token: t.ownerToken,
        payload: { name: 'ines', role: 'nothing', personId },
      }),
      201,
    ).token as string;
    const audit = () => t.request({ method: 'GET', url: '/v1.1/audit', token });
    expect((await audit()).statusCode).toBe(403);

    const role = ok(
      await iam('POST', '/roles', {
        name: 'auditors',
        statements: [{ actions: ['audit:read'] }],
        members: [{ type: 'Group', value: groupId }],
      }),
      201,
    );
    expect(role.attributes).toMatchObject({ member_count: 1, members: [{ type: 'Group', value: groupId }] });
    expect((await audit()).statusCode).toBe(200);

    // Leaving the group ends the inherited role.
    await t.app.store.db.deleteFrom('group_members').where('group_id', '=', groupId).execute();
    expect((await audit()).statusCode).toBe(403);

    // A direct assignment to the person, through the role's members.
    const direct = await iam(
      'PATCH',
      `/roles/${role.id}`,
      patchOp({
        op: 'add',
        path: 'members',
        value: [{ type: 'User', value: personId }, { value: outsider }],
      }),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/roles/{id}', direct);
    expect(ok(direct).attributes.member_count).toBe(3);
    expect((await audit()).statusCode).toBe(200);
    const removed = ok(
      await iam(
        'PATCH',
        `/roles/${role.id}`,
        patchOp({ op: 'remove', path: 'members', value: [{ value: personId }] }),
      ),
    );
    expect(removed.attributes.member_count).toBe(2);
    expect((await audit()).statusCode).toBe(403);

    // A replace (PUT) sets the members as given.
    const replaced = ok(
      await iam('PUT', `/roles/${role.id}`, {
        name: 'auditors',
        members: [{ type: 'Group', value: groupId }],
      }),
    );
    expect(replaced.resources[0].attributes.members).toEqual([{ type: 'Group', value: groupId }]);
    expect(replaced.resources[0].attributes.permissions).toHaveLength(1);
    fails(
      await iam(
        'PATCH',
        `/roles/${role.id}`,
        patchOp({ op: 'add', path: 'members', value: [{ value: 'nobody' }] }),
      ),
      400,
      'members[0].value',
      'nobody',
    );
    fails(
      await iam(
        'PATCH',
        `/roles/${role.id}`,
        patchOp({ op: 'add', path: 'members', value: [{ type: 'Group', value: personId }] }),
      ),
      400,
      'members[0].value',
    );

    // Built-in roles keep their definition, but who holds them may change.
    const viewer = await builtinId('roles', 'viewer');
    const held = ok(
      await iam(
        'PATCH',
        `/roles/${viewer}`,
        patchOp({ op: 'add', path: 'members', value: [{ value: personId }] }),
      ),
    );
    expect(held.attributes.members).toEqual([{ type: 'User', value: personId }]);
    expect((await audit()).statusCode).toBe(200);
    expect(await auditActions(viewer)).toEqual(['iam.role.updated']);
  });

  it('a caller cannot grant, through a role, actions it does not hold', async () => {
    ok(
      await iam('POST', '/roles', {
        name: 'role-admin',
        statements: [{ actions: ['iam:read', 'iam:roles:write', 'apps:read'] }],
      }),
      201,
    );
    const limited = await createToken(t, 'role-admin');
    const escalate = fails(
      await iam('POST', '/roles', { name: 'sneaky', statements: [{ actions: ['tokens:write'] }] }, limited),
      403,
      'tokens:write',
    );
    expect(escalate.status).toBe('403');
    const fine = ok(
      await iam(
        'POST',
        '/roles',
        { name: 'apps-by-limited', statements: [{ actions: ['apps:read'] }] },
        limited,
      ),
      201,
    );
    const owner = await builtinId('permissions', 'builtin:owner');
    fails(
      await iam(
        'PATCH',
        `/roles/${fine.id}`,
        patchOp({ op: 'add', path: 'permissions', value: [owner] }),
        limited,
      ),
      403,
      'would grant actions you do not hold',
    );
    expect(ok(await iam('GET', `/roles/${fine.id}`)).attributes.permissions).toHaveLength(1);
  });

  it('a token cannot hand out a role naming, on any resource, an action its maker lacks', async () => {
    ok(
      await iam('POST', '/roles', {
        name: 'token-maker',
        statements: [{ actions: ['tokens:write', 'tokens:read', 'apps:read'] }],
      }),
      201,
    );
    const type = ok(await iam('POST', '/resource-types', { name: 'locker', actions: ['locker:open'] }), 201);
    const locker = ok(
      await iam('POST', '/resources', { name: 'Main locker', slug: 'main-locker', type: type.id }),
      201,
    );
    ok(
      await iam('POST', '/roles', {
        name: 'vault-opener',
        statements: [{ actions: ['apps:read', 'locker:open'], resource: locker.id }],
      }),
      201,
    );
    const maker = await createToken(t, 'token-maker');
    const res = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: maker,
      payload: { name: 'scoped', role: 'vault-opener' },
    });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.body).toContain('locker:open');
  });

  it('lists a revoked token whose role was deleted since', async () => {
    const role = ok(
      await iam('POST', '/roles', { name: 'short-lived', statements: [{ actions: ['apps:read'] }] }),
      201,
    );
    const made = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: t.ownerToken,
      payload: { name: 'short-lived-token', role: 'short-lived' },
    });
    expect(made.statusCode, made.body).toBe(201);
    const { id } = made.json<Obj>().tokenInfo;
    expect(
      (await t.request({ method: 'DELETE', url: `/api/tokens/${id}`, token: t.ownerToken })).statusCode,
    ).toBe(200);
    expect((await iam('DELETE', `/roles/${role.id}`)).statusCode).toBe(204);
    const list = await t.request({ method: 'GET', url: '/api/tokens', token: t.ownerToken });
    const listed = list.json<Obj>().tokens.find((k: Obj) => k.id === id);
    expect(listed).toMatchObject({
      name: 'short-lived-token',
      role: expect.stringContaining('deleted role'),
    });
  });

  it('creating one name many times at once: one 201, the rest 409, never a 500', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => iam('POST', '/actions', { name: 'race:once' })),
    );
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes).toEqual([201, 409, 409, 409, 409, 409]);
  });

  it('lists filter (SCIM filter in SQL) and page (1-based startIndex, count) permissions and roles', async () => {
    const list = async (path: string, query: Record<string, string>) => {
      const res = await iam('GET', `${path}?${new URLSearchParams(query)}`);
      expectContract(CONTRACT, 'get', `/iam/v1${path}`, res);
      const body = ok(res);
      return { total: body.totalResults, names: body.resources.map((r: Obj) => r.attributes.name) };
    };
    const apps = ok(
      await iam('POST', '/permissions', { name: 'flt-apps', statements: [{ actions: ['apps:read'] }] }),
      201,
    );
    ok(
      await iam('POST', '/permissions', { name: 'flt-audit', statements: [{ actions: ['audit:read'] }] }),
      201,
    );
    ok(
      await iam('POST', '/permissions', {
        name: 'flt-both',
        statements: [{ actions: ['apps:read', 'audit:read'] }],
      }),
      201,
    );
    const mine = 'name sw "flt-"';
    expect(await list('/permissions', { filter: mine, startIndex: '2', count: '1' })).toEqual({
      total: 3,
      names: ['flt-audit'],
    });
    expect(
      (await list('/permissions', { filter: `${mine} and statements.actions eq "audit:read"` })).names,
    ).toEqual(['flt-audit', 'flt-both']);
    expect(
      (await list('/permissions', { filter: `${mine} and not (statements eq "apps:read")` })).names,
    ).toEqual(['flt-audit']);
    expect(
      (await list('/permissions', { filter: `builtin eq false and NAME co "APPS" and ${mine}` })).names,
    ).toEqual(['flt-apps']);

    const person = await insertPerson('filtered@example.com');
    ok(
      await iam('POST', '/roles', {
        name: 'flt-reader',
        permissions: [apps.id],
        members: [{ value: person }],
      }),
      201,
    );
    ok(await iam('POST', '/roles', { name: 'flt-empty', description: 'Nothing' }), 201);
    expect(await list('/roles', { filter: mine })).toEqual({ total: 2, names: ['flt-empty', 'flt-reader'] });
    expect(await list('/roles', { filter: mine, count: '0' })).toEqual({ total: 2, names: [] });
    expect((await list('/roles', { filter: 'permissions.name eq "flt-apps"' })).names).toEqual([
      'flt-reader',
    ]);
    expect((await list('/roles', { filter: `members.value eq "${person}"` })).names).toEqual(['flt-reader']);
    expect(
      (await list('/roles', { filter: `${mine} and (member_count ge 1 or description eq "nothing")` })).total,
    ).toBe(2);
    expect((await list('/roles', { filter: `${mine} and member_count eq 0` })).names).toEqual(['flt-empty']);
    const builtins = (await list('/roles', { filter: 'builtin eq true' })).total;
    expect(builtins).toBeGreaterThan(0);
    expect((await list('/roles', { filter: 'builtin eq false', count: '1' })).total).toBe(
      (await list('/roles', {})).total - builtins,
    );

    for (const path of ['/permissions', '/roles']) {
      for (const filter of ['nosuchattr eq "x"', 'name eq', '(name eq "x"', 'builtin eq "yes"']) {
        const res = await iam('GET', `${path}?${new URLSearchParams({ count: '1', filter })}`);
        expect(fails(res, 400).scimType, `${path} ${filter}`).toBe('invalidFilter');
      }
    }
  });

  it("another tenant's permissions and roles are 404, and lists never show them", async () => {
    const perm = ok(
      await iam('POST', '/permissions', { name: 'mine-only', statements: [{ actions: ['apps:read'] }] }),
      201,
    );
    const role = ok(await iam('POST', '/roles', { name: 'mine-only', permissions: [perm.id] }), 201);
    for (const [kind, id] of [
      ['permissions', perm.id],
      ['roles', role.id],
    ]) {
      fails(await iam('GET', `/${kind}/${id}`, undefined, otherToken), 404);
      fails(await iam('PUT', `/${kind}/${id}`, { name: 'stolen' }, otherToken), 404);
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
    // Their role cannot use my permission either.
    fails(await iam('POST', '/roles', { name: 'borrow', permissions: [perm.id] }, otherToken), 400, perm.id);
    expect(ok(await iam('GET', `/roles/${role.id}`)).attributes.name).toBe('mine-only');
  });

  it('every IAM route follows the shared auth rules (401, 403 naming the action)', async () => {
    expect(await expectAuthRules(t, { prefix: '/iam/v1' })).toBeGreaterThanOrEqual(30);
  });
});
