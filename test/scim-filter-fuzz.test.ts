import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { filterInputs } from './helpers/filter-inputs.js';
import { ENTERPRISE, SIGHTLINE, scim, userBody } from './helpers/scim.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const USER_PATHS = [
  'userName',
  'USERNAME',
  'displayName',
  'nickName',
  'title',
  'userType',
  'locale',
  'externalId',
  'id',
  'active',
  'name.givenName',
  'Name.FamilyName',
  'name.formatted',
  'name',
  'emails',
  'emails.value',
  'Emails.Type',
  'emails.primary',
  'phoneNumbers.value',
  'groups',
  'groups.display',
  'meta.created',
  'meta.lastModified',
  'meta.resourceType',
  `${CORE}:userName`,
  `${ENTERPRISE}:employeeNumber`,
  `${ENTERPRISE}:manager.value`,
  `${ENTERPRISE}:department`,
  `${SIGHTLINE}:role`,
  'unknown',
  'emails.nope',
  'a.b',
];
const GROUP_PATHS = [
  'displayName',
  'DISPLAYNAME',
  'externalId',
  'id',
  'members',
  'members.value',
  'members.display',
  'meta.created',
  'meta.lastModified',
  'urn:ietf:params:scim:schemas:core:2.0:Group:displayName',
  'emails',
  'unknown',
];

/**
 * Random and hostile filters through the real faces, on both stores: every one is answered 200 or
 * 400 invalidFilter, never a 500 (a value PostgreSQL refuses, a number past its range, a NUL byte
 * in a string, a malformed date…). The compiler's own fuzz (src/modules/scim/filter/fuzz.test.ts)
 * checks its SQL against the in-memory evaluator on SQLite.
 */
describe('SCIM filter fuzz over HTTP', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '1000000' });
    token = await createToken(t, 'provisioning');
    const boss = await scim(t, token, 'POST', '/Users', userBody('boss@example.com'));
    const bossId = boss.json<{ id: string }>().id;
    for (const n of [1, 2, 3]) {
      const created = await scim(
        t,
        token,
        'POST',
        '/Users',
        userBody(`fuzz${n}@x.com`, {
          title: `T${n}`,
          phoneNumbers: [{ value: `+1555000${n}`, type: 'work' }],
          [ENTERPRISE]: { employeeNumber: String(n), department: 'Ops', manager: { value: bossId } },
        }),
      );
      expect(created.statusCode, created.body).toBe(201);
    }
    const group = await scim(t, token, 'POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Fuzzers',
      members: [{ value: bossId }],
    });
    expect(group.statusCode, group.body).toBe(201);
  });
  afterAll(() => t.close());

  const cases = [
    { resource: 'Users', paths: USER_PATHS, seed: 20261202 },
    { resource: 'Groups', paths: GROUP_PATHS, seed: 20261203 },
  ];
  it.each(cases)(
    '$resource: every filter gets 200 or 400 invalidFilter',
    async ({ resource, paths, seed }) => {
      const outcomes = { ok: 0, invalid: 0 };
      for (const filter of filterInputs({ seed, count: 400, paths })) {
        const res =
          filter.length > 2000
            ? await scim(t, token, 'POST', `/${resource}/.search`, { filter, count: 5 })
            : await scim(t, token, 'GET', `/${resource}?count=5&filter=${encodeURIComponent(filter)}`);
        const context = `${JSON.stringify(filter.slice(0, 200))} → ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect([200, 400], context).toContain(res.statusCode);
        if (res.statusCode === 200) {
          expect(res.json<{ Resources: unknown[] }>().Resources.length, context).toBeLessThanOrEqual(5);
          outcomes.ok++;
        } else {
          const error = res.json<{ status: string; scimType?: string; detail: string }>();
          expect(error.status, context).toBe('400');
          // A NUL character in the URL is refused before the filter is read (test/nul-characters.test.ts).
          expect(error.scimType, context).toBe(filter.includes('\0') ? 'invalidValue' : 'invalidFilter');
          expect(error.detail.length, context).toBeGreaterThan(0);
          outcomes.invalid++;
        }
      }
      // Both outcomes are well represented, or the inputs do not reach the compiler.
      expect(outcomes.ok).toBeGreaterThan(40);
      expect(outcomes.invalid).toBeGreaterThan(40);
    },
  );
});
