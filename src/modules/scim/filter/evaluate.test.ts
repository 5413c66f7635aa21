import { describe, expect, it } from 'vitest';
import { evaluateFilter } from './evaluate.js';
import { parseFilter } from './parse.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const user = {
  userName: 'Alice@Example.com',
  title: 'Engineer',
  nickName: '',
  active: true,
  score: 10,
  name: { givenName: 'Alice', familyName: null },
  emails: [
    { type: 'work', value: 'alice@example.com', primary: true },
    { type: 'home', value: 'alice@home.org' },
  ],
  roles: [],
  meta: { lastModified: '2026-01-05T12:00:00.000Z' },
  [ENTERPRISE]: { employeeNumber: '1001', manager: { value: 'u01' } },
};

const matches = (filter: string, element: unknown = user) => evaluateFilter(parseFilter(filter), element);

describe('evaluateFilter on a resource', () => {
  it.each<[string, boolean]>([
    ['userName eq "alice@example.com"', true],
    ['USERNAME EQ "ALICE@EXAMPLE.COM"', true],
    ['userName ne "alice@example.com"', false],
    ['title co "gin"', true],
    ['title sw "eng"', true],
    ['title ew "EER"', true],
    ['title co "%"', false],
    ['title gt "a"', true],
    ['title lt "a"', false],
    ['title ge "engineer"', true],
    ['title le "engineer"', true],
    ['missing ne "x"', true],
    ['missing eq "x"', false],
    ['missing gt "x"', false],
    ['not (missing eq "x")', true],
    ['missing pr', false],
    ['nickName pr', false],
    ['nickName eq null', true],
    ['title eq null', false],
    ['title ne null', true],
    ['name pr', true],
    ['name.familyName pr', false],
    ['Name.GivenName eq "alice"', true],
    ['active eq true', true],
    ['active eq "TRUE"', true],
    ['active ne true', false],
    ['score gt 5', true],
    ['score le 9', false],
    ['score eq 10', true],
    ['meta.lastModified gt "2026-01-05T12:59:00+01:00"', true],
    ['meta.lastModified lt "2026-01-06"', true],
    ['emails pr', true],
    ['roles pr', false],
    ['roles ne "x"', false],
    ['emails eq "ALICE@home.org"', true],
    ['emails.value co "home"', true],
    ['emails.type eq "home" and emails.primary eq true', true],
    ['emails[type eq "home" and primary eq true]', false],
    ['emails[type eq "work" and primary eq true]', true],
    ['emails[type eq "work"].value eq "alice@example.com"', true],
    ['emails[type eq "home"].value eq "alice@example.com"', false],
    ['emails[not (type eq "work")]', true],
    ['userName eq "x" or title eq "engineer" and score gt 5', true],
    ['(userName eq "x" or title eq "engineer") and score gt 50', false],
    [`${ENTERPRISE}:employeeNumber eq "1001"`, true],
    [`${ENTERPRISE.toLowerCase()}:MANAGER.value eq "U01"`, true],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "alice"', true],
  ])('%s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });
});

describe('evaluateFilter on one element (PATCH value filters)', () => {
  const member = { value: 'AbC-123', display: 'Alice', $ref: 'https://x/Users/AbC-123' };

  it('compares element attributes case-insensitively by default', () => {
    expect(matches('value eq "abc-123"', member)).toBe(true);
    expect(matches('VALUE eq "AbC-123" and display sw "al"', member)).toBe(true);
    expect(matches('type eq "work"', { type: 'Work', value: 'a@x.com' })).toBe(true);
    expect(matches('primary eq true', { type: 'work' })).toBe(false);
    expect(matches('primary ne true', { type: 'work' })).toBe(true);
  });

  it('honours caseExact per path', () => {
    const filter = parseFilter('value eq "abc-123"');
    const caseExact = (path: { attribute: string }) => path.attribute.toLowerCase() === 'value';
    expect(evaluateFilter(filter, member, { caseExact })).toBe(false);
    expect(evaluateFilter(parseFilter('value eq "AbC-123"'), member, { caseExact })).toBe(true);
    expect(evaluateFilter(parseFilter('display eq "ALICE"'), member, { caseExact })).toBe(true);
  });

  it('treats a non-object element as having no attributes', () => {
    expect(matches('value eq "x"', 'x')).toBe(false);
    expect(matches('value ne "x"', null)).toBe(true);
  });

  it.each(['title gt true', 'title co 5', 'title co null', 'emails[type eq "work"]'])(
    'rejects %s where it makes no sense with invalidFilter',
    (filter) => {
      const node =
        filter === 'emails[type eq "work"]'
          ? { kind: 'valuePath' as const, path: { attribute: 'emails' }, filter: parseFilter(filter) }
          : parseFilter(filter);
      expect(() => evaluateFilter(node, user)).toThrow(
        expect.objectContaining({ details: { scimType: 'invalidFilter' } }),
      );
    },
  );
});
