import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/modules/demo/random.js';
import { createToken, startTestApp, type TestApp } from './helpers/app.js';
import { ENTERPRISE, patchBody, scim, userBody } from './helpers/scim.js';

const ops = ['add', 'replace', 'remove', 'Add', 'REPLACE', 'delete', '', 42];
const paths = [
  undefined,
  'title',
  'name.givenName',
  'emails',
  'emails[type eq "work"].value',
  'emails[type eq "home"]',
  'emails[value co "@"].primary',
  'phoneNumbers',
  'active',
  'groups',
  'id',
  'meta.created',
  `${ENTERPRISE}:manager`,
  `${ENTERPRISE}:employeeNumber`,
  'emails[type eq ]',
  'name..x',
  '[]',
  'nickName',
  'unknownAttr',
  'emails[type eq "work"',
];
const values: unknown[] = [
  'x',
  '',
  null,
  true,
  'False',
  7,
  [],
  [{ value: 'a@b.c', type: 'work' }],
  [{ value: 'not-an-email' }],
  { value: 'someone@example.com' },
  { 'name.familyName': 'Z', title: 'T' },
  { active: 'maybe' },
  { [`${ENTERPRISE}:department`]: 'Ops' },
  {
    emails: [
      { value: 'q@example.com', primary: true },
      { value: 'r@example.com', primary: true },
    ],
  },
  'a'.repeat(300),
];

describe('SCIM PATCH fuzz', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    token = await createToken(t, 'provisioning');
  });
  afterAll(() => t.close());

  it('random PATCH bodies get 200 or a SCIM 4xx, never a 500, and a refused body changes nothing', async () => {
    // Seeded: the same bodies on every run.
    const random = mulberry32(20261122);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
    const created = await scim(t, token, 'POST', '/Users', userBody('fuzz@example.com'));
    const id = created.json<{ id: string }>().id;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const operations = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
        const op: Record<string, unknown> = { op: pick(ops) };
        const path = pick(paths);
        if (path !== undefined) op.path = path;
        if (random() < 0.9) op.value = pick(values);
        return op;
      });
      const body = random() < 0.05 ? { Operations: 'nope' } : patchBody(...operations);
      const before = await scim(t, token, 'GET', `/Users/${id}`);
      const res = await scim(t, token, 'PATCH', `/Users/${id}`, body);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      expect([200, 400, 409], `${JSON.stringify(body)} → ${res.body}`).toContain(res.statusCode);
      if (res.statusCode !== 200) {
        const error = res.json<{ status: string; detail: string }>();
        expect(error.status).toBe(String(res.statusCode));
        expect(error.detail.length).toBeGreaterThan(0);
        const after = await scim(t, token, 'GET', `/Users/${id}`);
        expect(after.body, 'a refused PATCH changes nothing').toBe(before.body);
      }
    }
    // Both outcomes happen: the fuzz exercises accepted and refused bodies.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(10);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(10);
  });
});
