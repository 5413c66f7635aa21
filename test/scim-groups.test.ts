import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { expectContract } from './helpers/contract.js';
import { patchBody, scim, userBody } from './helpers/scim.js';

// biome-ignore lint/suspicious/noExplicitAny: SCIM bodies are read loosely in assertions
type Obj = Record<string, any>;

describe('SCIM /Groups', () => {
  let t: TestApp;
  let token: string;
  const people: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    token = await createToken(t, 'provisioning');
    for (let i = 0; i < 6; i++) {
      const res = await scim(t, token, 'POST', '/Users', userBody(`member${i}@example.com`));
      people.push(res.json<Obj>().id);
    }
  });
  afterAll(() => t.close());

  let created: TestResponse | undefined;
  async function group(displayName: string, members: string[] = []): Promise<Obj> {
    const res = await scim(t, token, 'POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName,
      members: members.map((value) => ({ value })),
    });
    expect(res.statusCode, res.body).toBe(201);
    created = res;
    return res.json<Obj>();
  }
  const memberIds = (g: Obj) => ((g.members ?? []) as Obj[]).map((m) => m.value).sort();

  it('creates, reads and lists groups per the contract; members carry $ref and display', async () => {
    const g = await group('Engineering', people.slice(0, 2));
    expectContract('tooljet-scim.openapi.yaml', 'post', '/Groups', created as TestResponse);
    expect(memberIds(g)).toEqual(people.slice(0, 2).sort());
    const got = await scim(t, token, 'GET', `/Groups/${g.id}`);
    expectContract('tooljet-scim.openapi.yaml', 'get', '/Groups/{id}', got);
    const list = await scim(t, token, 'GET', '/Groups?filter=displayName eq "engineering"');
    expectContract('tooljet-scim.openapi.yaml', 'get', '/Groups', list);
    expect(list.json<Obj>().totalResults).toBe(1);
    const user = await scim(t, token, 'GET', `/Users/${people[0]}`);
    expect(user.json<Obj>().groups).toEqual([
      expect.objectContaining({ value: g.id, display: 'Engineering' }),
    ]);
    const byMember = await scim(
      t,
      token,
      'GET',
      `/Groups?filter=${encodeURIComponent(`members[value eq "${people[1]}"]`)}&excludedAttributes=members`,
    );
    expect(byMember.json<Obj>().Resources).toEqual([
      expect.not.objectContaining({ members: expect.anything() }),
    ]);
    // A page of several groups: each carries its own members.
    const other = await group('Design', people.slice(2, 4));
    const page = (await scim(t, token, 'GET', '/Groups')).json<{ Resources: Obj[] }>().Resources;
    const membersOf = (id: unknown) => memberIds(page.find((r) => r.id === id) ?? {});
    expect(membersOf(g.id)).toEqual(people.slice(0, 2).sort());
    expect(membersOf(other.id)).toEqual(people.slice(2, 4).sort());
  });

  it('409 uniqueness on a duplicate displayName (case-insensitive)', async () => {
    await group('Finance');
    const res = await scim(t, token, 'POST', '/Groups', { displayName: 'FINANCE' });
    expect(res.statusCode).toBe(409);
    expect(res.json<Obj>().scimType).toBe('uniqueness');
  });

  it('member changes: add, remove [{value}], remove members[value eq], replace; unknown ids change nothing', async () => {
    const g = await group('Ops', [people[0] ?? '']);
    const added = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'Add', path: 'members', value: [{ value: people[1] }, { value: people[2] }] }),
    );
    expect(added.statusCode, added.body).toBe(200);
    expect(memberIds(added.json())).toEqual([people[0], people[1], people[2]].sort());
    const removed = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'Remove', path: 'members', value: [{ value: people[0] }] }),
    );
    expect(memberIds(removed.json())).toEqual([people[1], people[2]].sort());
    const filtered = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'remove', path: `members[value eq "${people[1]}"]` }),
    );
    expect(memberIds(filtered.json())).toEqual([people[2]]);
    const replaced = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'replace', path: 'members', value: [{ value: people[3] }, { value: people[4] }] }),
    );
    expect(memberIds(replaced.json())).toEqual([people[3], people[4]].sort());
    const bad = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'add', path: 'members', value: [{ value: people[5] }, { value: 'no-such-user' }] }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Obj>().detail).toContain('no-such-user');
    const after = await scim(t, token, 'GET', `/Groups/${g.id}`);
    expect(memberIds(after.json())).toEqual([people[3], people[4]].sort());
  });

  it('a rename carrying id with displayName; pathless replace; Prefer return=minimal → 204; empty Operations is a no-op', async () => {
    const g = await group('Old Name');
    const renamed = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'replace', value: { id: g.id, displayName: 'New Name' } }),
    );
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json<Obj>().displayName).toBe('New Name');
    const minimal = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'add', path: 'members', value: [{ value: people[0] }] }),
      { prefer: 'return=minimal' },
    );
    expect(minimal.statusCode).toBe(204);
    const noop = await scim(t, token, 'PATCH', `/Groups/${g.id}`, patchBody());
    expect(noop.statusCode).toBe(200);
    expect(memberIds(noop.json())).toEqual([people[0]]);
    // Another id is refused (as path "id" is); nothing changes.
    const hacked = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'replace', value: { id: 'hacked', displayName: 'Hacked' } }),
    );
    expect(hacked.statusCode).toBe(400);
    expect(hacked.json<Obj>().scimType).toBe('mutability');
    // The required displayName cannot be removed (RFC 7644 §3.5.2.2).
    const unnamed = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'remove', path: 'displayName' }),
    );
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json<Obj>()).toMatchObject({
      scimType: 'mutability',
      detail: expect.stringContaining('displayName'),
    });
    // PATCHes that change nothing keep the version.
    const version = noop.json<Obj>().meta.version;
    for (const op of [
      { op: 'add', path: 'members', value: [{ value: people[0] }] },
      { op: 'remove', path: 'members', value: [{ value: people[5] }] },
      { op: 'remove', path: `members[value eq "${people[4]}"]` },
      { op: 'replace', value: { id: g.id, displayName: 'New Name' } },
    ]) {
      const res = await scim(t, token, 'PATCH', `/Groups/${g.id}`, patchBody(op));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<Obj>().meta.version, JSON.stringify(op)).toBe(version);
    }
    const after = await scim(t, token, 'GET', `/Groups/${g.id}`);
    expect(after.json<Obj>()).toMatchObject({ displayName: 'New Name', meta: { version } });
  });

  it('adds 1,000 members in one PATCH as one SQL set operation, and refuses oversize lists', async () => {
    const now = new Date().toISOString();
    const tenantId = (
      await t.app.store.db
        .selectFrom('people')
        .select('tenant_id')
        .where('id', '=', people[0] ?? '')
        .executeTakeFirstOrThrow()
    ).tenant_id;
    const ids = Array.from(
      { length: 1000 },
      (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    );
    await t.app.store.db
      .insertInto('people')
      .values(
        ids.map((id, i) => ({
          tenant_id: tenantId,
          id,
          user_name: `bulk${i}@example.com`,
          user_name_lc: `bulk${i}@example.com`,
          email: null,
          email_lc: null,
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
          attributes: '{}',
          custom: '{}',
          version: 1,
          created_at: now,
          updated_at: now,
          deactivated_at: null,
        })),
      )
      .execute();
    const g = await group('Everyone');
    const res = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }),
      { prefer: 'return=minimal' },
    );
    expect(res.statusCode).toBe(204);
    const n = await t.app.store.db
      .selectFrom('group_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('group_id', '=', g.id)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1000);
    const oversize = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({
        op: 'add',
        path: 'members',
        value: Array.from({ length: 10_001 }, (_, i) => ({ value: `x${i}` })),
      }),
    );
    expect(oversize.statusCode).toBe(400);
    expect(oversize.json<Obj>().scimType).toBe('invalidValue');
  });

  it("a user's version changes with their groups, and a group's with its members' display names", async () => {
    const users: Obj[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await scim(t, token, 'POST', '/Users', userBody(`etag-member${i}@example.com`));
      users.push(res.json<Obj>());
    }
    const [a, b, c] = users.map((u) => u.id as string);
    const version = async (path: string) => (await scim(t, token, 'GET', path)).json<Obj>().meta.version;
    // Each step must change the version of exactly the users whose `groups` it changes.
    const step = async (changes: () => Promise<unknown>, changed: string[], unchanged: string[]) => {
      const before = new Map<string, string>();
      for (const id of [...changed, ...unchanged]) before.set(id, await version(`/Users/${id}`));
      await changes();
      for (const id of changed) expect(await version(`/Users/${id}`), id).not.toBe(before.get(id));
      for (const id of unchanged) expect(await version(`/Users/${id}`), id).toBe(before.get(id));
    };
    const patch = (id: string, ...ops: Record<string, unknown>[]) =>
      scim(t, token, 'PATCH', `/Groups/${id}`, patchBody(...ops)).then((r) => {
        expect(r.statusCode, r.body).toBe(200);
        return r.json<Obj>();
      });
    let g: Obj = {};
    await step(async () => (g = await group('Versioned', [a ?? ''])), [a ?? ''], [b ?? '', c ?? '']);
    const stale = await version(`/Users/${a}`);
    await step(
      () => patch(g.id, { op: 'add', path: 'members', value: [{ value: a }, { value: b }] }),
      [b ?? ''],
      [a ?? '', c ?? ''],
    );
    await step(
      () => patch(g.id, { op: 'remove', path: `members[value eq "${b}"]` }),
      [b ?? ''],
      [a ?? '', c ?? ''],
    );
    await step(
      () => patch(g.id, { op: 'remove', path: 'members', value: [{ value: a }, { value: c }] }),
      [a ?? ''],
      [b ?? '', c ?? ''],
    );
    await step(
      () => patch(g.id, { op: 'replace', path: 'members', value: [{ value: b }, { value: c }] }),
      [b ?? '', c ?? ''],
      [a ?? ''],
    );
    await step(
      () => patch(g.id, { op: 'replace', path: 'members', value: [{ value: a }, { value: c }] }),
      [a ?? '', b ?? ''],
      [c ?? ''],
    );
    await step(
      () => patch(g.id, { op: 'replace', value: { displayName: 'Versioned 2' } }),
      [a ?? '', c ?? ''],
      [b ?? ''],
    );
    await step(
      async () => {
        const res = await scim(t, token, 'PUT', `/Groups/${g.id}`, {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'Versioned 3',
          members: [{ value: a }, { value: c }],
        });
        expect(res.statusCode, res.body).toBe(200);
      },
      [a ?? '', c ?? ''],
      [b ?? ''],
    );
    // A cached user with the old groups is not served as current.
    const cached = await scim(t, token, 'GET', `/Users/${a}`, undefined, { 'if-none-match': stale });
    expect(cached.statusCode).toBe(200);
    expect(cached.json<Obj>().groups).toEqual([
      expect.objectContaining({ value: g.id, display: 'Versioned 3' }),
    ]);

    // The group shows members' display names: changing one, or deleting the member, changes it.
    let groupVersion = await version(`/Groups/${g.id}`);
    const renamed = await scim(
      t,
      token,
      'PATCH',
      `/Users/${a}`,
      patchBody({ op: 'replace', path: 'displayName', value: 'Renamed Member' }),
    );
    expect(renamed.statusCode, renamed.body).toBe(200);
    const afterRename = await scim(t, token, 'GET', `/Groups/${g.id}`);
    expect(afterRename.json<Obj>().meta.version).not.toBe(groupVersion);
    expect(afterRename.json<Obj>().members).toContainEqual(
      expect.objectContaining({ value: a, display: 'Renamed Member' }),
    );
    groupVersion = afterRename.json<Obj>().meta.version;
    const titled = await scim(
      t,
      token,
      'PATCH',
      `/Users/${a}`,
      patchBody({ op: 'replace', path: 'title', value: 'Not shown in groups' }),
    );
    expect(titled.statusCode).toBe(200);
    expect(await version(`/Groups/${g.id}`)).toBe(groupVersion);
    expect((await scim(t, token, 'DELETE', `/Users/${c}`)).statusCode).toBe(204);
    expect(await version(`/Groups/${g.id}`)).not.toBe(groupVersion);

    // Deleting the group changes its members' groups.
    await step(() => scim(t, token, 'DELETE', `/Groups/${g.id}`), [a ?? ''], [b ?? '']);
  });

  it('filters and PATCH value filters on members.display (display name, else userName)', async () => {
    const alice = await scim(
      t,
      token,
      'POST',
      '/Users',
      userBody('alice-display@example.com', { displayName: 'Alice Display' }),
    );
    const bob = await scim(
      t,
      token,
      'POST',
      '/Users',
      userBody('bob-display@example.com', { name: { givenName: 'B' } }),
    );
    const [a, b] = [alice.json<Obj>().id as string, bob.json<Obj>().id as string];
    const g = await group('Display Filters', [a, b]);
    await group('Display Others', [b]);
    const names = async (filter: string) => {
      const res = await scim(
        t,
        token,
        'GET',
        `/Groups?filter=${encodeURIComponent(filter)}&sortBy=displayName`,
      );
      expect(res.statusCode, `${filter}: ${res.body}`).toBe(200);
      return res.json<Obj>().Resources.map((r: Obj) => r.displayName);
    };
    expect(await names('members.display eq "alice display"')).toEqual(['Display Filters']);
    expect(await names('members[display sw "Alice"] and displayName sw "Display"')).toEqual([
      'Display Filters',
    ]);
    expect(await names('members.display eq "B"')).toEqual(['Display Filters', 'Display Others']);
    expect(await names('members.display co "nobody"')).toEqual([]);
    const removed = await scim(
      t,
      token,
      'PATCH',
      `/Groups/${g.id}`,
      patchBody({ op: 'remove', path: 'members[display eq "Alice Display"]' }),
    );
    expect(removed.statusCode, removed.body).toBe(200);
    expect(memberIds(removed.json())).toEqual([b]);
  });

  it('sorting by externalId puts groups without one last ascending and first descending', async () => {
    for (const [name, externalId] of [
      ['Sort-1', 'x-b'],
      ['Sort-2', undefined],
      ['Sort-3', 'x-a'],
    ]) {
      const res = await scim(t, token, 'POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: name,
        ...(externalId ? { externalId } : {}),
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const names = async (order: string) => {
      const filter = encodeURIComponent('displayName sw "Sort-"');
      const res = await scim(t, token, 'GET', `/Groups?filter=${filter}&sortBy=externalId${order}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Obj>().Resources.map((r: Obj) => r.displayName);
    };
    expect(await names('')).toEqual(['Sort-3', 'Sort-1', 'Sort-2']);
    expect(await names('&sortOrder=descending')).toEqual(['Sort-2', 'Sort-1', 'Sort-3']);
  });

  it('DELETE removes the group and its memberships; 404 afterwards', async () => {
    const g = await group('Temporary', [people[0] ?? '']);
    expect((await scim(t, token, 'DELETE', `/Groups/${g.id}`)).statusCode).toBe(204);
    expect((await scim(t, token, 'GET', `/Groups/${g.id}`)).statusCode).toBe(404);
  });
});
