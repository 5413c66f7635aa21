import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { skipPostgres } from './helpers/db.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Obj = Record<string, any>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Two server instances on one store, as several API nodes share one PostgreSQL: what one changes
 * (a role's permissions, a group's members, a token) applies on the other's very next request,
 * even after that one has served the same requests many times (PostgreSQL prepared statements,
 * SQLite's statement cache).
 */
describe.skipIf(skipPostgres)('authorization across server instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({}, a.env);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const ok = (res: TestResponse, status = 200): Obj => {
    expect(res.statusCode, res.body).toBe(status);
    return res.json<Obj>();
  };
  const call = (t: TestApp, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.request({ method, url, token: t.ownerToken, ...(payload ? { payload } : {}) });
  /** A SCIM lookup through `b`, as an IdP makes it; returns the status of the last of `times`. */
  const lookup = async (token: string, times = 1) => {
    let status = 0;
    for (let i = 0; i < times; i++) {
      const url = `/scim/v2/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`;
      status = (await b.request({ method: 'GET', url, token })).statusCode;
    }
    return status;
  };

  it("a role's permissions, changed through one instance, apply on the other's next request", async () => {
    const permission = ok(
      await call(a, 'POST', '/iam/v1/permissions', {
        name: 'scim-read-elsewhere',
        statements: [{ actions: ['scim:users:read'] }],
      }),
      201,
    );
    const role = ok(await call(a, 'POST', '/iam/v1/roles', { name: 'idp-elsewhere' }), 201);
    const token = ok(await call(a, 'POST', '/api/tokens', { name: 'idp', role: 'idp-elsewhere' }), 201)
      .token as string;
    expect(await lookup(token, 8)).toBe(403);
    const add = {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'permissions', value: [permission.id] }],
    };
    ok(await call(a, 'PATCH', `/iam/v1/roles/${role.id}`, add));
    expect(await lookup(token)).toBe(200);
    expect(await lookup(token, 8)).toBe(200);
    ok(
      await call(a, 'PATCH', `/iam/v1/permissions/${permission.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'statements', value: [] }],
      }),
    );
    expect(await lookup(token)).toBe(403);

    const tokens = ok(await call(a, 'GET', '/api/tokens')).tokens as Obj[];
    const id = tokens.find((t) => t.name === 'idp')?.id;
    ok(
      await call(a, 'PATCH', `/iam/v1/permissions/${permission.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'statements', value: [{ action: 'scim:users:read', resource: '*' }] },
        ],
      }),
    );
    expect(await lookup(token, 8)).toBe(200);
    ok(await call(a, 'DELETE', `/api/tokens/${id}`));
    expect(await lookup(token)).toBe(401);
  });

  it("a group's members, changed through one instance, gain and lose its roles on the other at once", async () => {
    const person = ok(
      await call(a, 'POST', '/scim/v2/Users', { userName: 'ines.elsewhere@example.com', active: true }),
      201,
    );
    const group = ok(await call(a, 'POST', '/scim/v2/Groups', { displayName: 'IdP readers elsewhere' }), 201);
    ok(await call(a, 'POST', '/iam/v1/roles', { name: 'nothing-elsewhere' }), 201);
    ok(
      await call(a, 'POST', '/iam/v1/roles', {
        name: 'group-readers-elsewhere',
        statements: [{ actions: ['scim:users:read'] }],
        members: [{ type: 'Group', value: group.id }],
      }),
      201,
    );
    const token = ok(
      await call(a, 'POST', '/api/tokens', { name: 'ines', role: 'nothing-elsewhere', personId: person.id }),
      201,
    ).token as string;
    expect(await lookup(token, 8)).toBe(403);
    const members = (op: 'add' | 'remove') => ({
      schemas: [PATCH_OP],
      Operations: [{ op, path: 'members', value: [{ value: person.id }] }],
    });
    ok(await call(a, 'PATCH', `/scim/v2/Groups/${group.id}`, members('add')));
    expect(await lookup(token)).toBe(200);
    expect(await lookup(token, 8)).toBe(200);
    ok(await call(a, 'PATCH', `/scim/v2/Groups/${group.id}`, members('remove')));
    expect(await lookup(token)).toBe(403);
  });
});
