import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { expectAuthRules } from './helpers/auth-rules.js';
import { expectContract } from './helpers/contract.js';
import { IAM_CONTRACT as CONTRACT, iamCaller, type Obj, ok, patchOp as patch } from './helpers/iam.js';

describe('IAM /iam/v1 (StackSpot-style)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const iam = iamCaller(() => t);

  it('lists the built-in catalog and manages custom actions per the contract', async () => {
    const list = await iam('GET', '/actions');
    expectContract(CONTRACT, 'get', '/iam/v1/actions', list);
    expect(ok(list).resources.map((a: Obj) => a.attributes.name)).toContain('apps:read');
    const created = await iam('POST', '/actions', { name: 'vault:open', description: 'Open the vault' });
    expectContract(CONTRACT, 'post', '/iam/v1/actions', created);
    const action = ok(created, 201);
    expect(action).toMatchObject({
      attributes: { name: 'vault:open' },
      externalID: {},
      meta: { resourceType: 'Action' },
    });
    const got = await iam('GET', `/actions/${action.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/actions/{id}', got);
    const put = await iam('PUT', `/actions/${action.id}`, { name: 'vault:open', description: 'Open it' });
    expectContract(CONTRACT, 'put', '/iam/v1/actions/{id}', put);
    expect(ok(put).resources[0].attributes.description).toBe('Open it');
    const patched = await iam(
      'PATCH',
      `/actions/${action.id}`,
      patch({ op: 'replace', path: 'description', value: 'Opened' }),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/actions/{id}', patched);
    expect(ok(patched).attributes.description).toBe('Opened');
    expect((await iam('POST', '/actions', { name: 'Bad Name!' })).statusCode).toBe(400);
    expect((await iam('POST', '/actions', { description: 'no name' })).json<Obj>().detail).toContain('name');
    expect((await iam('POST', '/actions', { name: 'vault:open' })).statusCode).toBe(409);
    const builtin = ok(list).resources.find((a: Obj) => a.attributes.name === 'apps:read');
    expect(
      (await iam('PATCH', `/actions/${builtin.id}`, patch({ op: 'replace', value: { description: 'x' } })))
        .statusCode,
    ).toBe(400);
    expect((await iam('DELETE', `/actions/${action.id}`)).statusCode).toBe(204);
    expect((await iam('GET', `/actions/${action.id}`)).statusCode).toBe(404);
  });

  it('resource types carry their actions; resources belong to a type', async () => {
    const created = await iam('POST', '/resource-types', {
      name: 'repository',
      description: 'Code repositories',
      actions: ['repository:read', 'repository:write'],
    });
    expectContract(CONTRACT, 'post', '/iam/v1/resource-types', created);
    const type = ok(created, 201);
    expect(type.attributes.actions.map((a: Obj) => a.name).sort()).toEqual([
      'repository:read',
      'repository:write',
    ]);
    const resource = await iam('POST', '/resources', {
      name: 'Payments service',
      slug: 'payments',
      type: 'repository',
    });
    expectContract(CONTRACT, 'post', '/iam/v1/resources', resource);
    expect(ok(resource, 201).attributes.type).toMatchObject({ name: 'repository' });
    const listed = await iam('GET', `/resources?type=${type.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/resources', listed);
    expect(ok(listed).totalResults).toBe(1);
    const replaced = await iam('PUT', `/resource-types/${type.id}`, {
      name: 'repository',
      slug: 'repository',
      description: 'Repos',
    });
    expectContract(CONTRACT, 'put', '/iam/v1/resource-types/{id}', replaced);
    expect((await iam('DELETE', `/resource-types/${type.id}`)).statusCode).toBe(409);
    expect(
      (await iam('POST', '/resources', { name: 'x', type: 'no-such-type' })).json<Obj>().detail,
    ).toContain('type');
  });

  it('a role change applies to its holders on the next request', async () => {
    const perm = ok(
      await iam('POST', '/permissions', {
        name: 'read-apps',
        statements: [{ actions: ['apps:read'], resource: '*' }],
      }),
      201,
    );
    const role = await iam('POST', '/roles', {
      name: 'app-reader',
      description: 'Reads apps',
      permissions: [perm.id],
      claim_mapper: { team: 'it' },
    });
    expectContract(CONTRACT, 'post', '/iam/v1/roles', role);
    const roleId = ok(role, 201).id;
    const token = await createToken(t, 'app-reader');
    expect((await t.request({ method: 'GET', url: '/v1.1/apps', token })).statusCode).toBe(200);
    const denied = await t.request({ method: 'GET', url: '/v1.1/users', token });
    expect(denied.statusCode).toBe(403);
    expect(denied.body).toContain('users:read');
    const usersPerm = ok(
      await iam('POST', '/permissions', {
        name: 'read-users',
        statements: [{ action: 'users:read', resource: '*' }],
      }),
      201,
    );
    const widened = await iam(
      'PATCH',
      `/roles/${roleId}`,
      patch({ op: 'add', path: 'permissions', value: [usersPerm.id] }),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/roles/{id}', widened);
    expect(ok(widened).attributes.member_count).toBe(1);
    expect((await t.request({ method: 'GET', url: '/v1.1/users', token })).statusCode).toBe(200);
    await iam(
      'PATCH',
      `/roles/${roleId}`,
      patch({ op: 'remove', path: 'permissions', value: [usersPerm.id] }),
    );
    expect((await t.request({ method: 'GET', url: '/v1.1/users', token })).statusCode).toBe(403);
    expect((await iam('DELETE', `/roles/${roleId}`)).statusCode).toBe(409);
    const put = await iam('PUT', `/roles/${roleId}`, {
      name: 'app-reader',
      description: 'Still reads apps',
      permissions: [perm.id],
    });
    expectContract(CONTRACT, 'put', '/iam/v1/roles/{id}', put);
    expectContract(CONTRACT, 'get', '/iam/v1/permissions/{id}', await iam('GET', `/permissions/${perm.id}`));
    expectContract(CONTRACT, 'get', '/iam/v1/roles', await iam('GET', '/roles'));
  });

  it('group roles are inherited by members; unknown actions and escalation are refused', async () => {
    const person = ok(
      await iam('POST', '/users', {
        userName: 'ines@example.com',
        name: { givenName: 'Ines', familyName: 'M' },
        emails: [{ value: 'ines@example.com', primary: true }],
      }),
      201,
    );
    expectContract(CONTRACT, 'get', '/iam/v1/users/{id}', await iam('GET', `/users/${person.id}`));
    const group = ok(await iam('POST', '/groups', { displayName: 'Auditors' }), 201);
    const added = await iam(
      'PATCH',
      `/groups/${group.id}`,
      patch({ op: 'add', path: 'members', value: [{ value: person.id }] }),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/groups/{id}', added);
    const empty = ok(await iam('POST', '/roles', { name: 'nothing' }), 201);
    const token = ok(
      await t.request({
        method: 'POST',
        url: '/api/tokens',
        token: t.ownerToken,
        payload: { name: 'ines', role: 'nothing', personId: person.id },
      }),
      201,
    ).token as string;
    expect((await t.request({ method: 'GET', url: '/v1.1/audit', token })).statusCode).toBe(403);
    const auditors = ok(
      await iam('POST', '/roles', {
        name: 'auditors',
        statements: [{ actions: ['audit:read'] }],
        members: [{ type: 'Group', value: group.id }],
      }),
      201,
    );
    expect(auditors.attributes.member_count).toBe(1);
    expect((await t.request({ method: 'GET', url: '/v1.1/audit', token })).statusCode).toBe(200);
    const unknown = await iam('POST', '/permissions', { name: 'p', statements: [{ actions: ['apps:fly'] }] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<Obj>().detail).toContain('apps:fly');
    const roleAdmin = ok(
      await iam('POST', '/roles', {
        name: 'role-admin',
        statements: [{ actions: ['iam:read', 'iam:roles:write'] }],
      }),
      201,
    );
    expect(roleAdmin.id).toBeTruthy();
    const limited = await createToken(t, 'role-admin');
    const escalate = await iam(
      'POST',
      '/roles',
      { name: 'sneaky', statements: [{ actions: ['tokens:write'] }] },
      limited,
    );
    expect(escalate.statusCode).toBe(403);
    expect((await iam('GET', '/roles?type=x')).statusCode).toBe(200);
    expect(empty.attributes.name).toBe('nothing');
  });

  it('PUT /groups/{id} replaces the members it is given (RFC 7644 §3.5.1), and keeps them for a name-only body', async () => {
    const person = async (userName: string) =>
      ok(await iam('POST', '/users', { userName }), 201).id as string;
    const [ana, bo] = [await person('ana.put@example.com'), await person('bo.put@example.com')];
    const group = ok(
      await iam('POST', '/groups', { displayName: 'IAM Group 3', members: [{ value: ana }] }),
      201,
    );
    const members = async () => {
      const iamMembers = ok(await iam('GET', `/groups/${group.id}`)).attributes.members ?? [];
      const scim = ok(
        await t.request({ method: 'GET', url: `/scim/v2/Groups/${group.id}`, token: t.ownerToken }),
      );
      const ids = iamMembers.map((m: Obj) => m.value).sort();
      expect((scim.members ?? []).map((m: Obj) => m.value).sort()).toEqual(ids);
      return ids;
    };
    expect(await members()).toEqual([ana]);
    const put = await iam('PUT', `/groups/${group.id}`, {
      displayName: 'IAM Group 3',
      members: [{ value: bo }],
    });
    expectContract(CONTRACT, 'put', '/iam/v1/groups/{id}', put);
    expect(ok(put).resources[0].attributes.members.map((m: Obj) => m.value)).toEqual([bo]);
    expect(await members()).toEqual([bo]);
    ok(
      await iam('PUT', `/groups/${group.id}`, {
        displayName: 'IAM Group 3',
        members: [{ value: ana }, { value: bo }],
      }),
    );
    expect(await members()).toEqual([ana, bo].sort());
    // The contract's "Update Groups" body carries the name only: the members stay.
    ok(await iam('PUT', `/groups/${group.id}`, { displayName: 'IAM Group 3 renamed' }));
    expect(await members()).toEqual([ana, bo].sort());
    expect(ok(await iam('GET', `/groups/${group.id}`)).attributes.displayName).toBe('IAM Group 3 renamed');
    // An empty list empties it.
    ok(await iam('PUT', `/groups/${group.id}`, { displayName: 'IAM Group 3 renamed', members: [] }));
    expect(await members()).toEqual([]);
    expect(
      (await iam('PUT', `/groups/${group.id}`, { displayName: 'x', members: [{ value: 'nobody' }] }))
        .statusCode,
    ).toBe(400);
  });

  it("changes a person's SCIM version (ETag) when a role they hold is granted, renamed or taken away", async () => {
    const SIGHTLINE = 'urn:ietf:params:scim:schemas:extension:sightline:2.0:User';
    const userId = ok(await iam('POST', '/users', { userName: 'etag.role@example.com' }), 201).id as string;
    const other = ok(await iam('POST', '/users', { userName: 'etag.bystander@example.com' }), 201)
      .id as string;
    const scimUser = async (id: string) =>
      ok(await t.request({ method: 'GET', url: `/scim/v2/Users/${id}`, token: t.ownerToken }));
    const versions: string[] = [(await scimUser(userId)).meta.version];
    const step = async (expectedRole: string | undefined) => {
      const u = await scimUser(userId);
      expect(u[SIGHTLINE].role).toBe(expectedRole);
      expect(versions).not.toContain(u.meta.version);
      versions.push(u.meta.version);
    };
    const bystander = (await scimUser(other)).meta.version;
    const roleId = ok(await iam('POST', '/roles', { name: 'etag-role', members: [{ value: userId }] }), 201)
      .id as string;
    await step('etag-role');
    ok(await iam('PATCH', `/roles/${roleId}`, patch({ op: 'replace', path: 'name', value: 'etag-renamed' })));
    await step('etag-renamed');
    // Adding someone who already holds it changes nothing.
    ok(
      await iam(
        'PATCH',
        `/roles/${roleId}`,
        patch({ op: 'add', path: 'members', value: [{ value: userId }] }),
      ),
    );
    expect((await scimUser(userId)).meta.version).toBe(versions.at(-1));
    ok(
      await iam(
        'PATCH',
        `/roles/${roleId}`,
        patch({ op: 'remove', path: 'members', value: [{ value: userId }] }),
      ),
    );
    await step(undefined);
    ok(await iam('PUT', `/roles/${roleId}`, { name: 'etag-renamed', members: [{ value: userId }] }));
    await step('etag-renamed');
    expect((await iam('DELETE', `/roles/${roleId}`)).statusCode).toBe(204);
    await step(undefined);
    expect((await scimUser(other)).meta.version).toBe(bystander);
  });

  it("keeps the users' custom extension (StackSpot's custom:2.0:User) and filters on it", async () => {
    const CUSTOM = 'urn:ietf:params:scim:schemas:extension:custom:2.0:User';
    const created = await iam('POST', '/users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', CUSTOM],
      userName: 'custom.ext@example.com',
      [CUSTOM]: {
        company: 'Acme',
        hireDate: '2024-02-01',
        human: true,
        blocked: 'False',
        generatePassword: true,
        ddi: '55',
        notDefined: 'dropped',
      },
    });
    expectContract(CONTRACT, 'post', '/iam/v1/users', created);
    const user = ok(created, 201);
    const expected = { company: 'Acme', hireDate: '2024-02-01', human: true, blocked: false, ddi: '55' };
    expect(user.attributes[CUSTOM]).toEqual(expected);
    const got = await iam('GET', `/users/${user.id}`);
    expectContract(CONTRACT, 'get', '/iam/v1/users/{id}', got);
    expect(ok(got).attributes[CUSTOM]).toEqual(expected);
    // SCIM shows the same person with the same extension.
    const scim = ok(
      await t.request({ method: 'GET', url: `/scim/v2/Users/${user.id}`, token: t.ownerToken }),
    );
    expect(scim[CUSTOM]).toEqual(expected);
    expect(scim.schemas).toContain(CUSTOM);

    const scimIds = async (filter: string) =>
      ok(
        await t.request({
          method: 'GET',
          url: `/scim/v2/Users?filter=${encodeURIComponent(filter)}`,
          token: t.ownerToken,
        }),
      ).Resources.map((r: Obj) => r.id);
    expect(await scimIds(`${CUSTOM}:company eq "acme"`)).toEqual([user.id]);
    expect(await scimIds(`${CUSTOM}:human eq true and userName sw "custom.ext"`)).toEqual([user.id]);
    expect(await scimIds(`${CUSTOM}:blocked eq true`)).toEqual([]);
    expect(await scimIds(`${CUSTOM}:blocked ne true and userName sw "custom.ext"`)).toEqual([user.id]);
    expect(await scimIds(`${CUSTOM}:hireDate pr and userName sw "custom.ext"`)).toEqual([user.id]);
    const unknown = await t.request({
      method: 'GET',
      url: `/scim/v2/Users?filter=${encodeURIComponent(`${CUSTOM}:notDefined eq "x"`)}`,
      token: t.ownerToken,
    });
    expect(unknown.json<Obj>().scimType).toBe('invalidFilter');

    // PATCH one attribute (path with the URN), the others stay; a wrong type is refused whole.
    const patched = await iam(
      'PATCH',
      `/users/${user.id}`,
      patch({ op: 'replace', path: `${CUSTOM}:company`, value: 'Acme Brasil' }),
    );
    expectContract(CONTRACT, 'patch', '/iam/v1/users/{id}', patched);
    expect(ok(patched).attributes[CUSTOM]).toEqual({ ...expected, company: 'Acme Brasil' });
    const badType = await iam(
      'PATCH',
      `/users/${user.id}`,
      patch({ op: 'replace', value: { [CUSTOM]: { human: 'maybe' } } }),
    );
    expect(badType.statusCode).toBe(400);
    expect(badType.json<Obj>().detail).toContain('human');
    // PUT replaces the resource: an extension left out is removed.
    const put = await iam('PUT', `/users/${user.id}`, { userName: 'custom.ext@example.com' });
    expectContract(CONTRACT, 'put', '/iam/v1/users/{id}', put);
    expect(ok(await iam('GET', `/users/${user.id}`)).attributes[CUSTOM]).toBeUndefined();
    // Published by /Schemas and /ResourceTypes.
    const schema = await t.request({ method: 'GET', url: `/scim/v2/Schemas/${CUSTOM}`, token: t.ownerToken });
    expect(ok(schema).attributes.map((a: Obj) => a.name)).toContain('hireDate');
    const types = ok(
      await t.request({ method: 'GET', url: '/scim/v2/ResourceTypes/User', token: t.ownerToken }),
    );
    expect(types.schemaExtensions.map((e: Obj) => e.schema)).toContain(CUSTOM);
  });

  it('keeps tenants apart and audits every change', async () => {
    const other = ok(
      await t.request({
        method: 'POST',
        url: '/api/tenants',
        token: t.ownerToken,
        payload: { name: 'Other IAM', slug: 'other-iam' },
      }),
      201,
    );
    const mine = ok(await iam('POST', '/actions', { name: 'mine:only' }), 201);
    expect((await iam('GET', `/actions/${mine.id}`, undefined, other.ownerToken)).statusCode).toBe(404);
    const theirs = ok(await iam('GET', '/actions', undefined, other.ownerToken));
    expect(theirs.resources.map((a: Obj) => a.attributes.name)).not.toContain('mine:only');
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('target_id', '=', mine.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['iam.action.created']);
  });

  it('every IAM route follows the shared auth rules', async () => {
    expect(await expectAuthRules(t, { prefix: '/iam/v1' })).toBe(42);
  });
});
