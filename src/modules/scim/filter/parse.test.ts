import { describe, expect, it } from 'vitest';
import { AppError } from '../../../platform/errors/app-error.js';
import type { FilterNode } from './ast.js';
import { parseAttrPath, parseFilter, parsePatchPath } from './parse.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

const eq = (
  attribute: string,
  value: string | number | boolean | null,
  subAttribute?: string,
): FilterNode => ({
  kind: 'compare',
  op: 'eq',
  path: { attribute, subAttribute },
  value,
});

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('parseFilter', () => {
  it('parses every compare operator, case-insensitively', () => {
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const) {
      expect(parseFilter(`title ${op.toUpperCase()} "x"`)).toEqual({
        kind: 'compare',
        op,
        path: { attribute: 'title' },
        value: 'x',
      });
    }
    expect(parseFilter('title Pr')).toEqual({ kind: 'present', path: { attribute: 'title' } });
  });

  it('parses literals: strings with escapes, numbers, true/false/null in any case', () => {
    expect(parseFilter('a eq "q\\"b\\\\s\\/\\u00e9\\n"')).toEqual(eq('a', 'q"b\\s/é\n'));
    expect(parseFilter('a eq -12.5e2')).toEqual(eq('a', -1250));
    expect(parseFilter('a eq 0')).toEqual(eq('a', 0));
    expect(parseFilter('a eq True')).toEqual(eq('a', true));
    expect(parseFilter('a eq FALSE')).toEqual(eq('a', false));
    expect(parseFilter('a eq Null')).toEqual(eq('a', null));
  });

  it('binds and tighter than or, left to right, and honours parentheses and not', () => {
    expect(parseFilter('a eq 1 or b eq 2 and c eq 3')).toEqual({
      kind: 'or',
      left: eq('a', 1),
      right: { kind: 'and', left: eq('b', 2), right: eq('c', 3) },
    });
    expect(parseFilter('(a eq 1 or b eq 2) AND c eq 3')).toEqual({
      kind: 'and',
      left: { kind: 'or', left: eq('a', 1), right: eq('b', 2) },
      right: eq('c', 3),
    });
    expect(parseFilter('a eq 1 and b eq 2 and c eq 3')).toEqual({
      kind: 'and',
      left: { kind: 'and', left: eq('a', 1), right: eq('b', 2) },
      right: eq('c', 3),
    });
    expect(parseFilter('NOT (a eq 1) or not(b pr)')).toEqual({
      kind: 'or',
      left: { kind: 'not', filter: eq('a', 1) },
      right: { kind: 'not', filter: { kind: 'present', path: { attribute: 'b' } } },
    });
  });

  it('parses sub-attributes and URN-qualified names (URNs contain dots)', () => {
    expect(parseFilter('meta.lastModified gt "2026-01-01T00:00:00Z"')).toMatchObject({
      path: { attribute: 'meta', subAttribute: 'lastModified' },
    });
    expect(parseFilter(`${CORE}:userName eq "a"`)).toMatchObject({
      path: { schema: CORE, attribute: 'userName' },
    });
    expect(parseFilter(`${ENTERPRISE}:manager.value eq "m"`)).toMatchObject({
      path: { schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' },
    });
    expect(parseFilter(`${CORE}:name.givenName pr`)).toEqual({
      kind: 'present',
      path: { schema: CORE, attribute: 'name', subAttribute: 'givenName' },
    });
  });

  it('parses value paths, and Entra paths as one valuePath over the same element', () => {
    expect(parseFilter('emails[type eq "work" and value co "@x.com"]')).toEqual({
      kind: 'valuePath',
      path: { attribute: 'emails' },
      filter: {
        kind: 'and',
        left: eq('type', 'work'),
        right: { kind: 'compare', op: 'co', path: { attribute: 'value' }, value: '@x.com' },
      },
    });
    expect(parseFilter('emails[type eq "work"].value eq "a@x.com"')).toEqual({
      kind: 'valuePath',
      path: { attribute: 'emails' },
      filter: { kind: 'and', left: eq('type', 'work'), right: eq('value', 'a@x.com') },
    });
    expect(parseFilter('userName eq "a" and emails[type eq "work"].value pr')).toMatchObject({
      kind: 'and',
      right: { kind: 'valuePath', filter: { right: { kind: 'present', path: { attribute: 'value' } } } },
    });
    expect(parseFilter(`${CORE}:emails[primary eq true]`)).toMatchObject({ path: { schema: CORE } });
  });

  it.each([
    ['', 'Empty filter'],
    ['userName', 'Unexpected end of filter at position 8'],
    ['userName eq', 'Unexpected end of filter'],
    ['userName xx "a"', "Unexpected token 'xx' at position 9"],
    ['userName eq "a" and', 'Unexpected end of filter'],
    ['userName eq "a" userName eq "b"', "Unexpected token 'userName' at position 16"],
    ['userName eq "abc', 'Unterminated string starting at position 12'],
    ['userName eq "\\x"', "Invalid escape '\\x'"],
    ['userName eq "\\u12"', 'Invalid \\u escape'],
    ['userName eq abc', "Unexpected token 'abc'"],
    ["userName eq 'a'", "Unexpected character '''"],
    ['(userName eq "a"', "Unexpected end of filter at position 16: expected ')'"],
    ['userName eq "a")', "Unexpected token ')'"],
    ['a.b.c eq 1', "Invalid attribute path 'a.b.c'"],
    ['emails[type eq "w"', "expected ']'"],
    ['emails[type eq "w"].', 'expected a sub-attribute name'],
    ['emails[roles[value eq "x"]]', 'Nested value filter'],
    ['name.givenName[value eq "x"]', 'cannot take a value filter'],
    ['urn:x:y: eq 1', 'Invalid attribute path'],
    ['a eq 12abc', 'Invalid number'],
    ['not a eq 1', "Unexpected token 'a'"],
    ['userName eq "a\\u0000b"', 'A string cannot contain U+0000 (position 14)'],
    ['userName eq "a\u0000b"', 'A string cannot contain U+0000 (position 14)'],
  ])('rejects %j with invalidFilter (%s)', (text, message) => {
    const error = errorOf(() => parseFilter(text));
    expect(error.code).toBe('bad_request');
    expect(error.details?.scimType).toBe('invalidFilter');
    expect(error.message).toContain(message);
  });

  it('refuses over-long and over-deep filters without overflowing the stack', () => {
    expect(errorOf(() => parseFilter(`a eq "${'x'.repeat(5000)}"`)).message).toContain('too long');
    const deep = `${'('.repeat(60)}a pr${')'.repeat(60)}`;
    expect(errorOf(() => parseFilter(deep)).message).toContain('nested too deeply');
    const notDeep = `${'not ('.repeat(51)}a pr${')'.repeat(51)}`;
    expect(errorOf(() => parseFilter(notDeep)).details?.scimType).toBe('invalidFilter');
    expect(parseFilter(`${'('.repeat(50)}a pr${')'.repeat(50)}`)).toEqual({
      kind: 'present',
      path: { attribute: 'a' },
    });
    const wide = Array.from({ length: 300 }, (_, i) => `a eq ${i}`).join(' or ');
    expect(parseFilter(wide).kind).toBe('or');
  });
});

describe('parseAttrPath', () => {
  it('splits URN, attribute and sub-attribute', () => {
    expect(parseAttrPath('name.givenName')).toEqual({ attribute: 'name', subAttribute: 'givenName' });
    expect(parseAttrPath(`${ENTERPRISE}:employeeNumber`)).toEqual({
      schema: ENTERPRISE,
      attribute: 'employeeNumber',
    });
    expect(errorOf(() => parseAttrPath('name givenName')).details?.scimType).toBe('invalidFilter');
  });
});

describe('parsePatchPath', () => {
  it('parses plain, filtered and Entra-style paths', () => {
    expect(parsePatchPath('name.givenName')).toEqual({
      path: { attribute: 'name', subAttribute: 'givenName' },
    });
    expect(parsePatchPath(`${ENTERPRISE}:employeeNumber`)).toEqual({
      path: { schema: ENTERPRISE, attribute: 'employeeNumber' },
    });
    expect(parsePatchPath('members[value eq "abc"]')).toEqual({
      path: { attribute: 'members' },
      filter: eq('value', 'abc'),
    });
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({
      path: { attribute: 'emails' },
      filter: eq('type', 'work'),
      subAttribute: 'value',
    });
    expect(parsePatchPath('addresses[type eq "work" and primary eq true].locality')).toMatchObject({
      subAttribute: 'locality',
    });
  });

  it('rejects malformed paths with invalidPath', () => {
    for (const text of [
      '',
      'emails[type eq "work"',
      'emails[type eq].value',
      'emails[type eq "w"].value eq "x"',
      'a b',
    ]) {
      const error = errorOf(() => parsePatchPath(text));
      expect(error.details?.scimType, text).toBe('invalidPath');
    }
  });
});
