import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, createToken, startTestApp, type TestApp } from './helpers/app.js';
import { expectAuthRules } from './helpers/auth-rules.js';
import { expectContract } from './helpers/contract.js';
import { ENTERPRISE, patchBody, SIGHTLINE, scim, userBody } from './helpers/scim.js';

// biome-ignore lint/suspicious/noExplicitAny: SCIM bodies are read loosely in assertions
type Obj = Record<string, any>;

describe('SCIM /Users', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await createToken(t, 'provisioning');
  });
  afterAll(() => t.close());

  async function create(userName: string, extra: Record<string, unknown> = {}): Promise<Obj> {
    const res = await scim(t, token, 'POST', '/Users', userBody(userName, extra));
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Obj>();
  }

  it('creates a user (201, Location, ETag, scim+json) and reads it back, validated against the contract', async () => {
    const res = await scim(
      t,
      token,
      'POST',
      '/Users',
      userBody('grace@example.com', { externalId: 'ext-1' }),
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toContain('application/scim+json');
    const user = res.json<Obj>();
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.location).toBe(user.meta.location);
    expect(res.headers.etag).toBe(user.meta.version);
    expectContract('tooljet-scim.openapi.yaml', 'post', '/Users', res);
    const got = await scim(t, token, 'GET', `/Users/${user.id}`);
    expect(got.statusCode).toBe(200);
    expectContract('tooljet-scim.openapi.yaml', 'get', '/Users/{id}', got);
    expect(got.json<Obj>()).toMatchObject({
      userName: 'grace@example.com',
      externalId: 'ext-1',
      active: true,
      name: { givenName: 'Ada' },
    });
    const list = await scim(t, token, 'GET', '/Users?filter=userName eq "GRACE@example.com"');
    expectContract('tooljet-scim.openapi.yaml', 'get', '/Users', list);
    expect(list.json<Obj>().totalResults).toBe(1);
    // The Torii aliases reach the same service.
    const torii = await scim(t, token, 'GET', `/v1.1/scim/v2/Users/${user.id}`);
    expect(torii.statusCode).toBe(200);
    expect(torii.json<Obj>().meta.location).toContain('/v1.1/scim/v2/Users/');
  });

  it('SCIM users are the directory people other faces see', async () => {
    const user = await create('margaret@example.com');
    const row = await t.app.store.db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      user_name: 'margaret@example.com',
      email: 'margaret@example.com',
      first_name: 'Ada',
      status: 'active',
    });
  });

  it('answers 409 uniqueness for a duplicate userName, case-insensitively', async () => {
    await create('dup@example.com');
    const res = await scim(t, token, 'POST', '/Users', userBody('DUP@example.com'));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      status: '409',
      scimType: 'uniqueness',
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    });
  });

  it("accepts Okta's create with a password and groups: [] and null attributes", async () => {
    const res = await scim(t, token, 'POST', '/Users', {
      ...userBody('okta.user@example.com'),
      password: 'secret-Passw0rd',
      groups: [],
      displayName: null,
      title: null,
      [ENTERPRISE]: { department: null, employeeNumber: 'E-1' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<Obj>();
    expect(body.password).toBeUndefined();
    expect(body[ENTERPRISE].employeeNumber).toBe('E-1');
    expect(body.title).toBeUndefined();
  });

  it('returns emails and phone numbers in the order sent, and groups by display name', async () => {
    const user = await create('order@example.com', {
      emails: [
        { value: 'order@example.com', type: 'work', primary: true },
        { value: 'b-home@example.com', type: 'home' },
        { value: 'a-other@example.com', type: 'other' },
      ],
      phoneNumbers: [
        { value: '+1 555 0102', type: 'work' },
        { value: '+1 555 0101', type: 'mobile' },
      ],
    });
    for (const name of ['order zeta', 'Order Alpha', 'order mu']) {
      const group = await scim(t, token, 'POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: name,
        members: [{ value: user.id }],
      });
      expect(group.statusCode, group.body).toBe(201);
    }
    for (const path of [`/Users/${user.id}`, '/Users?filter=userName eq "order@example.com"']) {
      const res = await scim(t, token, 'GET', path);
      const body = res.json<Obj>();
      const got = body.Resources ? body.Resources[0] : body;
      expect(got.emails.map((e: Obj) => e.value)).toEqual([
        'order@example.com',
        'b-home@example.com',
        'a-other@example.com',
      ]);
      expect(got.phoneNumbers.map((p: Obj) => p.value)).toEqual(['+1 555 0102', '+1 555 0101']);
      expect(got.groups.map((g: Obj) => g.display)).toEqual(['Order Alpha', 'order mu', 'order zeta']);
    }
  });
  it('404 SCIM error for an unknown id, and 200 empty list for a filter on a random GUID', async () => {
    const missing = await scim(t, token, 'GET', '/Users/00919288221112222');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: '404', detail: expect.any(String) });
    // scimType is a keyword for 400s (and 409 uniqueness): none on a 404 (RFC 7644 §3.12).
    expect(missing.json().scimType).toBeUndefined();
    const guid = await scim(t, token, 'GET', '/Users?filter=id eq "6f1c2b7e-3f7a-4e55-9a43-1d2f0b7f7c11"');
    expect(guid.statusCode).toBe(200);
    expect(guid.json()).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('PATCH: capitalised ops, string booleans, pathless dotted and URN keys, Okta deactivation', async () => {
    const user = await create('patchy@example.com');
    const res = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody(
        {
          op: 'Replace',
          value: { 'name.givenName': 'Augusta', [`${ENTERPRISE}:employeeNumber`]: '42', title: 'Countess' },
        },
        { op: 'Add', path: 'nickName', value: 'Ada' },
      ),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Obj>()).toMatchObject({
      name: { givenName: 'Augusta', familyName: 'Lovelace' },
      title: 'Countess',
      nickName: 'Ada',
    });
    expect(res.json<Obj>()[ENTERPRISE].employeeNumber).toBe('42');
    const off = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', value: { active: 'False' } }),
    );
    expect(off.json<Obj>().active).toBe(false);
    const on = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'Replace', path: 'active', value: 'True' }),
    );
    expect(on.json<Obj>().active).toBe(true);
    const events = await t.app.store.db
      .selectFrom('events')
      .select('type')
      .where('subject_id', '=', user.id)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.type)).toEqual([
      'user.created',
      'user.updated',
      'user.deactivated',
      'user.reactivated',
    ]);
  });

  it('PATCH on emails[type eq "work"].value replaces it, or creates the element when missing; odd capitals', async () => {
    const user = await create('mail@example.com');
    const replaced = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }),
    );
    expect(replaced.json<Obj>().emails).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
    const added = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'add', path: 'emails[type eq "home"].Value', value: 'home@example.com' }),
    );
    expect(added.json<Obj>().emails).toContainEqual({
      value: 'home@example.com',
      type: 'home',
      primary: false,
    });
    const removed = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'remove', path: 'emails[type eq "home"]' }),
    );
    expect(removed.json<Obj>().emails).toHaveLength(1);
    // Only a bare `type eq` (optionally `and primary eq true`) creates; other filters that match
    // nothing are noTarget (RFC 7644 §3.5.2.3) and change nothing.
    for (const path of [
      'emails[type eq "work" and value eq "zzz@example.com"]',
      'emails[value eq "zzz@example.com"]',
      'emails[type eq "home" or type eq "other"].value',
      'emails[type co "wor" and value sw "zzz"].display',
    ]) {
      const res = await scim(
        t,
        token,
        'PATCH',
        `/Users/${user.id}`,
        patchBody({
          op: 'replace',
          path,
          value: path.endsWith(']') ? { value: 'x@example.com' } : 'x@example.com',
        }),
      );
      expect(res.statusCode, path).toBe(400);
      expect(res.json<Obj>().scimType, path).toBe('noTarget');
    }
    const unchanged = await scim(t, token, 'GET', `/Users/${user.id}`);
    expect(unchanged.json<Obj>().emails).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
    const primary = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({
        op: 'add',
        path: 'emails[type eq "other" and primary eq true].value',
        value: 'o@example.com',
      }),
    );
    expect(primary.json<Obj>().emails).toContainEqual({
      value: 'o@example.com',
      type: 'other',
      primary: true,
    });
  });

  it('PATCH with an empty Operations list is a no-op; manager as a plain string; Prefer return=minimal → 204', async () => {
    const boss = await create('boss@example.com');
    const user = await create('report@example.com');
    const noop = await scim(t, token, 'PATCH', `/Users/${user.id}`, patchBody());
    expect(noop.statusCode).toBe(200);
    expect(noop.json<Obj>().meta.version).toBe(user.meta.version);
    const managed = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', path: `${ENTERPRISE}:manager`, value: boss.id }),
    );
    expect(managed.json<Obj>()[ENTERPRISE].manager).toMatchObject({ value: boss.id });
    // The report shows its manager's display name: renaming the manager changes the report's version.
    const before = (await scim(t, token, 'GET', `/Users/${user.id}`)).json<Obj>();
    await scim(
      t,
      token,
      'PATCH',
      `/Users/${boss.id}`,
      patchBody({ op: 'replace', path: 'displayName', value: 'The Boss' }),
    );
    const after = (await scim(t, token, 'GET', `/Users/${user.id}`)).json<Obj>();
    expect(after[ENTERPRISE].manager.displayName).toBe('The Boss');
    expect(after.meta.version).not.toBe(before.meta.version);
    // Deleting the manager leaves the report without one (not pointing at a 404).
    expect((await scim(t, token, 'DELETE', `/Users/${boss.id}`)).statusCode).toBe(204);
    const orphan = (await scim(t, token, 'GET', `/Users/${user.id}`)).json<Obj>();
    expect(orphan[ENTERPRISE].manager).toBeUndefined();
    expect(orphan.meta.version).not.toBe(after.meta.version);
    const byManager = await scim(
      t,
      token,
      'GET',
      `/Users?filter=${encodeURIComponent(`${ENTERPRISE}:manager.value eq "${boss.id}"`)}`,
    );
    expect(byManager.json<Obj>().totalResults).toBe(0);
    const minimal = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', path: 'title', value: 'x' }),
      { prefer: 'return=minimal' },
    );
    expect(minimal.statusCode).toBe(204);
  });

  it('rejects bad PATCH paths, read-only attributes and wrong types with SCIM errors, changing nothing', async () => {
    const user = await create('strict@example.com');
    const cases: [Record<string, unknown>, string][] = [
      [{ op: 'replace', path: 'noSuchAttribute', value: 'x' }, 'invalidPath'],
      [{ op: 'replace', path: 'emails[type eq ]', value: 'x' }, 'invalidPath'],
      [{ op: 'replace', path: 'id', value: 'x' }, 'mutability'],
      [{ op: 'add', path: 'groups', value: [{ value: 'x' }] }, 'mutability'],
      [{ op: 'replace', path: 'active', value: 'maybe' }, 'invalidValue'],
      [{ op: 'add', path: 'title', value: 123 }, 'invalidValue'],
      [{ op: 'replace', path: 'userName', value: true }, 'invalidValue'],
      // RFC 7644 §3.5.2.2: a required attribute cannot be removed or unassigned.
      [{ op: 'remove', path: 'userName' }, 'mutability'],
      [{ op: 'replace', path: 'userName', value: null }, 'mutability'],
      [{ op: 'add', path: 'emails', value: 'x@example.com' }, 'invalidValue'],
      [{ op: 'replace', path: 'emails[type eq "work"].value', value: 42 }, 'invalidValue'],
      // A value filter that names an element that is not there (only `type eq` creates one).
      [
        {
          op: 'replace',
          path: 'emails[type eq "work" and value eq "zzz@example.com"]',
          value: { value: 'new@example.com' },
        },
        'noTarget',
      ],
      [{ op: 'add', path: 'emails[value eq "zzz@example.com"].display', value: 'Z' }, 'noTarget'],
      [{ op: 'jump', path: 'title', value: 'x' }, 'invalidSyntax'],
      [{ op: 'remove' }, 'noTarget'],
    ];
    for (const [op, scimType] of cases) {
      const res = await scim(
        t,
        token,
        'PATCH',
        `/Users/${user.id}`,
        patchBody({ op: 'replace', path: 'title', value: 'changed' }, op),
      );
      expect(res.statusCode, JSON.stringify(op)).toBe(400);
      expect(res.json<Obj>().scimType, JSON.stringify(op)).toBe(scimType);
    }
    const hacked = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', value: { id: 'hacked', title: 'changed' } }),
    );
    expect(hacked.statusCode).toBe(400);
    expect(hacked.json<Obj>().scimType).toBe('mutability');
    const after = await scim(t, token, 'GET', `/Users/${user.id}`);
    expect(after.json<Obj>().title).toBeUndefined();
    expect(after.json<Obj>().meta.version).toBe(user.meta.version);
    // Its own id is ignored; PATCHes that change nothing keep the version.
    for (const op of [
      { op: 'replace', value: { id: user.id } },
      { op: 'remove', path: 'emails[value eq "absent@example.com"]' },
      { op: 'add', path: 'emails', value: [{ value: 'strict@example.com', type: 'work' }] },
      { op: 'replace', path: 'name.givenName', value: 'Ada' },
    ]) {
      const res = await scim(t, token, 'PATCH', `/Users/${user.id}`, patchBody(op));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<Obj>().meta.version, JSON.stringify(op)).toBe(user.meta.version);
    }
  });

  it('refuses wrong JSON types on create with 400 invalidValue naming the attribute, creating nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ userName: 123 }, 'userName'],
      [{ title: 7 }, 'title'],
      [{ displayName: false }, 'displayName'],
      [{ emails: 'typed@example.com' }, 'emails'],
      [{ name: 'Ada Lovelace' }, 'name'],
      [{ externalId: 5 }, 'externalId'],
      [{ [ENTERPRISE]: { employeeNumber: 1234 } }, 'employeeNumber'],
    ];
    for (const [extra, attribute] of cases) {
      const res = await scim(t, token, 'POST', '/Users', userBody('typed@example.com', extra));
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json<Obj>(), JSON.stringify(extra)).toMatchObject({
        scimType: 'invalidValue',
        status: '400',
      });
      expect(res.json<Obj>().detail, JSON.stringify(extra)).toContain(attribute);
    }
    const list = await scim(t, token, 'GET', '/Users?filter=userName eq "typed@example.com"');
    expect(list.json<Obj>().totalResults).toBe(0);
    // The quirks stay: string booleans, manager as a plain string, null attributes.
    const manager = await create('typed-manager@example.com');
    const ok = await scim(
      t,
      token,
      'POST',
      '/Users',
      userBody('typed@example.com', { active: 'True', title: null, [ENTERPRISE]: { manager: manager.id } }),
    );
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json<Obj>()).toMatchObject({ active: true, [ENTERPRISE]: { manager: { value: manager.id } } });
  });

  it('ETags: If-Match mismatch → 412, If-None-Match → 304', async () => {
    const user = await create('etag@example.com');
    const stale = await scim(t, token, 'PUT', `/Users/${user.id}`, userBody('etag@example.com'), {
      'if-match': 'W/"999"',
    });
    expect(stale.statusCode).toBe(412);
    const fresh = await scim(
      t,
      token,
      'PUT',
      `/Users/${user.id}`,
      userBody('etag@example.com', { title: 'T' }),
      { 'if-match': user.meta.version },
    );
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json<Obj>().meta.version).not.toBe(user.meta.version);
    const cached = await scim(t, token, 'GET', `/Users/${user.id}`, undefined, {
      'if-none-match': fresh.json<Obj>().meta.version,
    });
    expect(cached.statusCode).toBe(304);
  });

  it('filters: operators, logic, value paths, Entra paths, URN names, sorting, paging, projection', async () => {
    for (let i = 0; i < 5; i++) {
      await create(`filter${i}@corp.test`, {
        title: i % 2 === 0 ? 'Engineer' : 'Manager',
        [ENTERPRISE]: { department: i < 3 ? 'R&D' : 'Sales' },
        emails: [
          { value: `filter${i}@corp.test`, type: 'work', primary: true },
          { value: `f${i}@home.test`, type: 'home' },
        ],
      });
    }
    const count = async (filter: string) => {
      const res = await scim(t, token, 'GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.statusCode, `${filter}: ${res.body}`).toBe(200);
      return res.json<Obj>().totalResults as number;
    };
    expect(await count('userName sw "filter"')).toBe(5);
    expect(await count('title eq "engineer" and userName co "corp"')).toBe(3);
    expect(await count('title eq "Engineer" or title eq "Manager"')).toBeGreaterThanOrEqual(5);
    expect(await count('userName sw "filter" and not (title eq "Engineer")')).toBe(2);
    expect(await count('emails[type eq "home" and value ew "@home.test"]')).toBe(5);
    expect(await count('emails[type eq "work"].value eq "FILTER1@corp.test"')).toBe(1);
    expect(await count(`${ENTERPRISE}:department eq "R&D" and userName sw "filter"`)).toBe(3);
    expect(await count('USERNAME sw "filter" and Emails.Value co "home"')).toBe(5);
    expect(await count('meta.created gt "2000-01-01T00:00:00Z" and userName sw "filter"')).toBe(5);
    expect(await count('userName sw "filter" and title pr')).toBe(5);
    const bad = await scim(t, token, 'GET', `/Users?filter=${encodeURIComponent('nope eq "x"')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Obj>().scimType).toBe('invalidFilter');
    const syntax = await scim(t, token, 'GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
    expect(syntax.json<Obj>().scimType).toBe('invalidFilter');
    const page = await scim(
      t,
      token,
      'GET',
      `/Users?filter=${encodeURIComponent('userName sw "filter"')}&sortBy=userName&sortOrder=descending&startIndex=2&count=2&attributes=userName`,
    );
    const body = page.json<Obj>();
    expect(body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(body.Resources.map((r: Obj) => r.userName)).toEqual(['filter3@corp.test', 'filter2@corp.test']);
    expect(Object.keys(body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
    const big = await scim(t, token, 'GET', '/Users?count=5000');
    expect(big.json<Obj>().itemsPerPage).toBeLessThanOrEqual(200);
    const search = await scim(t, token, 'POST', '/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName eq "filter0@corp.test"',
      excludedAttributes: ['emails'],
    });
    expect(search.json<Obj>().Resources[0].emails).toBeUndefined();
    const root = await scim(t, token, 'POST', '/.search', { filter: 'userName eq "filter0@corp.test"' });
    expect(root.json<Obj>().totalResults).toBe(1);
  });

  it('sorting puts users without a value last ascending and first descending, on every store', async () => {
    await create('sortnull-a@corp.test', { name: { givenName: 'A', familyName: 'Zed' } });
    await create('sortnull-b@corp.test', { name: { givenName: 'B' } });
    await create('sortnull-c@corp.test', { name: { givenName: 'C', familyName: 'Abel' } });
    const names = async (order: string) => {
      const filter = encodeURIComponent('userName sw "sortnull-"');
      const res = await scim(
        t,
        token,
        'GET',
        `/Users?filter=${filter}&sortBy=name.familyName${order}&count=3`,
      );
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Obj>().Resources.map((r: Obj) => r.userName);
    };
    expect(await names('')).toEqual(['sortnull-c@corp.test', 'sortnull-a@corp.test', 'sortnull-b@corp.test']);
    expect(await names('&sortOrder=descending')).toEqual([
      'sortnull-b@corp.test',
      'sortnull-a@corp.test',
      'sortnull-c@corp.test',
    ]);
  });

  it('DELETE deactivates (history kept), hides the user, revokes their tokens; re-create revives the row', async () => {
    const user = await create('leaver@example.com');
    const personal = await t.request({
      method: 'POST',
      url: '/api/tokens',
      token: t.ownerToken,
      payload: { name: 'p', role: 'viewer', personId: user.id },
    });
    expect(personal.statusCode, personal.body).toBe(201);
    const del = await scim(t, token, 'DELETE', `/Users/${user.id}`);
    expect(del.statusCode).toBe(204);
    expect((await scim(t, token, 'GET', `/Users/${user.id}`)).statusCode).toBe(404);
    const row = await t.app.store.db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('inactive');
    expect(row.deactivated_at).not.toBeNull();
    const tokenRow = await t.app.store.db
      .selectFrom('api_tokens')
      .select('revoked_at')
      .where('person_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(tokenRow.revoked_at).not.toBeNull();
    const again = await create('leaver@example.com');
    expect(again.id).toBe(user.id);
    const audit = await t.app.store.db
      .selectFrom('audit_entries')
      .select('action')
      .where('target_id', '=', user.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'scim.user.created',
      'scim.user.deleted',
      'scim.user.created',
    ]);
  });

  it('sets the platform role through the Sightline extension, and a role the caller does not hold is refused', async () => {
    const admin = await createToken(t, 'admin');
    const user = await create('roleholder@example.com');
    const res = await scim(
      t,
      admin,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', path: `${SIGHTLINE}:role`, value: 'viewer' }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Obj>()[SIGHTLINE]).toEqual({ role: 'viewer' });
    const filtered = await scim(
      t,
      token,
      'GET',
      `/Users?filter=${encodeURIComponent(`${SIGHTLINE}:role eq "viewer"`)}`,
    );
    expect(filtered.json<Obj>().Resources.map((r: Obj) => r.id)).toContain(user.id);
    const escalate = await scim(
      t,
      token,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', path: `${SIGHTLINE}:role`, value: 'owner' }),
    );
    expect(escalate.statusCode).toBe(403);
    const unknown = await scim(
      t,
      admin,
      'PATCH',
      `/Users/${user.id}`,
      patchBody({ op: 'replace', path: `${SIGHTLINE}:role`, value: 'emperor' }),
    );
    expect(unknown.statusCode).toBe(400);
  });

  it('keeps tenants apart', async () => {
    const user = await create('tenant-a@example.com');
    const otherToken = await createTenant(t, 'Other Co', 'other-co');
    expect((await scim(t, otherToken, 'GET', `/Users/${user.id}`)).statusCode).toBe(404);
    const list = await scim(t, otherToken, 'GET', '/Users?filter=userName eq "tenant-a@example.com"');
    expect(list.json<Obj>().totalResults).toBe(0);
  });

  it('discovery: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
    const spc = await scim(t, token, 'GET', '/ServiceProviderConfig');
    expect(spc.json<Obj>()).toMatchObject({
      patch: { supported: true },
      filter: { supported: true, maxResults: 200 },
      etag: { supported: true },
      bulk: { supported: false },
    });
    const types = await scim(t, token, 'GET', '/ResourceTypes');
    expect(types.json<Obj>().Resources.map((r: Obj) => r.id)).toEqual(['User', 'Group']);
    const schema = await scim(t, token, 'GET', `/Schemas/${ENTERPRISE}`);
    expect(schema.json<Obj>().attributes.map((a: Obj) => a.name)).toContain('manager');
  });

  it('every SCIM route answers 401/403 per the shared auth rules, in SCIM error format', async () => {
    const checked = await expectAuthRules(t, {
      prefix: '/scim/v2',
      errorMessage: (b) => String((b as Obj).detail),
    });
    expect(checked).toBeGreaterThan(15);
    const anonymous = await t.request({ method: 'GET', url: '/scim/v2/Users' });
    expect(anonymous.json()).toMatchObject({
      status: '401',
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    });
  });
});
